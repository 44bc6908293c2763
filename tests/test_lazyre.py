"""Module-level regexes compile on first use (`idemlint.lazyre`): every one of them compiles, and a
stand-in answers as the compiled pattern does."""

from __future__ import annotations

import importlib
import pkgutil
import re

import idemlint
from idemlint.lazyre import DEFERRED, LazyPattern, lazy_re


def _import_all() -> None:
    for info in pkgutil.walk_packages(idemlint.__path__, "idemlint."):
        if info.name != "idemlint.__main__":  # runs the command
            importlib.import_module(info.name)


def test_every_deferred_pattern_of_idemlint_compiles():
    _import_all()
    assert len(DEFERRED) >= 90  # the module-level patterns of the engine, the rules and the reports
    for pattern in DEFERRED:
        assert isinstance(pattern.compiled(), re.Pattern), pattern


def test_a_stand_in_answers_as_the_compiled_pattern():
    stand_in = lazy_re(r"(?P<verb>publish|send)_(\w+)", re.I)
    assert isinstance(stand_in, LazyPattern) and "_compiled" not in stand_in.__dict__  # nothing compiled yet
    compiled = re.compile(r"(?P<verb>publish|send)_(\w+)", re.I)
    for text in ("Publish_order", "x send_mail y", "nothing"):
        assert bool(stand_in.search(text)) == bool(compiled.search(text))
        assert stand_in.sub("<\\g<verb>>", text) == compiled.sub("<\\g<verb>>", text)
        assert stand_in.findall(text) == compiled.findall(text)
    assert stand_in.pattern == compiled.pattern and stand_in.flags == compiled.flags
    assert stand_in.groupindex == compiled.groupindex and stand_in.scanner  # `scanner`: through __getattr__
    assert stand_in.compiled() is stand_in.compiled()  # compiled once
