"""Make text from scanned files safe to print on a terminal (no rich, no click: any layer may use it)."""

from __future__ import annotations

import unicodedata

# Characters that can reorder text (Trojan Source, CVE-2021-42574): the bidi embeddings,
# overrides, isolates and marks. All are category Cf, listed here to make the intent explicit.
BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Control (C0, DEL, C1 such as the 8-bit CSI \x9b), format, surrogate and line/paragraph separators.
UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def visible(text: str, keep_tabs: bool = True) -> str:
    """Return `text` with control, format and bidi characters as visible escapes (`\\x1b`, `\\u202e`)."""
    out = []
    for ch in text:
        if ch == "\t" and keep_tabs:
            out.append(ch)
        elif ch in BIDI or unicodedata.category(ch) in UNSAFE_CATEGORIES:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        else:
            out.append(ch)
    return "".join(out)


def one_line(text: str) -> str:
    """`visible` for one-line fields (messages, paths): tabs and newlines escaped too."""
    return visible(text, keep_tabs=False)
