"""Rule base class: declarative metadata plus generator hooks over detected units."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Iterator

if TYPE_CHECKING:  # pragma: no cover
    from .model import Consumer, ModuleFacts, Producer, RawFinding


class Rule:
    """A rule names one hazard. Subclasses set the metadata and implement one or both hooks.

    Hooks yield `RawFinding`s (node-based); the engine turns them into positioned `Finding`s.
    Rules never parse, read files, or print.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    preview: ClassVar[bool] = False

    def check_consumer(self, consumer: "Consumer", module: "ModuleFacts") -> Iterator["RawFinding"]:
        return iter(())

    def check_producer(self, producer: "Producer", module: "ModuleFacts") -> Iterator["RawFinding"]:
        return iter(())
