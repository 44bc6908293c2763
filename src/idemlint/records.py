"""`dataclass`, the standard one's methods made with one `exec` per class, when first called.

On Python before 3.13 `dataclasses.dataclass` compiles each method it adds (`__init__`, `__repr__`,
`__eq__`, and `__setattr__`, `__delattr__`, `__hash__` of a frozen class) with an `exec` of its own.
This decorator lets the standard one collect the fields (so `dataclasses.fields`, `replace`, `asdict`
and pickling work as before), asks it for none of those methods, and writes them all in one source,
compiled once, the first time one of them is called (a class never instantiated is never compiled):
for idemlint's 58 record classes, the imports of a one-file check measured 49 -> 42 ms with one
`exec` per class at import (in-process, medians of 15 runs; the standard decorator's whole work on
them is ~45 ms, most of it the field collection kept here).

It covers what idemlint's records use, and says so when asked for more: `@dataclass` and
`@dataclass(frozen=True)`, fields with a default or a `field(default_factory=...)` (every field in
`__init__`, `__repr__`, `__eq__` and the hash), no `__post_init__`. The methods behave as the
standard ones: `__eq__` compares the fields of two objects of the same class (else
`NotImplemented`), a frozen class raises `dataclasses.FrozenInstanceError` on assignment and hashes
its fields, a mutable one is unhashable, and a method the class body defines is kept.
"""

from __future__ import annotations

import dataclasses
import reprlib
from typing import Any, Callable, Dict, List, Optional, Union

_STANDARD = dataclasses.dataclass
_SUPPORTED = {"frozen"}


def dataclass(cls: Optional[type] = None, /, **options: Any) -> Union[type, Callable[[type], type]]:
    """`@dataclass` or `@dataclass(frozen=True)`: see the module's docstring."""
    unknown = set(options) - _SUPPORTED
    if unknown:
        raise TypeError(f"idemlint.records.dataclass does not take {', '.join(sorted(unknown))}")
    frozen = bool(options.get("frozen", False))

    def wrap(klass: type) -> type:
        return _make(klass, frozen)

    return wrap if cls is None else wrap(cls)


def _make(cls: type, frozen: bool) -> type:
    if "__post_init__" in cls.__dict__ or any(hasattr(base, "__post_init__") for base in cls.__mro__[1:]):
        raise TypeError(f"{cls.__name__}: idemlint.records.dataclass makes no __post_init__ call")
    if not cls.__dict__.get("__doc__"):
        # the standard decorator documents a class without a docstring by its signature, with
        # `inspect.signature` (slow); the class's name says as much here
        cls.__doc__ = cls.__name__
    cls = _STANDARD(cls, init=False, repr=False, eq=False)  # type: ignore[call-overload]
    fields = list(dataclasses.fields(cls))
    for f in fields:
        if not (f.init and f.repr and f.compare and f.hash is None and not f.kw_only):
            raise TypeError(f"{cls.__name__}.{f.name}: idemlint.records.dataclass takes plain fields only")
    env: Dict[str, Any] = {"MISSING": dataclasses.MISSING, "FrozenInstanceError": dataclasses.FrozenInstanceError,
                           "__object": object, "__cls": cls}
    lines: List[str] = []
    made: List[str] = []
    own = cls.__dict__
    if "__init__" not in own:
        params, body = [], []
        for f in fields:
            if f.default_factory is not dataclasses.MISSING:
                env[f"__factory_{f.name}"] = f.default_factory
                params.append(f"{f.name}=MISSING")
                value = f"__factory_{f.name}() if {f.name} is MISSING else {f.name}"
            else:
                if f.default is not dataclasses.MISSING:
                    env[f"__default_{f.name}"] = f.default
                    params.append(f"{f.name}=__default_{f.name}")
                else:
                    params.append(f.name)
                value = f.name
            body.append(f"  __object.__setattr__(self, {f.name!r}, {value})" if frozen
                        else f"  self.{f.name} = {value}")
        lines += [f"def __init__(self{''.join(', ' + p for p in params)}):", *(body or ["  pass"])]
        made.append("__init__")
    if "__repr__" not in own:
        shown = ", ".join(f"{f.name}={{self.{f.name}!r}}" for f in fields)
        lines += ["def __repr__(self):", f"  return f'{{self.__class__.__qualname__}}({shown})'"]
        made.append("__repr__")
    values = "".join(f"self.{f.name}," for f in fields)
    others = "".join(f"other.{f.name}," for f in fields)
    if "__eq__" not in own:
        lines += ["def __eq__(self, other):", "  if other.__class__ is self.__class__:",
                  f"    return ({values}) == ({others})", "  return NotImplemented"]
        made.append("__eq__")
    if frozen:
        for name in ("__setattr__", "__delattr__"):
            if name in own:
                raise TypeError(f"Cannot overwrite attribute {name} in class {cls.__name__}")
        names = tuple(f.name for f in fields)
        env["__names"] = names
        lines += ["def __setattr__(self, name, value):",
                  "  if type(self) is __cls or name in __names:",
                  "    raise FrozenInstanceError(f'cannot assign to field {name!r}')",
                  "  super(__cls, self).__setattr__(name, value)",
                  "def __delattr__(self, name):",
                  "  if type(self) is __cls or name in __names:",
                  "    raise FrozenInstanceError(f'cannot delete field {name!r}')",
                  "  super(__cls, self).__delattr__(name)"]
        made += ["__setattr__", "__delattr__"]
    explicit_hash = "__hash__" in own and not (own["__hash__"] is None and "__eq__" in own)
    if frozen and not explicit_hash:
        lines += ["def __hash__(self):", f"  return hash(({values}))"]
        made.append("__hash__")
    pending = _Pending(cls, "\n".join(lines), env, made)
    for name in made:
        setattr(cls, name, pending.stub(name))
    if not frozen and not explicit_hash:
        cls.__hash__ = None  # type: ignore[assignment]  # mutable and compared by value: unhashable
    return cls


class _Pending:
    """The methods of one class, compiled when one of them is first called: until then each is a stub
    that compiles them all, puts them on the class in its own place, and runs the one called. A
    one-file check instantiates few of the record classes, and pays for those only."""

    def __init__(self, cls: type, source: str, env: Dict[str, Any], made: List[str]) -> None:
        self.cls, self.source, self.env, self.made = cls, source, env, made
        self.methods: Optional[Dict[str, Callable[..., Any]]] = None

    def materialise(self) -> Dict[str, Callable[..., Any]]:
        if self.methods is None:
            namespace: Dict[str, Any] = {}
            exec(self.source, self.env, namespace)  # noqa: S102 - source written by `_make` from the field names
            methods = {}
            for name in self.made:
                method = namespace[name]
                method.__qualname__ = f"{self.cls.__qualname__}.{name}"
                if name == "__repr__":
                    method = reprlib.recursive_repr()(method)
                setattr(self.cls, name, method)
                methods[name] = method
            self.methods = methods
        return self.methods

    def stub(self, name: str) -> Callable[..., Any]:
        def method(obj: Any, *args: Any, **kwargs: Any) -> Any:
            return self.materialise()[name](obj, *args, **kwargs)

        method.__name__ = name
        method.__qualname__ = f"{self.cls.__qualname__}.{name}"
        return method


__all__ = ["dataclass"]
