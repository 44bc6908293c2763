"""`idemlint.records.dataclass` behaves as `dataclasses.dataclass` for the records idemlint makes."""

from __future__ import annotations

import dataclasses
import pickle
from typing import List, Optional

import pytest

from idemlint.records import dataclass


@dataclass(frozen=True)
class Point:
    x: int
    y: int = 0
    tags: List[str] = dataclasses.field(default_factory=list)


@dataclass
class Box:
    name: str
    items: List[int] = dataclasses.field(default_factory=list)
    note: Optional[str] = None


@dataclass(frozen=True)
class Point3(Point):
    z: int = 0


@dataclasses.dataclass(frozen=True)
class StdPoint:
    x: int
    y: int = 0
    tags: List[str] = dataclasses.field(default_factory=list)


def test_init_defaults_and_factories():
    p = Point(1)
    assert (p.x, p.y, p.tags) == (1, 0, [])
    assert Point(1).tags is not Point(1).tags  # a fresh list each time
    assert Point(1, 2, ["a"]).tags == ["a"] and Point(x=3, y=4).y == 4
    b = Box("b")
    assert (b.name, b.items, b.note) == ("b", [], None)
    with pytest.raises(TypeError):
        Point()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Point(1, z=2)  # type: ignore[call-arg]


def test_repr_and_eq_as_the_standard_ones():
    assert repr(Point(1, 2)) == repr(StdPoint(1, 2)).replace("StdPoint", "Point")
    assert repr(Box("b")) == "Box(name='b', items=[], note=None)"
    assert Point(1, 2) == Point(1, 2) and Point(1, 2) != Point(2, 1)
    assert Point(1, 2) != StdPoint(1, 2) and Point(1, 2).__eq__(StdPoint(1, 2)) is NotImplemented
    assert Point3(1, 2, [], 3) != Point(1, 2)  # another class, even a subclass
    assert Point3(1, 2, [], 3) == Point3(1, 2, z=3)


def test_frozen_records_refuse_assignment_and_hash_their_fields():
    p = Point(1, 2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.x = 5  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del p.y  # type: ignore[misc]
    assert hash(Point(1, 2, ())) == hash(Point(1, 2, ())) == hash(StdPoint(1, 2, ()))  # type: ignore[arg-type]
    assert len({Point(1, 2, ()), Point(1, 2, ()), Point(2, 1, ())}) == 2  # type: ignore[arg-type]


def test_mutable_records_are_unhashable_and_assignable():
    b = Box("b")
    b.note = "n"
    assert b.note == "n"
    with pytest.raises(TypeError):
        hash(b)


def test_fields_replace_asdict_and_pickle_work():
    p = Point3(1, 2, ["t"], 3)
    assert [f.name for f in dataclasses.fields(p)] == ["x", "y", "tags", "z"]
    assert dataclasses.replace(p, y=9) == Point3(1, 9, ["t"], 3)
    assert dataclasses.asdict(p) == {"x": 1, "y": 2, "tags": ["t"], "z": 3}
    assert dataclasses.is_dataclass(Box) and Point3.__match_args__ == ("x", "y", "tags", "z")
    assert pickle.loads(pickle.dumps(p)) == p and pickle.loads(pickle.dumps(Box("b", [1]))) == Box("b", [1])


def test_a_method_the_class_defines_is_kept():
    @dataclass(frozen=True)
    class Named:
        name: str

        def __repr__(self) -> str:
            return f"<{self.name}>"

        def __hash__(self) -> int:
            return 7

    assert repr(Named("a")) == "<a>" and hash(Named("a")) == 7


def test_the_methods_are_compiled_when_first_called_and_then_are_the_class_own():
    from unittest import mock

    from idemlint import records

    compiled = []
    real_exec = exec

    def counting(source, *args):
        compiled.append(source)
        return real_exec(source, *args)

    with mock.patch.object(records, "exec", counting, create=True):
        @dataclass(frozen=True)
        class Order:
            order_id: str
            cents: int = 0

        @dataclass
        class Never:
            a: int

        assert compiled == []  # nothing compiled at the class's definition
        stub = Order.__init__
        first = Order("o-1", 5)
        assert len(compiled) == 1 and "def __init__(self, order_id, cents=__default_cents)" in compiled[0]
        assert Order.__init__ is not stub and Order.__init__.__qualname__.endswith("Order.__init__")
        # the others came with it, and work as the standard ones
        assert first == Order("o-1", 5) and hash(first) == hash(Order("o-1", 5)) and repr(first) == \
            "test_the_methods_are_compiled_when_first_called_and_then_are_the_class_own.<locals>.Order(order_id='o-1', cents=5)"
        with pytest.raises(dataclasses.FrozenInstanceError):
            first.cents = 6  # type: ignore[misc]
        assert len(compiled) == 1
        # an unpickled record compares as before
        again = pickle.loads(pickle.dumps(Point(1, 2)))
        assert again == Point(1, 2)
        assert Never.__hash__ is None  # a mutable record is unhashable from the start


def test_what_it_does_not_make_is_refused():
    with pytest.raises(TypeError):
        dataclass(order=True)  # type: ignore[call-overload]
    with pytest.raises(TypeError):
        @dataclass
        class WithPostInit:
            a: int

            def __post_init__(self) -> None:
                pass
    with pytest.raises(TypeError):
        @dataclass
        class Hidden:
            a: int = dataclasses.field(default=0, repr=False)


def test_every_record_class_of_idemlint_is_made_by_it():
    """The start-up saving holds only if no module goes back to the standard decorator."""
    import pathlib
    import re

    src = pathlib.Path(__file__).resolve().parent.parent / "src" / "idemlint"
    offenders = [str(p.relative_to(src)) for p in src.rglob("*.py") if p.name != "records.py"
                 and re.search(r"^from dataclasses import [^\n]*\bdataclass\b|@dataclasses\.dataclass",
                               p.read_text(encoding="utf-8"), re.M)]
    assert offenders == []
