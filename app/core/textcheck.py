"""Text that cannot be stored: strings UTF-8 cannot encode.

JSON may spell a lone UTF-16 surrogate (``"\\ud800"``), and Python's JSON decoder turns
it, or the raw bytes ``ED A0 80``, into a one-character string that no UTF-8 encoder
accepts. Nothing complains until the database driver encodes the value, deep inside a
write, and the request answers 500. The boundaries (the HTTP request hook in
``app.web_inputs`` and the chat socket handler) refuse such input up front with
:func:`check_text`, so every service may assume its strings are storable.
"""

from __future__ import annotations

from typing import Any

from app.core.errors import Invalid

UNENCODABLE_MESSAGE = (
    "The text contains characters that cannot be stored (an unpaired surrogate). Remove them and try again."
)


def _encodable(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def unencodable_field(value: Any) -> str | None:
    """Where ``value`` holds a string UTF-8 cannot encode, else ``None``.

    Looks through dicts (keys and values), lists and tuples at any depth, without
    recursion: a payload nested a few thousand levels deep must not raise
    ``RecursionError`` here. The answer names the top-level key the bad text sits
    under (the field a form or client can point at), or ``""`` when there is none.
    """
    stack: list[tuple[Any, str]] = [(value, "")]
    while stack:
        item, field = stack.pop()
        if isinstance(item, str):
            if not _encodable(item):
                return field
        elif isinstance(item, dict):
            for key, child in item.items():
                name = field or (key if isinstance(key, str) and _encodable(key) else "")
                if isinstance(key, str) and not _encodable(key):
                    return name
                stack.append((child, name))
        elif isinstance(item, list | tuple):
            stack.extend((child, field) for child in item)
    return None


def check_text(value: Any) -> None:
    """Raise ``Invalid`` (naming the field) when ``value`` holds text UTF-8 cannot encode."""
    field = unencodable_field(value)
    if field is not None:
        raise Invalid(UNENCODABLE_MESSAGE, field=field or None)
