"""Rule pages (`rules/<name>.md`): found in the installed package, else in the repo checkout."""

from __future__ import annotations

import os
import re
from typing import Dict, Optional
from .lazyre import lazy_re

_HEADING = lazy_re(r"^## +(.+?)\s*$", re.M)


def rule_page(name: str) -> Optional[str]:
    """Return the Markdown page for rule `name`: from the installed package, else the repo checkout."""
    from importlib import resources

    try:
        page = resources.files("idemlint").joinpath("rule_pages", f"{name}.md")
        if page.is_file():
            return page.read_text(encoding="utf-8")
    except (OSError, ModuleNotFoundError):
        pass
    checkout = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "rules", f"{name}.md")
    try:
        with open(checkout, encoding="utf-8") as fh:
            return fh.read()
    except OSError:
        return None


def sections(page: str) -> Dict[str, str]:
    """Split a page into {heading: body}; the text before the first `## ` is under ""."""
    out: Dict[str, str] = {}
    matches = list(_HEADING.finditer(page))
    head_end = matches[0].start() if matches else len(page)
    # Drop the `# title` line from the lead.
    lead = "\n".join(line for line in page[:head_end].splitlines() if not line.startswith("# "))
    out[""] = lead.strip()
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(page)
        out[match.group(1)] = page[match.end():end].strip()
    return out


def rule_url(name: str, code: str, docs_url: Optional[str]) -> Optional[str]:
    """The web address of rule `name`'s page under `docs_url` (the `docs-url` setting), or None
    when it is unset. `{name}` and `{code}` in the setting are replaced (`.../rules/{name}/`);
    without them the page is `<docs-url>/<name>.md`, as the `rules/` folder of a repository has it."""
    if not docs_url:
        return None
    if "{name}" in docs_url or "{code}" in docs_url:
        return docs_url.replace("{name}", name).replace("{code}", code)
    return f"{docs_url.rstrip('/')}/{name}.md"
