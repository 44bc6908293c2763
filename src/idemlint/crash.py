"""Describe an unexpected exception caught at the per-file boundary (an idemlint bug)."""

from __future__ import annotations

from typing import Optional


def _culprit(exc: BaseException) -> Optional[str]:
    """The rule (`rule IDEM001 (name)`) or detector (`detector pika`) whose code raised, if any."""
    try:
        from .rules import ALL_RULES

        by_module = {rule.__module__: f"rule {rule.code} ({rule.name})" for rule in ALL_RULES}
        found = None
        tb = exc.__traceback__
        while tb is not None:  # innermost frame wins
            module = tb.tb_frame.f_globals.get("__name__", "")
            if module in by_module:
                found = by_module[module]
            elif module.startswith("idemlint.detect.") and module != "idemlint.detect.base":
                found = f"detector {module.rsplit('.', 1)[1]}"
            tb = tb.tb_next
        return found
    except Exception:  # noqa: BLE001 - describing a crash must never crash
        return None


def internal_error_message(exc: BaseException) -> str:
    """One line for the report: what raised, where (rule or detector) and a request to report it."""
    what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    culprit = _culprit(exc)
    where = f" in {culprit}" if culprit else ""
    return f"internal error{where}: {what} (please report this)"
