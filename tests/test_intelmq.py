"""IntelMQ bots (`detect.intelmq`), scanned as projects:

- a bot whose IntelMQ base class is reached through a base class of the project's own, in another
  module, is still an IntelMQ bot: its `acknowledge_message()` is a library ack and its
  `send_message()` a pipeline publish;
- inside IntelMQ's own sources (`intelmq/lib/bot.py` is project code) the adapter stays out: the
  engine follows the project's base class to the pipeline's `lpush`, as for any project wrapper.
"""

from __future__ import annotations

from pathlib import Path

from harness import project_findings

PROJECT_BASE = '''
from intelmq.lib.bot import ExpertBot


class CertBot(ExpertBot):
    """Shared settings of the CERT's experts."""
    feed_code: str = "cert"
'''

EXPERT = '''
from certbots.base import CertBot


class FeedCodeExpertBot(CertBot):
    def process(self):
        event = self.receive_message()
        event.add("feed.code", self.feed_code, overwrite=True)
        self.send_message(event)
        self.acknowledge_message()
'''

OWN_BOT = '''
import pika


class Bot:
    def __init__(self):
        self.channel = pika.BlockingConnection().channel()
        self.delivery_tag = None

    def receive_message(self):
        method, properties, body = self.channel.basic_get("source")
        self.delivery_tag = method.delivery_tag
        return body

    def send_message(self, message):
        self.channel.basic_publish(exchange="", routing_key="destination", body=message)

    def acknowledge_message(self):
        self.channel.basic_ack(delivery_tag=self.delivery_tag)


class ExpertBot(Bot):
    pass
'''

OWN_EXPERT = '''
from intelmq.lib.bot import ExpertBot


class CopyExpertBot(ExpertBot):
    def process(self):
        event = self.receive_message()
        self.send_message(event)
        self.acknowledge_message()
'''


def test_bot_through_a_project_base_class(tmp_path: Path):
    found = project_findings(tmp_path, {"certbots/__init__.py": "", "certbots/base.py": PROJECT_BASE,
                                        "certbots/feed_code.py": EXPERT})
    assert ("feed_code.py", "IDEM001", "high") in found
    assert ("feed_code.py", "IDEM003", "low") in found


def test_intelmq_own_sources_are_followed_not_taken_for_the_library(tmp_path: Path):
    files = {"intelmq/__init__.py": "", "intelmq/lib/__init__.py": "", "intelmq/lib/bot.py": OWN_BOT,
             "intelmq/bots/__init__.py": "", "intelmq/bots/copy.py": OWN_EXPERT}
    copy = [f for f in project_findings(tmp_path, files, messages=True) if f[0] == "copy.py" and f[1] == "IDEM001"]
    assert copy, "the copy bot's forward before its ack is found through the project's base class"
    assert all("IntelMQ" not in f[3] and "basic_publish" in f[3] for f in copy), copy
