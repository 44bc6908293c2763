"""Expectation markers (`# expect: IDEM001[high]`) and helpers to compare them with the engine."""

from __future__ import annotations

import io
import re
import tokenize
from collections import Counter
from pathlib import Path
from typing import Iterable, List, Optional, Tuple

from idemlint.analysis import analyze

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
RULE_PAGES = ROOT / "rules"

_MARKER = re.compile(r"#\s*expect(?P<offset>[+-]\d+)?:\s*(?P<body>.+)$")
_ITEM = re.compile(r"^(?P<code>IDEM\d{3})(?:\[(?P<conf>low|medium|high)\])?$")

Expectation = Tuple[int, str, Optional[str]]  # (line, code, confidence or None for "any")


def expectations(source: str) -> List[Expectation]:
    """Every `# expect:` marker in real comments (not strings) of `source`."""
    out: List[Expectation] = []
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    for tok in tokens:
        if tok.type != tokenize.COMMENT:
            continue
        m = _MARKER.search(tok.string)
        if not m:
            continue
        line = tok.start[0] + int(m.group("offset") or 0)
        for item in m.group("body").split(","):
            item = item.strip().split()[0] if item.strip() else ""
            im = _ITEM.match(item)
            if not im:
                raise ValueError(f"line {tok.start[0]}: malformed expectation {item!r}")
            out.append((line, im.group("code"), im.group("conf")))
    return out


def actual(source: str, codes: Optional[Iterable[str]] = None) -> List[Tuple[int, str, str]]:
    findings = analyze(source.encode("utf-8"), "<fixture>")
    wanted = set(codes) if codes is not None else None
    return [(f.line, f.rule, f.confidence.label) for f in findings if wanted is None or f.rule in wanted]


def compare(source: str, codes: Optional[Iterable[str]] = None) -> Tuple[List[str], List[str]]:
    """(missed, unexpected) as readable strings; both empty when the engine matches the markers."""
    expected = expectations(source)
    got = actual(source, codes)
    remaining = Counter(got)
    missed = []
    for line, code, conf in expected:
        match = next((g for g in remaining if g[0] == line and g[1] == code and (conf is None or g[2] == conf)
                      and remaining[g] > 0), None)
        if match is None:
            found = [g for g in got if g[0] == line and g[1] == code]
            missed.append(f"line {line}: {code}[{conf or 'any'}]" + (f" (got {found[0][2]})" if found else ""))
        else:
            remaining[match] -= 1
    unexpected = [f"line {l}: {c}[{k}]" for (l, c, k), n in remaining.items() for _ in range(n)]
    return missed, unexpected


def assert_matches(source: str) -> None:
    """The engine's findings for `source` are exactly its `# expect:` markers."""
    missed, unexpected = compare(source)
    assert not missed and not unexpected, f"missed: {missed}\nunexpected: {unexpected}"


def fixture_files() -> List[Path]:
    return sorted(p for p in FIXTURES.rglob("*.py")
                  if not {"robustness", "golden", "services", "wrapped", "roles"} & set(p.relative_to(FIXTURES).parts))


def project_findings(root: Path, files: dict, lines: bool = False, messages: bool = False) -> List[tuple]:
    """Write `files` (relative path -> text) under `root`, scan it as a project at low confidence, in
    this process and without a cache: (file name, rule, confidence) of each finding, sorted (with
    `lines`, each tuple ends with the finding's line; with `messages`, with its message)."""
    import dataclasses

    from idemlint import api
    from idemlint.config import load_config
    from idemlint.findings import Confidence

    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    config = dataclasses.replace(load_config([str(root)]), jobs=1, cache_dir=None, min_confidence=Confidence.LOW)
    result = api.lint_paths([str(root)], config)
    return sorted((Path(f.path).name, f.rule, f.confidence.name.lower(), *((f.line,) if lines else ()),
                   *((f.message,) if messages else ())) for f in result.findings)
