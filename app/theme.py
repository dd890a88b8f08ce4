"""The site's look as settings: the accent colour (``SITE_ACCENT_COLOR``) becomes CSS
custom properties served from ``/theme.css``.

Why a stylesheet view: the CSP is ``style-src 'self'``, so neither an inline ``<style>``
nor a ``style`` attribute may carry a per-site value; a same-origin stylesheet may. The
admin issue will later read these from database settings; the view and the colour
maths stay the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from flask import Flask, Response, current_app
from sqlalchemy.exc import SQLAlchemyError

from app.core.settings import get_setting
from app.extensions import db

HEX_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
DEFAULT_ACCENT = "#3a5ccc"
# The surfaces links are read against: the greyest light one (the header, Pico's
# cards) and the lightest dark one (cards, the header in dark mode), so a link that
# passes there passes on every background, page included.
LIGHT_BACKGROUND = (241, 243, 246)
DARK_BACKGROUND = (36, 42, 54)
# WCAG AA for body-size text.
TEXT_CONTRAST = 4.5


def parse_hex_color(value: str) -> tuple[int, int, int]:
    """``#abc`` or ``#aabbcc`` → (r, g, b); anything else is a configuration error,
    reported at start-up rather than as a broken stylesheet."""
    if not isinstance(value, str) or not HEX_COLOR.match(value.strip()):
        raise ValueError(f"SITE_ACCENT_COLOR must be a hex colour such as #3a5ccc, not {value!r}")
    digits = value.strip()[1:]
    if len(digits) == 3:
        digits = "".join(ch * 2 for ch in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def to_hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def relative_luminance(rgb: tuple[int, int, int]) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _mix(rgb: tuple[int, int, int], toward: tuple[int, int, int], amount: float) -> tuple[int, int, int]:
    return tuple(round(c + (t - c) * amount) for c, t in zip(rgb, toward, strict=True))  # type: ignore[return-value]


def readable_on(rgb: tuple[int, int, int], background: tuple[int, int, int]) -> tuple[int, int, int]:
    """The accent, darkened or lightened just enough to be readable as text on
    ``background``: a pale brand colour still gives legible links."""
    toward = (0, 0, 0) if relative_luminance(background) > 0.5 else (255, 255, 255)
    for step in range(21):
        candidate = _mix(rgb, toward, step / 20)
        if contrast_ratio(candidate, background) >= TEXT_CONTRAST:
            return candidate
    return toward


@dataclass(frozen=True)
class Theme:
    accent: str
    accent_hover: str
    on_accent: str
    link_light: str
    link_dark: str

    def css(self) -> str:
        return (
            ":root {\n"
            f"  --gh-accent: {self.accent};\n"
            f"  --gh-accent-hover: {self.accent_hover};\n"
            f"  --gh-on-accent: {self.on_accent};\n"
            f"  --gh-link-light: {self.link_light};\n"
            f"  --gh-link-dark: {self.link_dark};\n"
            "}\n"
        )


def theme_from(accent: str) -> Theme:
    """Every colour the stylesheet needs, derived from one accent so any brand colour
    keeps button text and links readable in light and dark mode."""
    rgb = parse_hex_color(accent)
    white, black = (255, 255, 255), (0, 0, 0)
    on_accent = white if contrast_ratio(white, rgb) >= contrast_ratio(black, rgb) else black
    # Buttons: the accent itself unless its label would be unreadable, then a shade of it.
    button = rgb if contrast_ratio(on_accent, rgb) >= TEXT_CONTRAST else readable_on(rgb, on_accent)
    hover = _mix(button, black if on_accent == white else white, 0.15)
    return Theme(
        accent=to_hex(button),
        accent_hover=to_hex(hover),
        on_accent=to_hex(on_accent),
        link_light=to_hex(readable_on(rgb, LIGHT_BACKGROUND)),
        link_dark=to_hex(readable_on(rgb, DARK_BACKGROUND)),
    )


@lru_cache(maxsize=16)
def _theme_for(accent: str) -> Theme:
    return theme_from(accent)


def theme_css() -> Response:
    """``/theme.css``: small, cacheable for a while, same-origin so the CSP allows it.
    Pages link it with the accent in the query (``?v=…``), so a changed accent is a new
    URL and shows on the next page, while the colour itself comes from the setting. The accent is the ``accent_color`` site
    setting (app/core/settings.py): an admin's choice, else ``SITE_ACCENT_COLOR``; an
    environment variable of either name pins it; with the database unreachable, the
    configured one."""
    try:
        theme = _theme_for(get_setting("accent_color"))
    except SQLAlchemyError:
        # Without the database the site still gets its configured colours.
        db.session.rollback()
        theme = current_app.extensions["guildhall_theme"]
    response = Response(theme.css(), mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def init_app(app: Flask) -> None:
    """Validate the theme settings at start-up (a typo fails loudly, not as a grey
    site) and serve ``/theme.css``."""
    app.extensions["guildhall_theme"] = theme_from(app.config.get("SITE_ACCENT_COLOR") or DEFAULT_ACCENT)
    app.add_url_rule("/theme.css", "theme_css", theme_css)
