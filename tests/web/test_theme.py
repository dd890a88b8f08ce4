"""The accent colour is a setting: served as CSS custom properties from a same-origin
stylesheet (the CSP forbids inline styles), checked at start-up, and always readable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app import create_app
from app.theme import contrast_ratio, parse_hex_color, theme_from

# Every surface a link sits on: the light page and header, Pico's dark page and cards,
# the dark header.
LIGHT_SURFACES = [(255, 255, 255), (246, 247, 249), (241, 243, 246)]
DARK_SURFACES = [(19, 23, 31), (24, 28, 37), (26, 31, 41), (36, 42, 54)]


def _var(css: str, name: str) -> str:
    match = re.search(rf"--{name}: (#[0-9a-f]{{6}});", css)
    assert match, f"--{name} missing from {css!r}"
    return match.group(1)


@pytest.mark.app_config(SITE_ACCENT_COLOR="#0A7")
def test_theme_css_serves_the_configured_accent_as_custom_properties(client):
    response = client.get("/theme.css")
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    css = response.get_data(as_text=True)
    # #0A7 is #00aa77; white on it is under 4.5:1, so buttons get a darker shade of it.
    button = _var(css, "gh-accent")
    assert contrast_ratio(parse_hex_color(_var(css, "gh-on-accent")), parse_hex_color(button)) >= 4.5
    assert _var(css, "gh-link-light").startswith("#00")


def test_every_page_links_the_theme_stylesheet_from_its_own_origin(client):
    html = client.get("/").get_data(as_text=True)
    assert '<link rel="stylesheet" href="/theme.css?v=' in html
    assert "<style" not in html and " style=" not in html


def test_a_new_accent_is_a_new_stylesheet_url_so_browsers_fetch_it_at_once(client, admin):
    from app.core.settings import update_settings
    from app.extensions import db

    before = client.get("/").get_data(as_text=True)
    assert 'href="/theme.css?v=3a5ccc"' in before
    update_settings(admin, {"accent_color": "#0f7b5f"})
    db.session.commit()
    after = client.get("/").get_data(as_text=True)
    assert 'href="/theme.css?v=0f7b5f"' in after
    assert "#0f7b5f" in client.get("/theme.css?v=0f7b5f").get_data(as_text=True)


@pytest.mark.parametrize("accent", ["#ffff66", "#3a5ccc", "#111111", "#e11d48", "#7dd3fc"])
def test_any_accent_gives_readable_links_in_light_and_dark_mode_and_readable_button_text(accent):
    theme = theme_from(accent)
    for surface in LIGHT_SURFACES:
        assert contrast_ratio(parse_hex_color(theme.link_light), surface) >= 4.5, surface
    for surface in DARK_SURFACES:
        assert contrast_ratio(parse_hex_color(theme.link_dark), surface) >= 4.5, surface
    assert contrast_ratio(parse_hex_color(theme.on_accent), parse_hex_color(theme.accent)) >= 4.5


@pytest.mark.parametrize("bad", ["blue", "#12345", "3a5ccc", "#3a5ccz", "#3a5ccc;}body{display:none", ""])
def test_a_malformed_accent_colour_is_refused_at_start_up(tmp_path: Path, bad: str):
    if bad == "":
        # Empty means "not set": the default accent applies.
        app = create_app("testing", instance_path=str(tmp_path), SITE_ACCENT_COLOR=bad)
        assert app.test_client().get("/theme.css").status_code == 200
        return
    with pytest.raises(ValueError, match="SITE_ACCENT_COLOR must be a hex colour"):
        create_app("testing", instance_path=str(tmp_path), SITE_ACCENT_COLOR=bad)
