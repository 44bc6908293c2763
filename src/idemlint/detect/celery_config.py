"""Celery settings made for the whole project: `task_acks_late` in the configuration the project's
Celery application loads (`app.config_from_object(...)`), which applies to every task of that app.

Django projects keep it in their settings module: `app.config_from_object("django.conf:settings",
namespace="CELERY")` with `os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")` beside
it, and `CELERY_TASK_ACKS_LATE = True` in `shop/settings.py` (or in a module that one star-imports,
`from .base import *`). With a namespace, Celery reads only new-style names under that prefix
(celery 5.x `app/utils.py`, `detect_settings`: "always use new format if prefix is used"), so
`CELERY_ACKS_LATE` (the old name) does nothing there; without one, `task_acks_late` and the old
`CELERY_ACKS_LATE` both count. `app.conf.task_acks_late = True` / `app.conf.update(task_acks_late=True)`
in the application's module count too.

Read as text, once per process and top-level package; nothing is imported. A task counts as acked
late when every Celery application of its package (a module that calls `Celery(` and configures it)
says so: which application runs a `shared_task` is chosen at run time.
"""

from __future__ import annotations

import re
from typing import Dict, Optional

from ..origins import read_head

_APP = re.compile(rb"\bCelery\s*\(")
_FROM_OBJECT = re.compile(rb"config_from_object\(\s*(['\"])([\w.:]+)\1\s*(?:,\s*namespace\s*=\s*(['\"])(\w+)\3)?")
_SETTINGS_ENV = re.compile(rb"DJANGO_SETTINGS_MODULE['\"]\s*,\s*['\"]([\w.]+)['\"]")
_STAR_IMPORT = re.compile(rb"^from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+\*", re.M)
_IN_APP = re.compile(rb"\btask_acks_late\s*=\s*True\b")
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
    names = [f"{namespace}_TASK_ACKS_LATE"] if namespace else ["task_acks_late", "CELERY_ACKS_LATE"]
    setting = re.compile(rb"^(?:" + b"|".join(n.encode() for n in names) + rb")[ \t]*=[ \t]*True\b", re.M)
    return _sets(project, module, setting, STAR_DEPTH)


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
