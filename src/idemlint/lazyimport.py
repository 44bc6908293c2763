"""libcst, loaded when first used rather than when imported.

Importing libcst costs about 0.2 s (its ~250 node dataclasses), most of a one-file check. The
adapters and the module index only touch libcst inside functions, so the prefilter and the
engine's first pass (`gate`), which need the adapters' words and not their libcst code, can
run without loading it: a file that cannot hold a consumer or a producer is then checked
without libcst at all.

`cst` here is built with the standard library's lazy-import recipe
(`importlib.util.LazyLoader`): a module object, put in `sys.modules`, that executes libcst's
`__init__` on its first attribute access and is the real libcst from then on. Modules that must
import without loading libcst take it from here (`from .lazyimport import cst`), because an
`import libcst` statement reads the module's `__spec__`, which loads it. If libcst is already
imported, `cst` is simply that module.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import TYPE_CHECKING


def _deferred(name: str):
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module


def loaded(name: str = "libcst") -> bool:
    """True once `name` has really been executed (a deferred module not touched yet is not)."""
    module = sys.modules.get(name)
    return module is not None and type(module).__name__ != "_LazyModule"


if TYPE_CHECKING:
    import libcst as cst
else:
    cst = _deferred("libcst")
