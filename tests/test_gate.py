"""The engine's cheap first pass (`gate.may_hold_units`): it may only skip modules in which
`detect` would find nothing, and it must skip the common harmless ones."""

from __future__ import annotations

import textwrap

import pytest

from harness import FIXTURES, fixture_files
from idemlint import analysis, patterns
from idemlint.analysis import detect, may_hold_units, parse, passes_prefilter
from idemlint.codewords import alternation, code_words
from idemlint import gate
from idemlint.config import Config

FILES = fixture_files()


def _src(text: str) -> bytes:
    return textwrap.dedent(text).encode()


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(FIXTURES)) for p in FILES])
def test_every_fixture_with_a_consumer_or_producer_passes_the_gate(path):
    source = path.read_bytes()
    try:
        facts = detect(parse(source), None, str(path))
    except analysis.ParseFailure:
        return
    if facts.consumers or facts.producers:
        assert may_hold_units(source), "the gate would skip a module that holds a consumer or producer"


SKIPPED = {
    "docstring only": '''
        """Call basic_ack() after commit; see kafka and celery docs for acks_late."""
        import json

        def load(text):
            return json.loads(text)
    ''',
    "a socket's send, no broker import": '''
        import socket

        def ping(sock: socket.socket) -> None:
            sock.send(b"ping")
    ''',
    "a cache delete, no SQS keywords": '''
        def evict(cache, key):
            cache.delete(key)
    ''',
    "a task decorator with no celery and no late ack": '''
        from myapp import app

        @app.task
        def add(x, y):
            return x + y
    ''',
    "a Kafka client's own connection code": '''
        from kafka.protocol import Request

        def flush(conn, request: Request):
            conn.send(request)
            conn.commit_state()
    ''',
    "kombu without a producer or consumer": '''
        from kombu import Exchange

        def announce(bus, event):
            bus.publish(event)
    ''',
    "a database module's result[\"Records\"] (no function's first parameter)": '''
        class JobDB:
            def get_jobs(self, cond):
                result = self._query(cond)
                return [row for row in result["Records"]]
    ''',
    "a comment naming a broker": '''
        # kafka consumer: commit() after processing
        def process(items):
            return [i for i in items]
    ''',
}

KEPT = {
    "lambda records": '''
        def handler(event, context):
            for record in event["Records"]:
                charge(record["body"])
    ''',
    "lambda records by get(), annotated, across lines": '''
        def handler(
            event: dict,
            context,
        ):
            for record in event.get('Records', []):
                charge(record["body"])
    ''',
    "lambda records in a method-style reader with *args": '''
        def handler(*event):
            return event["Records"]
    ''',
    "kafka producer": '''
        from kafka import KafkaProducer

        producer = KafkaProducer()

        def emit(order):
            producer.send("orders", order)
    ''',
    "kafka commit on a consumer passed in": '''
        import confluent_kafka

        def drain(consumer):
            msg = consumer.poll(1.0)
            consumer.commit(message=msg)
    ''',
    "kombu producer": '''
        from kombu import Connection

        def announce(conn, event):
            with conn.Producer() as producer:
                producer.publish(event)
    ''',
    "sqs ack by keywords": '''
        def handle(sqs, url, message):
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    ''',
    "celery task acked late": '''
        from myapp import app

        @app.task(acks_late=True)
        def charge(order_id):
            pass
    ''',
    "celery task in a module importing celery": '''
        import celery

        @app.task
        def charge(order_id):
            pass
    ''',
    "shared_task under another name": '''
        from celery import shared_task as task_

        @task_
        def charge(order_id):
            pass
    ''',
    "a message's own ack": '''
        async def on_message(msg):
            await msg.ack()
    ''',
    "an ack through a project helper": '''
        from .util import ack_message

        def on_message(ch, method, properties, body):
            ack_message(ch, method.delivery_tag)
    ''',
    "a postponed annotation naming the consumer class": '''
        from __future__ import annotations
        import kafka

        def loop(consumer: "kafka.KafkaConsumer"):
            for msg in consumer:
                charge(msg)
    ''',
    "not valid for CPython (the parser reports it)": '''
        print "hello"
        channel.basic_ack(delivery_tag=1)
    ''',
}


@pytest.mark.parametrize("name", sorted(SKIPPED))
def test_harmless_modules_are_not_parsed(name):
    source = _src(SKIPPED[name])
    assert not may_hold_units(source)


@pytest.mark.parametrize("name", sorted(KEPT))
def test_modules_that_may_hold_units_are_parsed(name):
    assert may_hold_units(_src(KEPT[name]))


def test_the_gate_skips_what_the_prefilter_lets_through():
    """Broker words in prose or comments pass the text prefilter; the gate reads only code."""
    for name in ("docstring only", "a comment naming a broker"):
        assert passes_prefilter(_src(SKIPPED[name])), name


def test_declared_patterns_turn_the_gate_off():
    source = _src(SKIPPED["a cache delete, no SQS keywords"])
    patterns.activate((("ack", ("cache.delete",)),))
    try:
        assert may_hold_units(source)
    finally:
        patterns.activate(())
    assert not may_hold_units(source)


def test_compiler_warnings_are_not_printed(capfd):
    source = b'def f(x):\n    return x is "a" or "\\d"\n'
    assert code_words(source) is not None
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_code_words_reads_names_not_prose():
    text, owned, class_names = code_words(_src('''
        """A docstring about basic_ack."""
        import kafka.consumer as kc

        class Worker:
            def handle(self, message, *, retries=3):
                self.client.publish(topic="t", message_id=message.id)

                def inner():
                    self.done()

        class Idle(Worker):
            def wait(self):
                pass
    '''))
    names = set(text.splitlines())
    assert {"kafka.consumer", "kc", "client", "publish", "topic", "message_id", "retries", "message"} <= names
    assert "A docstring about basic_ack." not in names
    methods = [name for _, name in owned]
    assert "handle" in methods and "inner" not in methods and ("Worker", "handle") in owned
    # what the code inside each class's body uses (its methods and their nested functions), not
    # the names the body binds (`handle`, `wait`)
    assert {"client", "publish", "done"} <= class_names["Worker"] and "handle" not in class_names["Worker"]
    assert "wait" not in class_names["Idle"]


def test_alternation_matches_the_same_words_as_a_flat_one():
    import re

    words = ["ack", "ack_ids", "acknowledge", "kafka", "a", "ab", "b_c"]
    factored = re.compile(r"\b" + alternation(words) + r"\b")
    flat = re.compile(r"\b(?:" + "|".join(sorted(words, key=len, reverse=True)) + r")\b")
    for text in ["ack", "ack_id", "ack_ids", "acknowledged", "x.kafka.y", "a ab b_c", "abc", "track"]:
        assert [m.group(0) for m in factored.finditer(text)] == [m.group(0) for m in flat.finditer(text)], text


def test_a_module_let_in_by_adjacency_alone_needs_an_ack_or_publish_name_in_its_text(monkeypatch):
    """A module that names no broker itself but imports a project module that does (`adjacent`)
    goes to the compiler only if its text names an ack, a publish or an ack helper: without one
    the adjacent branch has nothing to find, so it is not compiled at all (and a module that does
    not compile is clean there, as one the prefilter turns away is)."""
    from idemlint import gate

    compiled = []
    monkeypatch.setattr(gate, "code_words", lambda source: compiled.append(source) or code_words(source))
    adjacent = frozenset({"confluent_kafka"})
    plain = _src("""
        from .clients import build

        def report(rows):
            return [row.total for row in build(rows)]
    """)
    assert not passes_prefilter(plain)
    assert not gate.may_hold_units(plain, adjacent)
    assert not gate.may_hold_units(b"def broken(:\n    pass\n", adjacent)
    assert compiled == []
    committing = _src("""
        from .clients import make_consumer

        def run():
            consumer = make_consumer()
            while True:
                msg = consumer.poll(1.0)
                consumer.commit(msg)
    """)
    assert gate.may_hold_units(committing, adjacent)
    assert gate.may_hold_units(b"def broken(:\n    consumer.commit()\n", adjacent)  # the parser reports it
    assert len(compiled) == 2


@pytest.mark.parametrize("source, matters", [
    (b"import json\n\ndef total(items):\n    return sum(i['n'] for i in items)\n", False),
    (b"from .bus import publish_event\n\ndef on_saved(order):\n    publish_event(order)\n", True),
    (b"from .tasks import task\n\n@task\ndef charge(order_id):\n    pass\n", True),
    (b"from .bot import Bot\n\nclass Mail(Bot):\n    pass\n", True),
    (b"def done(queue, m):\n    queue.ack(m)\n", True),
])
def test_adjacency_is_followed_only_where_it_can_let_a_module_in(source, matters):
    """A module the prefilter turns away is let in by the project modules it imports only through an
    ack or publish name, a decorator, a subclass or a publish-helper call: without any, its imports
    are not followed (`api._admitted`)."""
    assert gate.adjacency_may_matter(source) is matters


def test_a_module_with_nothing_adjacency_could_explain_is_not_followed(tmp_path, monkeypatch):
    from idemlint import api, origins

    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "bus.py").write_text("import pika\n")
    plain = tmp_path / "pkg" / "plain.py"
    plain.write_text("from .bus import x\n\ndef total(items):\n    return len(items)\n")
    asked = []
    monkeypatch.setattr(origins, "adjacent_words", lambda *a: asked.append(a) or frozenset({"pika"}))
    project = api.make_project(Config(root=str(tmp_path)), [str(tmp_path)])
    assert not api._admitted(lambda s: False, plain.read_bytes(), project, str(plain))
    assert asked == []
    assert api._admitted(lambda s: False, plain.read_bytes(), project, str(plain), declared=True)
    assert len(asked) == 1


def _bot_project(tmp_path, base_body: str):
    """A package whose `base.py` holds `base_body` and whose `mail.py` subclasses its `Bot`,
    overriding the hook `process` (and naming nothing of a broker itself)."""
    pkg = tmp_path / "bots"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "base.py").write_text(textwrap.dedent(base_body))
    mail = pkg / "mail.py"
    mail.write_bytes(_src('''
        from .base import Bot


        class MailBot(Bot):
            def process(self, message):
                send_mail(message["to"], message["body"])
    '''))
    from idemlint.project import Project

    return Project([str(tmp_path)]), mail


def test_a_hook_method_counts_when_a_project_base_class_that_names_a_broker_may_ack_it(tmp_path):
    """A method named like a hook (`process`) is a handler only if a base class the engine can find
    calls it and acks (`analysis._hook_handlers`): a class of the module, or one of a project module
    that names a broker. Without the project, an imported base is never found."""
    project, mail = _bot_project(tmp_path, '''
        import pika


        class Bot:
            def run(self, channel, method, body):
                self.process(body)
                channel.basic_ack(delivery_tag=method.delivery_tag)
    ''')
    source = mail.read_bytes()
    assert gate.may_hold_units(source, frozenset(), project, str(mail))
    assert not gate.may_hold_units(source)  # no project: `Bot` cannot be looked up
    facts = detect(parse(source), project, str(mail))
    assert [c.function.name for c in facts.consumers] == ["process"]


def test_a_hook_method_of_a_class_whose_bases_name_no_broker_is_not_parsed(tmp_path):
    project, mail = _bot_project(tmp_path, '''
        class Bot:
            def run(self, rows):
                for row in rows:
                    self.process(row)
    ''')
    assert not gate.may_hold_units(mail.read_bytes(), frozenset(), project, str(mail))


def test_a_hook_method_is_not_parsed_when_no_base_calls_it(tmp_path):
    """A base class of a broker module that never calls `self.process(...)` cannot ack after it:
    the subclass's module holds no consumer and is not parsed."""
    project, mail = _bot_project(tmp_path, '''
        import pika


        class Bot:
            def run(self, channel, method, body):
                self.log(body)
                channel.basic_ack(delivery_tag=method.delivery_tag)
    ''')
    assert not gate.may_hold_units(mail.read_bytes(), frozenset(), project, str(mail))


def test_a_hook_method_counts_when_a_base_of_a_base_in_another_module_calls_it(tmp_path):
    """The bases are followed from module to module: `Bot` (base.py) derives from `Runner`
    (runner.py), whose loop calls `self.process(...)` and acks."""
    project, mail = _bot_project(tmp_path, '''
        import pika
        from .runner import Runner


        class Bot(Runner):
            queue = "mail"
    ''')
    (tmp_path / "bots" / "runner.py").write_text(textwrap.dedent('''
        import pika


        class Runner:
            def run(self, channel, method, body):
                self.process(body)
                channel.basic_ack(delivery_tag=method.delivery_tag)
    '''))
    source = mail.read_bytes()
    assert gate.may_hold_units(source, frozenset(), project, str(mail))
    facts = detect(parse(source), project, str(mail))
    assert [c.function.name for c in facts.consumers] == ["process"]


@pytest.mark.parametrize("source, kept", [
    # a library's base class (socketserver, threading) is never looked up for an ack
    ("import socketserver\n\nclass Echo(socketserver.BaseRequestHandler):\n    def handle(self):\n"
     "        self.request.sendall(self.request.recv(1024))\n", False),
    ("from threading import Thread\n\nclass Job(Thread):\n    def process(self, item):\n        print(item)\n", False),
    ("class Job(object, metaclass=Meta):\n    def handle(self, item):\n        print(item)\n", False),
    # a base class of the same module is, when its code uses one of the class's methods and an ack
    # (it may ack after calling the hook)...
    ("class Base:\n    def run(self, m):\n        self.handle(m)\n        m.ack()\n\nclass Job(Base):\n"
     "    def handle(self, item):\n        print(item)\n", True),
    ("class Root:\n    def run(self, m):\n        self . handle (m)\n        m.ack()\n\nclass Base(Root):\n    pass\n\n"
     "class Job(Base):\n    def handle(self, item):\n        print(item)\n", True),
    # ... and not when nothing calls them: no base can ack after a hook it never calls
    ("class Base:\n    pass\n\nclass Job(Base):\n    def handle(self, item):\n        print(item)\n", False),
    ("class Base:\n    def run(self, m):\n        self.handle_other(m)\n\nclass Job(Base):\n"
     "    def handle(self, item):\n        print(item)\n", False),
    # a base bound some other way, or a base list the text cannot read: the engine decides
    ("Base = make_base()\n\nclass Job(Base):\n    def handle(self, item):\n        print(item)\n", True),
    ("class Job(make_base()):\n    def handle(self, item):\n        print(item)\n", True),
])
def test_hook_methods_of_classes_whose_bases_cannot_ack_are_not_parsed(source, kept):
    assert gate.may_hold_units(source.encode()) is kept


def test_every_adapter_that_acks_by_a_with_block_names_its_with_items():
    """The gate takes a base class for one that may ack after a hook only if its methods use an ack
    name or a `with_names` word (`gate._may_ack`): an adapter whose `with_ack` can find an ack must
    say which called names it looks at."""
    from idemlint.detect import ADAPTERS
    from idemlint.detect.base import Adapter

    for adapter in ADAPTERS:
        if type(adapter).with_ack is not Adapter.with_ack:
            assert adapter.with_names, type(adapter).__name__


def test_a_base_class_that_calls_the_hook_but_never_acks_lets_nothing_in():
    source = _src('''
        class Base:
            def run(self, items):
                for item in items:
                    self.handle(item)
                    self.log(item)


        class Job(Base):
            def handle(self, item):
                print(item)
    ''')
    assert not gate.may_hold_units(source)
    acking = source.replace(b"self.log(item)", b"self.ack(item)")
    assert gate.may_hold_units(acking)
    processing = source.replace(b"self.handle(item)\n", b"async with item.process():\n                        self.handle(item)\n")
    assert gate.may_hold_units(processing)


def test_a_call_of_a_publishing_helper_of_an_imported_module_lets_a_broker_module_in():
    """`self.queue.write_one(item)`, where an imported project module's `write_one` publishes with pika
    (`origins.PUBLISHING` among the adjacent words): let in whatever the helper's name, also in a
    module that names a broker itself (threatingestor's `FSWatcher.process`)."""
    from idemlint.origins import PUBLISHING

    source = _src('''
        import pika


        class Watcher:
            def tick(self, item):
                self.queue.write_one({"rules": item})
    ''')
    assert passes_prefilter(source)
    assert not gate.may_hold_units(source, frozenset({"pika"}))
    assert gate.may_hold_units(source, frozenset({"pika", PUBLISHING}))
