"""Attachments: sniffing, limits, privacy that follows the post, and the headers files
are served with."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from app.forums import posting
from app.uploads.models import Upload
from tests.factories import make_category, make_user
from tests.uploads.conftest import image_bytes


def _upload(client, data: bytes, filename: str, content_type: str = "application/octet-stream"):
    return client.post(
        "/uploads",
        data={"file": (io.BytesIO(data), filename, content_type)},
        headers={"Accept": "application/json"},
    )


def test_png_bytes_named_txt_are_stored_as_a_png(login_as, member):
    reply = _upload(login_as(member), image_bytes("PNG"), "notes.txt", "text/plain")
    assert reply.status_code == 201, reply.json
    assert reply.json["content_type"] == "image/png"
    assert reply.json["filename"] == "notes.png"
    assert reply.json["markdown"] == f"![notes](/uploads/{reply.json['id']}/notes.png)"


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "cat.png"),
        (b"  <html><body onload=alert(1)>", "cat.jpg"),
        (
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "a.svg",
        ),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "logo.png"),
        (b"hello <script>alert(1)</script>", "notes.txt"),
    ],
)
def test_html_and_svg_are_refused_whatever_their_name(login_as, member, db, data, name):
    reply = _upload(login_as(member), data, name, "image/png")
    assert reply.status_code == 400
    assert "HTML, SVG and XML" in reply.json["error"]
    assert db.session.query(Upload).count() == 0


def test_a_file_that_only_starts_like_a_png_is_refused(login_as, member):
    truncated = image_bytes("PNG")[:40]
    reply = _upload(login_as(member), truncated, "broken.png")
    assert reply.status_code == 400
    assert "could not be read" in reply.json["error"]


def test_an_executable_is_refused(login_as, member):
    reply = _upload(login_as(member), b"MZ\x90\x00\x03\x00\x00\x00" + bytes(200), "setup.exe")
    assert reply.status_code == 400
    assert "not accepted" in reply.json["error"]


@pytest.mark.app_config(UPLOAD_MAX_BYTES=2048)
def test_an_attachment_over_the_limit_gets_a_clear_error(login_as, member, db):
    reply = _upload(login_as(member), b"a,b\n" + b"1,2\n" * 1000, "big.csv")
    assert reply.status_code == 400
    assert "too large" in reply.json["error"]
    assert db.session.query(Upload).count() == 0


@pytest.mark.app_config(UPLOAD_MAX_BYTES=2048, UPLOAD_AVATAR_MAX_BYTES=2048, UPLOAD_LOGO_MAX_BYTES=2048)
def test_a_request_over_every_limit_is_refused_with_413_before_it_is_read(login_as, member, db):
    reply = _upload(login_as(member), b"x" * 200_000, "huge.txt")
    assert reply.status_code == 413
    assert "too large" in reply.json["error"]
    assert db.session.query(Upload).count() == 0


def test_a_file_above_the_site_wide_text_limit_is_accepted_by_the_upload_endpoint(login_as, member, app):
    noisy = io.BytesIO()
    Image.effect_noise((1000, 1000), 64).convert("RGB").save(noisy, "PNG", compress_level=0)
    data = noisy.getvalue()
    assert len(data) > app.config["MAX_CONTENT_LENGTH"]
    reply = _upload(login_as(member), data, "screenshot.png")
    assert reply.status_code == 201, reply.json


def test_visitors_cannot_upload(client):
    reply = _upload(client, image_bytes("PNG"), "a.png")
    assert reply.status_code == 403


def test_text_csv_pdf_and_zip_are_accepted_as_downloads(login_as, member):
    client = login_as(member)
    cases = [
        (b"name,tier\nAcme,gold\n", "partners.csv", "text/csv"),
        (b"Plain notes\n", "notes.txt", "text/plain"),
        (
            b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
            "deck.pdf",
            "application/pdf",
        ),
        (b"PK\x05\x06" + bytes(18), "report.docx", "application/zip"),
    ]
    for data, name, expected in cases:
        reply = _upload(client, data, name)
        assert reply.status_code == 201, (name, reply.json)
        assert reply.json["content_type"] == expected
        assert reply.json["markdown"].startswith("[")  # a link, not an image
        served = client.get(reply.json["url"])
        assert served.status_code == 200
        assert served.headers["Content-Disposition"].startswith("attachment;")
        assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert reply.json["filename"] == "report.docx"  # office documents keep their extension


def test_an_image_is_served_inline_with_nosniff_csp_and_a_safe_name(login_as, member):
    client = login_as(member)
    reply = _upload(client, image_bytes("PNG"), "../../etc/passwd<script>.png")
    served = client.get(reply.json["url"])
    assert served.status_code == 200
    assert served.mimetype == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Disposition"] == "inline; filename=passwd_script.png"
    csp = served.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "sandbox" in csp and "script-src" not in csp
    assert served.headers["Cache-Control"] == "private, no-cache"
    assert served.headers["ETag"]
    again = client.get(reply.json["url"], headers={"If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304


def test_an_unattached_upload_is_visible_only_to_its_owner(login_as, member, other_member, client):
    url = _upload(login_as(member), image_bytes("PNG"), "draft.png").json["url"]
    assert login_as(member).get(url).status_code == 200
    assert login_as(other_member).get(url).status_code == 404
    assert login_as(None).get(url).status_code == 404


def _attach_in(category, author, client):
    url = _upload(client, image_bytes("PNG"), "diagram.png").json["url"]
    topic = posting.create_topic(author, category, "Architecture", f"See ![diagram]({url})")
    return url, topic


def test_an_attachment_in_a_members_only_category_is_private_to_members(
    login_as, member, other_member, private_category, db
):
    url, _ = _attach_in(private_category, member, login_as(member))
    db.session.commit()
    assert login_as(None).get(url).status_code == 404
    assert login_as(other_member).get(url).status_code == 200
    upload = db.session.query(Upload).one()
    assert upload.scope == "post" and upload.post_id is not None


def test_an_attachment_in_a_staff_only_category_is_hidden_from_members(
    login_as, moderator, member, staff_category, db
):
    url, _ = _attach_in(staff_category, moderator, login_as(moderator))
    db.session.commit()
    assert login_as(member).get(url).status_code == 404
    assert login_as(None).get(url).status_code == 404
    assert login_as(moderator).get(url).status_code == 200


def test_an_attachment_in_a_public_post_is_readable_by_visitors(login_as, member, db):
    url, _ = _attach_in(make_category(), member, login_as(member))
    db.session.commit()
    assert login_as(None).get(url).status_code == 200


def test_quoting_someone_elses_private_upload_does_not_publish_it(login_as, member, other_member, db):
    url = _upload(login_as(member), image_bytes("PNG"), "secret.png").json["url"]
    posting.create_topic(other_member, make_category(), "Look", f"![x]({url})")
    db.session.commit()
    assert login_as(None).get(url).status_code == 404
    assert db.session.query(Upload).one().post_id is None


def test_an_edit_that_adds_an_upload_attaches_it(login_as, member, db):
    client = login_as(member)
    topic = posting.create_topic(member, make_category(), "Release notes", "Text only")
    db.session.commit()
    url = _upload(client, image_bytes("PNG"), "chart.png").json["url"]
    posting.edit_post(member, topic_post(topic), f"Now with ![chart]({url})")
    db.session.commit()
    assert login_as(None).get(url).status_code == 200


def test_a_reply_through_the_web_form_attaches_its_upload(login_as, member, db):
    client = login_as(member)
    topic = posting.create_topic(member, make_category(), "Field notes", "Opening")
    db.session.commit()
    url = _upload(client, image_bytes("JPEG"), "site.jpg").json["url"]
    page = client.post(f"/t/{topic.id}/reply", data={"body": f"Photo: ![site]({url})"})
    assert page.status_code in (302, 303), page.status_code
    assert db.session.query(Upload).one().scope == "post"
    assert login_as(make_user()).get(url).status_code == 200


def topic_post(topic):
    from app.extensions import db
    from app.forums.models import Post

    return db.session.query(Post).filter_by(topic_id=topic.id, number=1).one()


def test_hostile_filenames_become_safe_names_headers_and_links(login_as, member, hostile):
    from app.core.sanitize import render_markdown
    from tests.hostile import naughty_strings, script_vectors_in

    client = login_as(member)
    png = image_bytes("PNG", size=(4, 4))
    names = [name for name in naughty_strings() if name.strip()][:60]
    for name in names:
        reply = _upload(client, png, name[:200] + ".png")
        assert reply.status_code == 201, (name, reply.json)
        stored = reply.json["filename"]
        assert stored.endswith(".png")
        assert not any(ch in stored for ch in '/\\<>"\r\n\t;') and not stored.startswith(".")
        html = render_markdown(reply.json["markdown"])
        assert f'src="{reply.json["url"]}"' in html, (name, reply.json["markdown"], html)
        assert script_vectors_in(html) == []
        served = client.get(reply.json["url"])
        assert served.status_code == 200
        disposition = served.headers["Content-Disposition"]
        assert (
            disposition.isascii() and "\n" not in disposition and disposition.startswith("inline; filename=")
        )


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_the_upload_endpoint_needs_the_pages_csrf_token(login_as, member):
    client = login_as(member)
    refused = _upload(client, image_bytes("PNG"), "a.png")
    assert refused.status_code == 400
    page = client.get("/settings/profile").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    accepted = client.post(
        "/uploads",
        data={"file": (io.BytesIO(image_bytes("PNG")), "a.png")},
        headers={"Accept": "application/json", "X-CSRFToken": token},
    )
    assert accepted.status_code == 201, accepted.json
