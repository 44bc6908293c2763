"""The JSON reporter: one document per run, `schema_version` 1, keys sorted."""

from __future__ import annotations

import json
from typing import IO, Any, Dict, Optional

from .. import __version__
from ..findings import RunResult

SCHEMA_VERSION = 1


def to_document(result: RunResult) -> Dict[str, Any]:
    """Return the JSON-ready document for a run (the shape is documented in README.md)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "version": __version__,
        "findings": [f.to_dict() for f in result.findings],
        "errors": [e.to_dict() for e in result.errors],
        "summary": {
            "files": result.files,
            "parsed": result.parsed,
            "findings": len(result.findings),
            "suppressed": result.suppressed,
            "errors": len(result.errors),
            "by_rule": result.counts(),
        },
    }


def render(result: RunResult, options: Optional[object], stream: IO[str]) -> None:
    """Write the run as one indented JSON document followed by a newline (no options yet)."""
    json.dump(to_document(result), stream, indent=2, sort_keys=True, ensure_ascii=True)
    stream.write("\n")
