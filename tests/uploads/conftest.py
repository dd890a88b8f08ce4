"""Fixtures for upload tests: images made with Pillow on the fly (no binary files in
the repository), and members in public and private categories."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.factories import make_category, make_org, make_user


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (40, 30), colour=(200, 30, 30), **save) -> bytes:
    buffer = io.BytesIO()
    mode = "RGBA" if fmt in ("PNG", "WEBP") and save.pop("alpha", False) else "RGB"
    Image.new(mode, size, colour).save(buffer, fmt, **save)
    return buffer.getvalue()


def jpeg_with_gps() -> bytes:
    """A JPEG whose EXIF names a camera and a GPS position (Pillow's public Exif API)."""
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Inc."  # Make
    exif[0x0110] = "Model 7"  # Model
    gps = {1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 39.0)}
    exif[0x8825] = gps  # GPSInfo IFD
    return image_bytes("JPEG", size=(600, 400), exif=exif)


@pytest.fixture
def member(db):
    user = make_user(username="maya", display_name="Maya Patel", organization=make_org(name="Acme Networks"))
    db.session.commit()
    return user


@pytest.fixture
def other_member(db):
    user = make_user(username="otto", display_name="Otto Berg", organization=make_org(name="Berg IT"))
    db.session.commit()
    return user


@pytest.fixture
def private_category(db):
    category = make_category(name="Partners only", slug="partners-only", view_policy="members")
    db.session.commit()
    return category


@pytest.fixture
def staff_category(db):
    category = make_category(name="Staff room", slug="staff-room", view_policy="moderator,admin")
    db.session.commit()
    return category
