"""Avatars and organization logos: resized, re-encoded without metadata, bombs refused,
set and removed from the settings pages."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from app.extensions import db
from app.uploads import services
from app.uploads.models import Upload
from tests.factories import make_org, make_user
from tests.uploads.conftest import image_bytes, jpeg_with_gps


def _post_picture(client, url: str, data: bytes, name: str = "me.jpg"):
    return client.post(url, data={"file": (io.BytesIO(data), name, "image/jpeg")})


def _served_image(client, upload_id: int, name: str = "avatar.webp") -> tuple[bytes, Image.Image]:
    reply = client.get(f"/uploads/{upload_id}/{name}")
    assert reply.status_code == 200
    return reply.data, Image.open(io.BytesIO(reply.data))


def test_the_gps_test_picture_really_carries_exif():
    assert Image.open(io.BytesIO(jpeg_with_gps())).getexif().get_ifd(0x8825)


def test_an_avatar_is_a_256_pixel_square_without_exif_or_gps(login_as, member):
    client = login_as(member)
    reply = _post_picture(client, "/settings/avatar", jpeg_with_gps())
    assert reply.status_code == 302
    db.session.refresh(member)
    data, image = _served_image(client, member.avatar_upload_id)
    assert image.format == "WEBP"
    assert image.size == (256, 256)
    assert not image.getexif()
    assert "exif" not in image.info and "xmp" not in image.info and "icc_profile" not in image.info
    assert b"SpyCam" not in data and b"Exif" not in data


def test_an_avatar_is_public_and_cached_for_good(login_as, member):
    client = login_as(member)
    _post_picture(client, "/settings/avatar", image_bytes("PNG"), "me.png")
    db.session.refresh(member)
    reply = login_as(None).get(f"/uploads/{member.avatar_upload_id}/avatar.webp")
    assert reply.status_code == 200
    assert reply.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert reply.headers["Content-Disposition"] == "inline; filename=avatar.webp"
    assert reply.headers["X-Content-Type-Options"] == "nosniff"


def test_a_new_avatar_replaces_the_old_one_and_its_file(login_as, member, app):
    client = login_as(member)
    _post_picture(client, "/settings/avatar", image_bytes("PNG"), "one.png")
    db.session.refresh(member)
    first = db.session.get(Upload, member.avatar_upload_id)
    first_id, first_key = first.id, first.storage_key
    _post_picture(client, "/settings/avatar", image_bytes("JPEG", colour=(0, 90, 200)), "two.jpg")
    db.session.expire_all()
    assert member.avatar_upload_id != first_id
    assert db.session.get(Upload, first_id) is None
    with pytest.raises(FileNotFoundError):
        services.storage().read(first_key)
    assert client.get(f"/uploads/{first_id}/avatar.webp").status_code == 404


def test_removing_the_avatar_brings_back_the_initials(login_as, member):
    client = login_as(member)
    _post_picture(client, "/settings/avatar", image_bytes("PNG"), "me.png")
    reply = client.post("/settings/avatar/remove")
    assert reply.status_code == 302
    db.session.refresh(member)
    assert member.avatar_upload_id is None
    assert db.session.query(Upload).count() == 0


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "me.svg", "HTML, SVG"),
        (b"%PDF-1.4\n", "me.png", "PNG, JPEG, GIF or WebP"),
        (b"just text", "me.jpg", "PNG, JPEG, GIF or WebP"),
    ],
)
def test_an_avatar_that_is_not_a_raster_image_gets_a_form_error(login_as, member, data, name, message):
    reply = _post_picture(login_as(member), "/settings/avatar", data, name)
    assert reply.status_code == 400
    assert message in reply.get_data(as_text=True)
    db.session.refresh(member)
    assert member.avatar_upload_id is None


@pytest.mark.app_config(UPLOAD_MAX_PIXELS=1_000_000)
def test_a_decompression_bomb_is_refused_before_it_is_decoded(login_as, member):
    bomb = io.BytesIO()
    Image.new("1", (4000, 4000)).save(bomb, "PNG")  # 16 megapixels in a few kilobytes
    assert len(bomb.getvalue()) < 20_000
    reply = _post_picture(login_as(member), "/settings/avatar", bomb.getvalue(), "bomb.png")
    assert reply.status_code == 400
    assert "too large" in reply.get_data(as_text=True)
    assert db.session.query(Upload).count() == 0


def test_pillows_own_bomb_limit_is_a_form_error_too(login_as, member, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # Pillow's documented setting
    reply = _post_picture(login_as(member), "/settings/avatar", image_bytes("PNG", size=(100, 100)), "a.png")
    assert reply.status_code == 400
    assert "too large" in reply.get_data(as_text=True)


@pytest.mark.app_config(UPLOAD_AVATAR_MAX_BYTES=1000)
def test_an_avatar_over_its_size_limit_gets_a_form_error(login_as, member):
    reply = _post_picture(login_as(member), "/settings/avatar", jpeg_with_gps())
    assert reply.status_code == 400
    assert "too large" in reply.get_data(as_text=True)


def test_an_org_admin_sets_a_logo_that_keeps_transparency_within_its_box(login_as, db):
    org = make_org(name="Northwind")
    boss = make_user(organization=org, is_org_admin=True)
    db.session.commit()
    client = login_as(boss)
    wide = image_bytes("PNG", size=(1200, 300), alpha=True, colour=(10, 20, 200, 0))
    assert _post_picture(client, f"/o/{org.slug}/logo", wide, "logo.png").status_code == 302
    db.session.refresh(org)
    _, image = _served_image(client, org.logo_upload_id, "logo.webp")
    assert image.size == (512, 128)
    assert image.mode == "RGBA" and image.getpixel((5, 5))[3] == 0
    page = client.get(f"/o/{org.slug}").get_data(as_text=True)
    assert f"/uploads/{org.logo_upload_id}/logo.webp" in page
    assert client.post(f"/o/{org.slug}/logo/remove").status_code == 302
    db.session.refresh(org)
    assert org.logo_upload_id is None


def test_a_member_who_is_not_the_org_admin_cannot_change_its_logo(login_as, db):
    org = make_org()
    colleague = make_user(organization=org)
    db.session.commit()
    reply = _post_picture(login_as(colleague), f"/o/{org.slug}/logo", image_bytes("PNG"), "logo.png")
    assert reply.status_code == 403
    assert db.session.query(Upload).count() == 0


def test_the_profile_settings_page_offers_the_avatar_form(login_as, member):
    html = login_as(member).get("/settings/profile").get_data(as_text=True)
    assert 'action="/settings/avatar"' in html
    assert 'enctype="multipart/form-data"' in html
    assert "MP" in html  # Maya Patel's initials while she has no picture


@pytest.mark.app_config(UPLOAD_MAX_BYTES=2048, UPLOAD_AVATAR_MAX_BYTES=2048, UPLOAD_LOGO_MAX_BYTES=2048)
def test_an_avatar_over_every_limit_is_a_413_page_with_the_form_and_its_error(login_as, member):
    reply = _post_picture(login_as(member), "/settings/avatar", b"\xff\xd8\xff" + bytes(200_000))
    assert reply.status_code == 413
    html = reply.get_data(as_text=True)
    assert "too large" in html and 'type="file"' in html
