"""The labelled real-world corpus (tests/realworld/): well-formed pins and labels, labels that
point at real functions when the sources are fetched, and a scorer that runs."""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

import pytest

REALWORLD = Path(__file__).resolve().parent / "realworld"
sys.path.insert(0, str(REALWORLD))

import fetch  # noqa: E402
import score  # noqa: E402
import triage  # noqa: E402

from idemlint.rules import ALL_RULES  # noqa: E402

LABEL_FIELDS = {"package", "path", "function", "role", "expect", "pattern", "reason"}
PACKAGE_FIELDS = {"name", "version", "sdist", "sha256", "why"}
ROLES = {"consumer", "producer", "both", "decoy"}
PATTERNS = {"direct", "factory", "ack-helper", "project-wrapper", "template-method", "state-elsewhere",
            "decorator", "passed-on-publish", "framework"}
CODES = {r.code for r in ALL_RULES}

PACKAGES = fetch.load_packages()
LABELS = score.load_labels()
SMALL = "kinto-emailer"  # the package the scorer smoke test runs on


@pytest.mark.parametrize("pins", [fetch.PACKAGES_FILE, fetch.LIBRARIES_FILE], ids=lambda p: p.name)
def test_pins_are_well_formed(pins):
    packages = fetch.load_packages(pins)
    assert packages, f"{pins.name} pins nothing"
    names = [p["name"] for p in packages]
    assert len(names) == len(set(names)), "a package is pinned twice"
    for pkg in packages:
        assert set(pkg) == PACKAGE_FIELDS, pkg.get("name")
        assert all(isinstance(pkg[k], str) and pkg[k].strip() for k in PACKAGE_FIELDS), pkg["name"]
        assert re.fullmatch(r"[0-9a-f]{64}", pkg["sha256"]), pkg["name"]
        assert pkg["sdist"].endswith((".tar.gz", ".zip")), pkg["name"]


def test_labels_are_well_formed():
    pinned = {p["name"] for p in PACKAGES}
    for lb in LABELS:
        where = f"{lb.get('package')}:{lb.get('path')}:{lb.get('function')}"
        assert set(lb) == LABEL_FIELDS, where
        for key in ("package", "path", "function", "role", "pattern", "reason"):
            assert isinstance(lb[key], str) and lb[key].strip(), f"{where}: empty {key}"
        assert lb["package"] in pinned, f"{where}: package not in packages.toml"
        assert not lb["path"].startswith("/") and ".." not in Path(lb["path"]).parts, where
        assert lb["role"] in ROLES, f"{where}: role {lb['role']!r}"
        assert lb["pattern"] in PATTERNS, f"{where}: pattern {lb['pattern']!r}"
        assert isinstance(lb["expect"], list), where
        assert set(lb["expect"]) <= CODES, f"{where}: unknown rule in {lb['expect']}"
        assert len(lb["expect"]) == len(set(lb["expect"])), f"{where}: a rule listed twice"
        if lb["role"] == "decoy":
            assert lb["expect"] == [], f"{where}: a decoy expects nothing"


def test_labels_cover_enough_of_the_corpus():
    assert len(LABELS) >= 60
    assert len({lb["package"] for lb in LABELS}) >= 10
    roles = Counter(lb["role"] for lb in LABELS)
    assert roles["decoy"] >= 15
    assert roles["producer"] + roles["both"] >= 15
    keys = Counter((lb["package"], lb["path"], lb["function"]) for lb in LABELS)
    assert [k for k, n in keys.items() if n > 1] == [], "a function is labelled twice"


def _symbols(path: Path) -> set:
    """Qualified function names as idemlint reports them (Class.method, outer.inner), read with
    libcst, the engine's parser (CPython's own `ast` cannot read syntax newer than the Python
    running the tests: matyan-backend's `type X = ...` on 3.11)."""
    import libcst as cst

    out = set()

    def walk(node: cst.CSTNode, prefix: str) -> None:
        for child in node.children:
            if isinstance(child, cst.FunctionDef):
                out.add(prefix + child.name.value)
                walk(child, prefix + child.name.value + ".")
            elif isinstance(child, cst.ClassDef):
                walk(child, prefix + child.name.value + ".")
            else:
                walk(child, prefix)

    walk(cst.parse_module(path.read_bytes()), "")
    return out


def test_labelled_functions_exist_in_the_fetched_sources():
    fetched = {p["name"]: fetch.package_root(p) for p in PACKAGES if fetch.is_unpacked(p)}
    if not fetched:
        pytest.skip("corpus not fetched (python tests/realworld/fetch.py)")
    missing = []
    for lb in LABELS:
        root = fetched.get(lb["package"])
        if root is None:
            continue
        path = root / lb["path"]
        if not path.is_file():
            missing.append(f"{lb['package']}: no file {lb['path']}")
        elif lb["function"] not in _symbols(path):
            missing.append(f"{lb['package']}: {lb['path']} has no {lb['function']}")
    assert missing == []


def test_scorer_runs_on_a_small_package():
    pkg = next(p for p in PACKAGES if p["name"] == SMALL)
    if not fetch.is_unpacked(pkg):
        pytest.skip(f"{SMALL} not fetched (python tests/realworld/fetch.py)")
    result = score.score([SMALL], ("low", "medium"))
    assert result["errors"] == []
    assert result["labels"] == sum(1 for lb in LABELS if lb["package"] == SMALL)
    assert set(result["levels"]) == {"low", "medium"}
    assert "IDEM001" in score.render(result)


@pytest.mark.parametrize("name, pins", [("triage.toml", fetch.PACKAGES_FILE),
                                         ("triage-libraries.toml", fetch.LIBRARIES_FILE)])
def test_triage_is_well_formed(name, pins):
    with open(REALWORLD / name, "rb") as fh:
        rows = fetch.tomllib.load(fh)["finding"]
    fields = {"package", "path", "line", "rule", "confidence", "symbol", "verdict", "judged", "code", "reason",
              "engine"}
    pinned = {p["name"] for p in fetch.load_packages(pins)}
    keys = set()
    for row in rows:
        where = f"{row.get('package')}:{row.get('path')}:{row.get('line')}"
        assert set(row) - {"sample"} == fields, where
        assert row.get("sample", True) is True, where  # present only on the entries drawn into the sample
        assert (row["package"], row["path"], row["line"], row["rule"]) not in keys, f"{where}: judged twice"
        keys.add((row["package"], row["path"], row["line"], row["rule"]))
        assert row["package"] in pinned, where
        assert row["rule"] in CODES, where
        assert row["confidence"] in {"low", "medium", "high"}, where
        assert row["verdict"] in {"real", "false", "unsure"}, where
        assert row["judged"] in {"label", "read"}, where
        assert row["code"] in {"production", "test", "example"}, where
        assert isinstance(row["line"], int) and row["line"] > 0, where
        assert re.fullmatch(r"[0-9a-f]{7}", row["engine"]), where
        assert row["reason"].strip(), where


def test_libraries_and_packages_pin_no_name_twice():
    libraries = fetch.load_packages(fetch.LIBRARIES_FILE)
    assert not {p["name"] for p in libraries} & {p["name"] for p in PACKAGES}  # one cache, no clash


def test_triage_sample_draw_is_reproducible():
    lows = [{"package": "p", "path": f"f{i}.py", "line": i, "rule": "IDEM001", "confidence": "low"} for i in range(60)]
    scan_result = {"default": lows + [{**lows[0], "line": 99, "confidence": "medium"}]}
    first = triage.sample(scan_result, 40, 15)
    assert first == triage.sample({"default": list(reversed(scan_result["default"]))}, 40, 15)
    assert len(first) == 40 and all(f["confidence"] == "low" for f in first)
