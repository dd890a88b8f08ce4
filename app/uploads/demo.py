"""Demo pictures for ``flask seed-demo``: avatars for about half the people and a logo
for every organization, drawn with Pillow at seed time (no image files in the
repository), stored through the same services as a real upload. The other half keep
their generated initials, so the demo shows both."""

from __future__ import annotations

import io
import random

import sqlalchemy as sa
from PIL import Image, ImageDraw

from app.accounts.models import Organization, User
from app.extensions import db
from app.uploads import services

_PALETTE = [
    ((33, 87, 168), (120, 170, 235)),
    ((14, 112, 144), (120, 210, 220)),
    ((93, 37, 220), (190, 160, 250)),
    ((180, 35, 24), (250, 170, 150)),
    ((2, 122, 72), (150, 225, 180)),
    ((181, 71, 8), (250, 200, 140)),
    ((62, 71, 132), (170, 180, 230)),
]
_SKIN = [(241, 194, 125), (224, 172, 105), (198, 134, 66), (141, 85, 36), (255, 219, 172)]


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def portrait(seed: int, size: int = 320) -> bytes:
    """A friendly abstract head-and-shoulders on a gradient, different for each seed."""
    rng = random.Random(seed)
    dark, light = rng.choice(_PALETTE)
    image = Image.new("RGB", (size, size), dark)
    draw = ImageDraw.Draw(image)
    for y in range(size):
        t = y / size
        draw.line(
            [(0, y), (size, y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(dark, light, strict=True))
        )
    skin = rng.choice(_SKIN)
    shirt = tuple(rng.randint(30, 200) for _ in range(3))
    hair = tuple(rng.randint(10, 90) for _ in range(3))
    c = size // 2
    draw.ellipse([c - size * 0.42, size * 0.68, c + size * 0.42, size * 1.3], fill=shirt)
    draw.ellipse([c - size * 0.2, size * 0.2, c + size * 0.2, size * 0.66], fill=skin)
    draw.chord([c - size * 0.22, size * 0.14, c + size * 0.22, size * 0.5], 180, 360, fill=hair)
    return _png(image)


def logo(seed: int, size: int = 384) -> bytes:
    """A geometric mark on a transparent background (logos keep their transparency)."""
    rng = random.Random(seed)
    dark, light = rng.choice(_PALETTE)
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    shape = seed % 3
    if shape == 0:
        draw.rounded_rectangle([16, 16, size - 16, size - 16], radius=size // 6, fill=dark)
        draw.polygon(
            [(size * 0.25, size * 0.75), (size * 0.5, size * 0.22), (size * 0.75, size * 0.75)], fill=light
        )
    elif shape == 1:
        draw.ellipse([16, 16, size - 16, size - 16], fill=dark)
        draw.ellipse([size * 0.3, size * 0.3, size * 0.7, size * 0.7], fill=light)
    else:
        for i in range(4):
            inset = 16 + i * size // 10
            draw.rectangle(
                [inset, inset, size - inset, size - inset], outline=light if i % 2 else dark, width=size // 14
            )
    return _png(image)


def seed_upload_demo() -> int:
    """Give pictures to whoever has none yet; returns how many were added."""
    added = 0
    people = list(db.session.scalars(sa.select(User).order_by(User.id)))
    for index, user in enumerate(people):
        if index % 2 == 0 and user.avatar_upload_id is None and not user.is_suspended:
            services.set_avatar(user, user, "portrait.png", portrait(user.id))
            added += 1
    admin = db.session.scalar(sa.select(User).where(User.role == "admin").order_by(User.id))
    if admin is not None:
        for org in db.session.scalars(sa.select(Organization).order_by(Organization.id)):
            if org.logo_upload_id is None:
                services.set_logo(admin, org, "logo.png", logo(org.id))
                added += 1
    db.session.flush()
    return added
