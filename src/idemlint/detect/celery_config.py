"""Celery settings made for the whole project: `task_acks_late` in the configuration the project's
Celery application loads (`app.config_from_object(...)`), which applies to every task of that app.

Django projects keep it in their settings module: `app.config_from_object("django.conf:settings",
namespace="CELERY")` with `os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")` beside
it, and `CELERY_TASK_ACKS_LATE = True` in `shop/settings.py` (or in a module that one star-imports,
`from .base import *`). Celery looks a setting up under three names (celery 5.x
`ConfigurationView._to_keys`, with the `(_old_key_to_new, _new_key_to_old)` key functions `Settings`
is built with): the namespaced one (`CELERY_TASK_ACKS_LATE`), the plain one (`task_acks_late`) and the
pre-4.0 one (`CELERY_ACKS_LATE`, whatever the namespace), so all three count under a namespace; without
one, `task_acks_late` and `CELERY_ACKS_LATE` do, and `CELERY_TASK_ACKS_LATE` does not (checked on celery
5.7.0: `config_from_object(module, namespace="CELERY")` with `CELERY_ACKS_LATE = True` makes every task
`acks_late`). `app.conf.task_acks_late = True` / `app.conf.update(task_acks_late=True)`
in the application's module count too, and so does the setting as a key there
(`app.conf.update(**{"task_acks_late": True, ...})`, `app.conf["task_acks_late"] = True`).

The configuration may be an object instead of a module's name: `app.config_from_object(ConfigProd)`,
a class of the application's module or one it imports, whose body (or a base class's of the same
module) sets `task_acks_late = True`; or an imported module (`from . import celeryconfig`). An
application that picks one of several at run time (`if env == "production": ...`) acks late when
every one of them says so.

Read as text, once per process and top-level package; nothing is imported. A task counts as acked
late when every Celery application of its package (a module that calls `Celery(` and configures it)
says so: which application runs a `shared_task` is chosen at run time.
"""

from __future__ import annotations

import re
from typing import Dict, Optional

from ..origins import imported_names, read_head
from ..lazyre import lazy_re

_APP = lazy_re(rb"\bCelery\s*\(")
_FROM_OBJECT = lazy_re(rb"config_from_object\(\s*(['\"])([\w.:]+)\1\s*(?:,\s*namespace\s*=\s*(['\"])(\w+)\3)?")
_SETTINGS_ENV = lazy_re(rb"DJANGO_SETTINGS_MODULE['\"]\s*,\s*['\"]([\w.]+)['\"]")
_STAR_IMPORT = lazy_re(rb"^from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+\*", re.M)
# not in a comment: `app.conf.task_acks_late = True`, `app.conf.update(task_acks_late=True)`, or the
# setting as a key: `app.conf.update({"task_acks_late": True})`, a dict display passed on as
# `app.conf.update(**settings)`, `app.conf["task_acks_late"] = True`
_IN_APP = lazy_re(rb"^[^#\n]*(?:\btask_acks_late\s*=|['\"]task_acks_late['\"]\s*(?::|\]\s*=))\s*True\b", re.M)
# `config_from_object(ConfigProd)`, `config_from_object(config.ConfigProd, namespace="CELERY")`: an object
_OBJECT_CONFIG = lazy_re(rb"config_from_object\(\s*([A-Za-z_][\w.]*)\s*(?:,\s*namespace\s*=\s*(['\"])(\w+)\2\s*)?[,)]")
STAR_DEPTH = 2  # `from .base import *` followed this many modules deep


def acks_late(project, near: str) -> bool:
    """Every Celery application of the top-level package holding `near` acks its tasks late by its
    configuration (False when the package has none, or one that does not)."""
    memo: Dict[str, bool] = project.lasting("celery acks_late")
    top = project.top_package(near)
    if top not in memo:
        apps = [path for path in project.package_files(near) if _is_app(read_head(path))]
        memo[top] = bool(apps) and all(_configured_late(project, app) for app in apps)
    return memo[top]


def _is_app(text: bytes) -> bool:
    """The module builds a Celery application (`Celery("shop")`)."""
    return _APP.search(text) is not None and b"celery" in text


def _configured_late(project, app: str) -> bool:
    text = read_head(app)
    if _IN_APP.search(text):
        return True
    objects = _OBJECT_CONFIG.findall(text)
    if objects:
        return all(_object_late(project, app, text, name.decode(), (namespace or b"").decode())
                   for name, _, namespace in objects)
    found = _FROM_OBJECT.search(text)
    if found is None:
        return False
    source, namespace = found.group(2).decode(), (found.group(4) or b"").decode()
    if source == "django.conf:settings":
        env = _SETTINGS_ENV.search(text)
        if env is None:
            return False
        source = env.group(1).decode()
    module = project.module_file(source.split(":")[0], app)
    if module is None:
        return False
    return _sets(project, module, _setting(namespace), STAR_DEPTH)


def _setting(namespace: str, indented: bool = False):
    """`task_acks_late = True`, the old `CELERY_ACKS_LATE = True` or, under a namespace, the namespaced
    `CELERY_TASK_ACKS_LATE = True`, at the start of a line (a module's setting), or indented (a class
    body's)."""
    names = ["task_acks_late", "CELERY_ACKS_LATE"] + ([f"{namespace}_TASK_ACKS_LATE"] if namespace else [])
    return re.compile(rb"^" + (rb"[ \t]+" if indented else rb"") + rb"(?:" + b"|".join(n.encode() for n in names)
                      + rb")[ \t]*(?::[^=\n]*)?=[ \t]*True\b", re.M)


def _object_late(project, app: str, text: bytes, name: str, namespace: str) -> bool:
    """The configuration object `name` of the application module `app` (text `text`) sets a late
    ack: a class of that module, or a class or a module it imports."""
    head, _, attr = name.partition(".")
    if attr and "." in attr:
        return False
    if not attr and _class_late(text, head, namespace, STAR_DEPTH):
        return True
    full = imported_names(text).get(head)
    if full is None:
        return False
    target = f"{full}.{attr}" if attr else full  # `config.ConfigProd`, `ConfigProd`, `celeryconfig`
    module = project.module_file(target, app)
    if module is not None:  # a module: its own settings
        return _sets(project, module, _setting(namespace), STAR_DEPTH)
    owner, _, cls = target.rpartition(".")
    module = project.module_file(owner, app) if owner.strip(".") else None
    return module is not None and _class_late(read_head(module), cls, namespace, STAR_DEPTH)


def _class_late(text: bytes, name: str, namespace: str, depth: int) -> bool:
    """The class `name` of a module's text sets a late ack in its body, or one of its bases of the
    same module does."""
    head = re.search(rb"^([ \t]*)class[ \t]+" + re.escape(name.encode()) + rb"\b[ \t]*(?:\(([^)]*)\))?[ \t]*:",
                     text, re.M)
    if head is None:
        return False
    indent = len(head.group(1))
    end = re.compile(rb"^[ \t]{0,%d}(?=[^ \t\n#])" % indent, re.M).search(text, head.end())
    body = text[head.end(): end.start() if end is not None else len(text)]
    if _setting(namespace, indented=True).search(body):
        return True
    bases = re.findall(rb"[A-Za-z_]\w*", head.group(2) or b"")
    return depth > 0 and any(base.decode() != name and _class_late(text, base.decode(), namespace, depth - 1)
                             for base in bases)


def _sets(project, module: str, setting, depth: int) -> bool:
    text = read_head(module)
    if setting.search(text):
        return True
    if depth <= 0:
        return False
    for star in _STAR_IMPORT.findall(text):
        sub: Optional[str] = project.module_file(star.decode(), module)
        if sub is not None and sub != module and _sets(project, sub, setting, depth - 1):
            return True
    return False
