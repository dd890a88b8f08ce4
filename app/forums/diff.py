"""Word-level diffs for the revision history page.

The markup is assembled from escaped pieces only, so user text can never become HTML.
"""

from __future__ import annotations

import difflib
import re

from markupsafe import Markup, escape

_TOKEN_RE = re.compile(r"\s+|[^\s]+")


def word_diff(old: str, new: str) -> Markup:
    """``old`` → ``new`` as escaped text with ``<del>``/``<ins>`` around changed words."""
    a = _TOKEN_RE.findall(old or "")
    b = _TOKEN_RE.findall(new or "")
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    parts: list[Markup] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            parts.append(escape("".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            parts.append(Markup("<del>%s</del>") % "".join(a[i1:i2]))
        if op in ("insert", "replace"):
            parts.append(Markup("<ins>%s</ins>") % "".join(b[j1:j2]))
    return Markup("").join(parts)
