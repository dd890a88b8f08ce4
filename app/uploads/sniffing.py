"""What a file really is, from its bytes: the client's name and Content-Type lie.

Only a short list of types is accepted at all. Raster images are the only ones ever
shown inline; the rest (PDF, plain text, CSV, ZIP) are always downloads. Markup (HTML,
SVG, XML) is refused outright, whatever it is called: served from this origin it could
run script, and even as a download it has no place in a partner forum.
"""

from __future__ import annotations

import re
import unicodedata

from app.core.errors import Invalid

PNG, JPEG, GIF, WEBP = "image/png", "image/jpeg", "image/gif", "image/webp"
PDF, TEXT, CSV, ZIP = "application/pdf", "text/plain", "text/csv", "application/zip"

IMAGE_TYPES = frozenset({PNG, JPEG, GIF, WEBP})
ATTACHMENT_TYPES = IMAGE_TYPES | {PDF, TEXT, CSV, ZIP}
# The extension a stored file is given: the sniffed type decides, not the upload's name.
EXTENSIONS = {
    PNG: "png",
    JPEG: "jpg",
    GIF: "gif",
    WEBP: "webp",
    PDF: "pdf",
    TEXT: "txt",
    CSV: "csv",
    ZIP: "zip",
}
# Office documents are ZIP files; their own extension is kept so they open in the right program.
ZIP_EXTENSIONS = frozenset({"zip", "docx", "xlsx", "pptx", "odt", "ods", "odp"})

_MARKUP = re.compile(
    rb"<\s*(!doctype|html|head|body|script|svg|iframe|\?xml|object|embed|meta|title|a\s)", re.I
)
_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def sniff(data: bytes, filename: str = "") -> str | None:
    """The content type ``data`` holds, or None for anything not on the list.

    ``filename`` only chooses between the two text types (CSV or plain text); both are
    served as downloads, so the name cannot make a file more dangerous.
    """
    head = data[:16]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return ZIP
    if looks_like_markup(data):
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    if not text.strip() or _TEXT_CONTROL.search(text):
        return None
    return CSV if filename.lower().endswith(".csv") else TEXT


def looks_like_markup(data: bytes) -> bool:
    """HTML, SVG or XML, sniffed the way browsers do: a tag near the start."""
    start = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n\x0c")
    return start.startswith(b"<") or bool(_MARKUP.search(data[:1024]))


def require_type(data: bytes, filename: str, allowed: frozenset[str]) -> str:
    """The sniffed type of ``data`` if ``allowed``; a clear ``Invalid`` otherwise."""
    content_type = sniff(data, filename)
    if content_type is None and looks_like_markup(data):
        raise Invalid("HTML, SVG and XML files are not accepted.", field="file")
    if content_type not in allowed:
        if allowed <= IMAGE_TYPES:
            raise Invalid("Choose a PNG, JPEG, GIF or WebP image.", field="file")
        raise Invalid(
            "That kind of file is not accepted: use an image (PNG, JPEG, GIF, WebP), a PDF, "
            "a text or CSV file, or a ZIP archive.",
            field="file",
        )
    return content_type


def safe_filename(original: str, content_type: str) -> str:
    """A name safe in a header, a URL and a file system, ending in the sniffed type's
    extension: ``../../evil.html`` uploaded as PNG bytes is stored as ``evil.png``."""
    name = unicodedata.normalize("NFKC", original or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith(("C", "Z")) or ch == " ")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    stem = re.sub(r"[^\w\- ]+", "_", stem)
    stem = re.sub(r"[\s_]+", lambda m: "_" if "_" in m.group() else " ", stem).strip(" ._-")[:80].strip()
    extension = EXTENSIONS[content_type]
    if content_type == ZIP and ext.lower() in ZIP_EXTENSIONS:
        extension = ext.lower()
    return f"{stem or 'file'}.{extension}"
