"""Following handlers into the other modules of the scanned project (issue 6, item 1)."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from idemlint.api import lint_paths
from idemlint.config import Config

BILLING = '''
import requests
import stripe


class Billing:
    def charge(self, order):
        return stripe.Charge.create(amount=order["amount"], currency="usd")


billing = Billing()


def notify(order):
    requests.post("https://hooks.example.com/orders", json=order)


def lookup(order_id):
    return requests.get(f"https://api.example.com/orders/{order_id}")
'''


def write(root: Path, files: dict) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def findings(root: Path, *paths: str, **config):
    cfg = Config(root=str(root), jobs=config.pop("jobs", 1), **config)
    result = lint_paths([str(root / p) for p in paths] or [str(root)], cfg)
    assert not result.errors, result.errors
    return [(Path(f.path).name, f.line, f.rule, f.confidence.label, f.message) for f in result.findings]


def consumer(body: str, imports: str) -> str:
    return f"import json\nimport pika\n{imports}\n\n\ndef on_message(ch, method, properties, body):\n" \
           f"    order = json.loads(body)\n    {body}\n    ch.basic_ack(delivery_tag=method.delivery_tag)\n"


@pytest.fixture
def shop(tmp_path):
    write(tmp_path, {"shop/__init__.py": "", "shop/services/__init__.py": "", "shop/consumers/__init__.py": "",
                     "shop/services/billing.py": BILLING})
    return tmp_path


@pytest.mark.parametrize("imports, call", [
    ("from shop.services.billing import notify", "notify(order)"),
    ("from ..services.billing import notify", "notify(order)"),
    ("from shop.services import billing", "billing.notify(order)"),
    ("import shop.services.billing", "shop.services.billing.notify(order)"),
    ("from shop.services.billing import billing", "billing.charge(order)"),
    ("from shop.services.billing import Billing", "Billing().charge(order)"),
    ("from shop.services.billing import Billing\nsvc = Billing()", "svc.charge(order)"),
])
def test_an_effect_in_another_module_is_reported_on_the_handler_call(shop, imports, call):
    write(shop, {"shop/consumers/orders.py": consumer(call, imports)})
    got = findings(shop)
    assert [(name, line, rule, conf) for name, line, rule, conf, _ in got] == [
        ("orders.py", 8 + imports.count("\n"), "IDEM001", "medium")]
    assert "(in `shop.services.billing." in got[0][4]


def test_a_read_in_another_module_is_not_an_effect_nor_an_unseen_handoff(shop):
    write(shop, {"shop/consumers/orders.py": consumer("lookup(order['id'])",
                                                      "from shop.services.billing import lookup")})
    assert findings(shop) == []


def test_an_unresolvable_call_stays_an_unseen_handoff_at_low(shop):
    write(shop, {"shop/consumers/orders.py": consumer("process(order)", "from vendor_sdk import process")})
    got = findings(shop)
    assert [(line, rule, conf) for _, line, rule, conf, _ in got] == [(9, "IDEM001", "low")]


def test_instance_attribute_and_inherited_method_and_reexport(shop):
    write(shop, {
        "shop/services/__init__.py": "from .billing import Billing\n",
        "shop/services/base.py": "import requests\n\nclass Notifier:\n    def send(self, o):\n"
                                 "        requests.post('https://x', json=o)\n",
        "shop/services/mailer.py": "from .base import Notifier\n\nclass Mailer(Notifier):\n    pass\n",
        "shop/consumers/worker.py": '''
            import json
            from shop.services import Billing
            from shop.services.mailer import Mailer


            class Worker:
                def __init__(self):
                    self.billing = Billing()
                    self.mailer = Mailer()

                def on_charge(self, ch, method, properties, body):
                    self.billing.charge(json.loads(body))
                    ch.basic_ack(delivery_tag=method.delivery_tag)

                def on_mail(self, ch, method, properties, body):
                    self.mailer.send(json.loads(body))
                    ch.basic_ack(delivery_tag=method.delivery_tag)
        ''',
    })
    got = findings(shop)
    assert [(name, line, rule) for name, line, rule, _, _ in got] == [
        ("worker.py", 13, "IDEM001"), ("worker.py", 17, "IDEM001")]


def test_dedup_and_transaction_in_the_callee_count_for_the_handler(shop):
    write(shop, {
        "shop/services/ledger.py": '''
            import stripe
            from django.db import transaction
            from shop.models import Processed


            def charge_once(message_id, order):
                if Processed.objects.filter(message_id=message_id).exists():
                    return
                with transaction.atomic():
                    stripe.Charge.create(amount=order["amount"], currency="usd")
                    Processed.objects.create(message_id=message_id)
        ''',
        "shop/consumers/orders.py": consumer("charge_once(properties.message_id, order)",
                                             "from shop.services.ledger import charge_once"),
    })
    assert findings(shop) == []


def test_cycles_end_and_depth_is_configurable(shop):
    write(shop, {
        "shop/services/a.py": "from shop.services import b\n\ndef step(o):\n    b.step(o)\n",
        "shop/services/b.py": "from shop.services import a, c\n\ndef step(o):\n    a.step(o)\n    c.deep(o)\n",
        "shop/services/c.py": "import requests\n\ndef deep(o):\n    requests.post('https://x', json=o)\n",
        "shop/consumers/orders.py": consumer("a.step(order)", "from shop.services import a"),
    })
    assert [rule for _, _, rule, _, _ in findings(shop)] == ["IDEM001"]  # a -> b -> c: three calls deep
    assert [conf for _, _, _, conf, _ in findings(shop, call_depth=2)] == ["low"]  # c is out of reach


def test_consumer_class_hook_in_another_module(shop):
    write(shop, {
        "shop/consumers/base.py": '''
            import json
            import logging

            log = logging.getLogger(__name__)


            class BaseConsumer:
                def handle(self, payload):
                    raise NotImplementedError

                def _on_message(self, ch, method, properties, body):
                    try:
                        self.handle(json.loads(body))
                    except Exception:
                        log.exception("handler failed")
                        ch.basic_nack(delivery_tag=method.delivery_tag, requeue=False)
                        return
                    ch.basic_ack(delivery_tag=method.delivery_tag)
        ''',
        "shop/consumers/mail.py": '''
            import smtplib

            from .base import BaseConsumer


            class WelcomeMail(BaseConsumer):
                def handle(self, payload):
                    with smtplib.SMTP("localhost") as smtp:
                        smtp.sendmail("shop@example.com", payload["email"], "Welcome!")


            class NotAConsumer:
                def handle(self, payload):
                    with smtplib.SMTP("localhost") as smtp:
                        smtp.sendmail("shop@example.com", payload["email"], "Hello")
        ''',
    })
    got = findings(shop)
    assert [(name, line, rule, conf) for name, line, rule, conf, _ in got] == [("mail.py", 10, "IDEM001", "medium")]
    assert "WelcomeMail.handle" in got[0][4]


def test_cache_entry_is_stale_once_a_callee_changes(shop):
    write(shop, {"shop/consumers/orders.py": consumer("notify(order)", "from shop.services.billing import notify")})
    cached = dict(cache_dir=".cache")
    assert len(findings(shop, **cached)) == 1
    assert len(findings(shop, **cached)) == 1  # from the cache
    billing = shop / "shop/services/billing.py"
    billing.write_text(billing.read_text().replace("requests.post(", "requests.put("))
    assert findings(shop, **cached) == []


def test_parallel_run_follows_calls_like_the_serial_one(shop):
    files = {f"shop/consumers/c{i}.py": consumer("notify(order)", "from shop.services.billing import notify")
             for i in range(12)}
    write(shop, files)
    assert findings(shop, jobs=2) == findings(shop, jobs=1)
    assert len(findings(shop, jobs=1)) == 12


def test_an_ack_inside_a_shared_helper_is_shown_at_each_handlers_own_call(shop):
    write(shop, {
        "shop/services/finish.py": '''
            import pika
            from vendor_sdk import sync


            def ack_message(ch, method, order):
                sync(order)
                ch.basic_ack(delivery_tag=method.delivery_tag)
        ''',
        "shop/consumers/two.py": '''
            import json
            from shop.services.finish import ack_message


            def first(ch, method, properties, body):
                ack_message(ch, method, json.loads(body))


            def second(ch, method, properties, body):
                ack_message(ch, method, json.loads(body))
        ''',
    })
    got = findings(shop)
    assert [(name, line, rule, conf) for name, line, rule, conf, _ in got] == [
        ("two.py", 7, "IDEM001", "low"), ("two.py", 11, "IDEM001", "low")]
    assert "(in `shop.services.finish.ack_message`)" in got[0][4]


def test_parsed_modules_kept_within_a_source_budget(tmp_path, monkeypatch):
    from idemlint import project as project_module
    from idemlint.project import Project

    for i in range(6):
        (tmp_path / f"m{i}.py").write_text(f"def f{i}(x):\n    return x\n" + "# pad\n" * 200)
    size = (tmp_path / "m0.py").stat().st_size
    monkeypatch.setattr(project_module, "MAX_KEPT_SOURCE", 3 * size)
    proj = Project([str(tmp_path)])
    for i in range(6):  # one module read per file: the budget is applied before each file
        proj.start_file()
        assert proj._kept <= 3 * size and len(proj._modules) <= 3
        assert proj.load(str(tmp_path / f"m{i}.py")) is not None
    proj.start_file()
    assert [os.path.basename(p) for p in proj._modules] == ["m3.py", "m4.py", "m5.py"]
    huge = tmp_path / "huge.py"
    huge.write_text("x = 1\n" + "# pad\n" * 2000)
    assert proj.load(str(huge)) is not None
    proj.start_file()
    assert list(proj._modules) == [str(huge)]  # alone over budget: kept
    for i in range(6):  # one file reading them all: nothing is evicted while it is analysed
        proj.load(str(tmp_path / f"m{i}.py"))
    assert len(proj._modules) == 7


def test_a_classmethods_cls_call_in_another_module_is_a_constructor(shop):
    # quixstreams 3.28.1: `Deadline.from_timeout(timeout)` returns `cls(time.monotonic() + timeout)`;
    # the callee's parameters are taken as message data, and `cls(...)` was a handoff (IDEM001 low)
    write(shop, {"shop/services/deadline.py": '''
        import time


        class Deadline:
            def __init__(self, at):
                self.at = at

            @classmethod
            def from_timeout(cls, timeout):
                return cls(time.monotonic() + timeout)
        ''',
        "shop/consumers/orders.py": consumer('deadline = Deadline.from_timeout(order["timeout"])',
                                             "from shop.services.deadline import Deadline")})
    assert findings(shop, "shop/consumers/orders.py") == []


BOT_FRAMEWORK = {
    "bots/__init__.py": "",
    "bots/pipeline.py": """
        import pika
        import redis


        class Pipeline:
            def acknowledge(self):
                self._acknowledge()

            def _acknowledge(self):
                raise NotImplementedError


        class RedisPipeline(Pipeline):
            def __init__(self, host):
                self.pipe = redis.Redis(host=host)
                self.internal_queue = "bot-internal"

            def receive(self):
                return self.pipe.brpoplpush("bot-queue", self.internal_queue, 0)

            def _acknowledge(self):
                # the reliable queue's ack: pop the message off the processing list
                if self.pipe.rpop(self.internal_queue) is None:
                    raise RuntimeError("no message to acknowledge")


        class AmqpPipeline(Pipeline):
            def __init__(self, host):
                self.channel = pika.BlockingConnection(pika.ConnectionParameters(host)).channel()
                self.tag = None

            def receive(self):
                method, _, body = self.channel.basic_get("bot-queue")
                self.tag = method.delivery_tag
                return body

            def _acknowledge(self):
                self.channel.basic_ack(delivery_tag=self.tag)


        def create(broker, host) -> Pipeline:
            return RedisPipeline(host) if broker == "redis" else AmqpPipeline(host)
        """,
    "bots/bot.py": """
        from . import pipeline


        class Bot:
            def __init__(self, broker):
                self.source = pipeline.create(broker, "localhost")

            def receive_message(self):
                return self.source.receive()

            def acknowledge_message(self):
                self.source.acknowledge()

            def start(self):
                while True:
                    self.process()
                    self.acknowledge_message()
        """,
    "bots/mail.py": """
        import smtplib

        from .bot import Bot


        class MailOutputBot(Bot):
            def process(self):
                event = self.receive_message()
                with smtplib.SMTP("localhost") as smtp:
                    smtp.sendmail("bot@example.org", ["soc@example.org"], event)
        """,
}


def test_ack_by_a_pop_of_the_processing_list_is_an_ack_through_the_pipeline(tmp_path):
    """intelmq's shape: the bot's base class acks after `process()` through a pipeline, one of whose
    implementations acks with `basic_ack()` and another by popping a Redis processing list. The pop
    is that pipeline's ack, not a receive that makes `_acknowledge()` a consumer of its own."""
    write(tmp_path, BOT_FRAMEWORK)
    found = [(name, rule) for name, _, rule, _, _ in findings(tmp_path, "bots")]
    assert ("mail.py", "IDEM001") in found, found


def test_a_module_imported_from_its_package_resolves_to_it():
    """`from . import pipeline` names the package's module `.pipeline` (not `..pipeline`, the
    parent package's), as `from .pipeline import create` names `.pipeline.create`."""
    import libcst as cst

    from idemlint.index import ModuleIndex

    index = ModuleIndex(cst.parse_module("from . import pipeline\nfrom .. import util as u\nfrom .a import b\n"))
    assert index.imports == {"pipeline": ".pipeline", "u": "..util", "b": ".a.b"}


EVENT_SOURCE = {
    "relay/__init__.py": "",
    "relay/source.py": """
        from confluent_kafka import Consumer


        class KafkaEventSource:
            def __init__(self, config):
                self.consumer = Consumer({**config, "enable.auto.commit": False})

            def events(self):
                while True:
                    msg = self.consumer.poll(1.0)
                    if msg is not None and not msg.error():
                        yield msg

            def _store_offsets(self, msg):
                self.consumer.store_offsets(message=msg)

            def ack(self, msg, processed=True):
                if processed:
                    self._store_offsets(msg)
        """,
    "relay/pipeline.py": """
        import json

        import requests

        from .source import KafkaEventSource


        class Pipeline:
            source: KafkaEventSource

            def __init__(self, source):
                self.source = source

            def run(self):
                for msg in self.source.events():
                    requests.post("https://partner.example.com/hook", json=json.loads(msg.value()))
                    self._ack_event(msg)

            def _ack_event(self, msg):
                self.source.ack(msg, True)
        """,
}


def test_an_ack_helper_followed_into_a_method_of_its_own_class(tmp_path):
    """datahub-actions' shape: the pipeline acks through the event source's `ack()`, which stores the
    offset in a method of its own class named like no ack (`self._store_offsets(msg)`)."""
    write(tmp_path, EVENT_SOURCE)
    found = findings(tmp_path, "relay")
    assert [(name, rule, conf) for name, _, rule, conf, _ in found] == [("pipeline.py", "IDEM001", "medium")], found


def test_a_same_module_class_by_annotation_resolves_the_ack_in_a_project_scan(tmp_path):
    """`self.source.ack(msg)` where `self.source` is annotated with a class of the same module: the
    project scan resolves it and finds the commit (alone, the fixture's ack is the fallback's, at low)."""
    fixture = Path(__file__).resolve().parents[1] / "fixtures/confluent_kafka/bad_pipeline_acks_through_source_checkpoint.py"
    (tmp_path / "relay.py").write_text(fixture.read_text())
    found = findings(tmp_path, "relay.py")
    assert [(rule, conf) for _, _, rule, conf, _ in found] == [("IDEM001", "medium")], found


def test_a_caller_of_a_method_that_loops_over_a_consumer_is_no_consumer(tmp_path):
    """matyan's worker: `start()` prepares storage, then awaits `self._consume_loop()`, which iterates
    an aiokafka consumer and commits. `start()` holds no message: the loop is the consumer."""
    write(tmp_path, {"worker.py": """
        import boto3
        import requests
        from aiokafka import AIOKafkaConsumer


        class Worker:
            async def start(self):
                boto3.client("s3").create_bucket(Bucket="exports")
                self._consumer = AIOKafkaConsumer("orders", group_id="w", enable_auto_commit=False)
                await self._consumer.start()
                await self._consume_loop()

            async def _consume_loop(self):
                async for record in self._consumer:
                    requests.post("https://partner.example.com/hook", data=record.value)
                    await self._consumer.commit()
        """})
    found = findings(tmp_path, "worker.py")
    assert [(line, rule) for _, line, rule, _, _ in found] == [(16, "IDEM001")], found


CONTACT_CACHE = {
    "crm/__init__.py": "",
    "crm/cache.py": """
        import json

        import redis


        class Cache:
            def __init__(self):
                self.r = redis.Redis(host="redis")

            def get(self, key):
                raw = self.r.get(key)
                return json.loads(raw) if raw else None

            def set(self, key, value):
                self.r.set(key, json.dumps(value))
        """,
    "crm/consumer.py": """
        import json

        import requests

        from .cache import Cache

        cache = Cache()


        def on_signup(ch, method, properties, body):
            signup = json.loads(body)
            contact_id = signup["contact_id"]
            cache.set(signup["email"], {"contact_id": contact_id, "plan": signup["plan"]})
            requests.post("https://crm.example.com/api/welcome", json=signup, timeout=10)
            ch.basic_ack(delivery_tag=method.delivery_tag)
        """,
}


def test_a_cache_helper_keyed_by_other_data_is_no_processed_record(tmp_path):
    """c7n-mailer's shape: a project cache helper `set(key, value)` given an id in the value (the
    signup's contact id) and an e-mail address as the key, before a POST. The helper's generic `key` is no
    id of the message's, and the value written is no key: no processed record, so no IDEM002."""
    from idemlint.analysis import detect, parse
    from idemlint.project import Project

    write(tmp_path, CONTACT_CACHE)
    found = findings(tmp_path, "crm")
    assert [(name, rule) for name, _, rule, _, _ in found] == [("consumer.py", "IDEM001")], found
    project = Project([str(tmp_path)], scanned=[str(tmp_path)])
    project.start_file()
    path = tmp_path / "crm" / "consumer.py"
    facts = detect(parse(path.read_bytes()), project, str(path))
    assert [e.kind for c in facts.consumers for e in c.events if e.kind == "marker"] == []
