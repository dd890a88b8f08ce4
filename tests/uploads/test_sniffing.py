"""The sniffer decides by bytes; names only pick between the two text types."""

from __future__ import annotations

import pytest

from app.uploads.sniffing import safe_filename, sniff
from tests.uploads.conftest import image_bytes


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (image_bytes("PNG"), "x.txt", "image/png"),
        (image_bytes("JPEG"), "x.png", "image/jpeg"),
        (image_bytes("GIF"), "x.jpg", "image/gif"),
        (image_bytes("WEBP"), "x.gif", "image/webp"),
        (b"%PDF-1.7\n", "x.txt", "application/pdf"),
        (b"PK\x03\x04rest", "x.png", "application/zip"),
        (b"\xef\xbb\xbfname,tier\n", "list.CSV", "text/csv"),
        ("Grüße aus Köln\n".encode(), "notes", "text/plain"),
        (b"a\x00b", "x.txt", None),  # binary, not text
        (b"\xff\xfe\x00\x00", "x.txt", None),  # not UTF-8
        (b"MZ\x90\x00", "setup.exe", None),
        (b"   \n\t", "blank.txt", None),
        (b"\n\n<html><body>hi", "x.txt", None),
        (b"<svg/onload=alert(1)>", "x.txt", None),
        (b"Dear partner,\n<script>alert(1)</script>", "x.txt", None),
    ],
)
def test_sniff(data, name, expected):
    assert sniff(data, name) == expected


@pytest.mark.parametrize(
    ("original", "content_type", "expected"),
    [
        ("holiday.JPG", "image/jpeg", "holiday.jpg"),
        ("evil.html", "image/png", "evil.png"),
        ("C:\\Users\\me\\plan.pdf", "application/pdf", "plan.pdf"),
        ("..\u202egnp.exe", "image/png", "gnp.png"),
        ("", "text/plain", "file.txt"),
        ("...", "text/plain", "file.txt"),
        ("Q3 report (final).docx", "application/zip", "Q3 report_final.docx"),
        ("a" * 300 + ".png", "image/png", "a" * 80 + ".png"),
    ],
)
def test_safe_filename(original, content_type, expected):
    assert safe_filename(original, content_type) == expected
