"""The council's document list (issue 22): links and Markdown notes in the private
space, shared by chairs, read by members and observers who accepted the charter, and
invisible (404, no search hit) to everyone else."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.core.errors import Invalid, NotFound, PermissionDenied
from app.plugins.councils import documents, services
from app.plugins.councils.models import CouncilDocument
from tests.factories import browser_session_id, make_org, make_user
from tests.hostile import naughty_strings, page_script_vectors_in, script_vectors_in, xss_vectors

LINK = "https://files.example.com/q3-roadmap.pdf"


def _seat(db, council, by, role: str = "member", user=None):
    user = user or make_user(organization=make_org())
    services.grant_seat(by, council, user, role)
    services.accept_charter(user, council, council.charter_version)
    db.session.commit()
    return user


@pytest.fixture
def seated(db, council, chair):
    return _seat(db, council, chair)


@pytest.fixture
def member(db):
    """A partner member of the site with no place on the council."""
    user = make_user(organization=make_org())
    db.session.commit()
    return user


def _count(db) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(CouncilDocument))


def _note(
    db, council, chair, title: str = "Agenda ideas", body: str = "# Ideas\n\n- *pricing*"
) -> CouncilDocument:
    document = documents.add_document(chair, council, title, body=body)
    db.session.commit()
    return document


# --- who may do what ------------------------------------------------------------------------


def test_a_chair_shares_a_link_and_members_and_observers_see_it(db, council, chair, seated, moderator):
    observer = _seat(db, council, chair, "observer", moderator)
    document = documents.add_document(chair, council, "Q3 roadmap", url=LINK)
    db.session.commit()
    assert (document.kind, document.url, document.body, document.created_by_id) == (
        "link",
        LINK,
        "",
        chair.id,
    )
    for reader in (chair, seated, observer):
        assert [d.id for d in documents.documents(reader, council)] == [document.id]
        assert documents.document_for(reader, council, document.id) == document


def test_a_note_is_markdown_rendered_and_sanitized_once_on_write(db, council, chair):
    document = _note(db, council, chair, body="**Bold** <script>alert(1)</script> [x](javascript:alert(1))")
    assert document.kind == "note" and document.url == ""
    assert "<strong>Bold</strong>" in document.body_html
    assert script_vectors_in(document.body_html) == []


def test_co_chairs_and_admins_manage_documents_like_minutes(db, council, chair, admin):
    co_chair = _seat(db, council, chair, "co_chair")
    documents.add_document(co_chair, council, "From the co-chair", url=LINK)
    documents.add_document(admin, council, "From the vendor admin", body="Hello")
    db.session.commit()
    assert _count(db) == 2


def test_a_member_may_read_but_not_add_edit_or_remove(db, council, chair, seated):
    document = _note(db, council, chair)
    with pytest.raises(PermissionDenied):
        documents.add_document(seated, council, "Mine", url=LINK)
    with pytest.raises(PermissionDenied):
        documents.edit_document(seated, council, document, "Changed", body="x")
    with pytest.raises(PermissionDenied):
        documents.remove_document(seated, council, document)
    db.session.rollback()
    assert _count(db) == 1 and db.session.get(CouncilDocument, document.id).title == "Agenda ideas"


def test_outsiders_get_not_found_as_for_a_missing_document(db, admin, council, chair, member):
    document = _note(db, council, chair)
    other = services.create_council(admin, "Global Council", "Charter")
    elsewhere = _seat(db, other, admin)
    for outsider in (member, elsewhere):
        with pytest.raises(NotFound):
            documents.documents(outsider, council)
        with pytest.raises(NotFound):
            documents.document_for(outsider, council, document.id)
        with pytest.raises(NotFound):
            documents.add_document(outsider, council, "x", url=LINK)
    # A document of this council asked for under another council is missing there.
    with pytest.raises(NotFound):
        documents.document_for(admin, other, document.id)


def test_a_member_who_has_not_accepted_the_new_charter_reads_nothing(
    db, client, login_as, council, chair, seated
):
    _note(db, council, chair)
    services.publish_charter(chair, council, "Charter, version two")
    services.accept_charter(chair, council, council.charter_version)
    db.session.commit()
    with pytest.raises(NotFound):
        documents.documents(seated, council)
    answer = login_as(seated).get(f"/councils/{council.id}/documents")
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/councils/{council.id}")


def test_a_removed_member_loses_the_documents_at_once(db, council, chair, seated):
    _note(db, council, chair)
    services.end_membership(chair, services.membership_of(seated, council))
    db.session.commit()
    with pytest.raises(NotFound):
        documents.documents(seated, council)


# --- input -----------------------------------------------------------------------------------

BAD_INPUT = [
    ("", LINK, "", "title"),
    ("   ", LINK, "", "title"),
    ("x" * 201, LINK, "", "title"),
    ("Both", LINK, "a note", "url"),
    ("Neither", "", "", "url"),
    ("Neither", "   ", "  \n ", "url"),
    ("Script", "javascript:alert(1)", "", "url"),
    ("Script", "JaVaScRiPt:alert(1)", "", "url"),
    ("Script", " javascript:alert(document.cookie)", "", "url"),
    ("Script", "java\tscript:alert(1)", "", "url"),
    ("Data", "data:text/html,<script>alert(1)</script>", "", "url"),
    ("Vb", "vbscript:msgbox(1)", "", "url"),
    ("Ftp", "ftp://files.example.com/a", "", "url"),
    ("Relative", "/councils/1", "", "url"),
    ("Scheme-relative", "//evil.example.com", "", "url"),
    ("No host", "https://", "", "url"),
    ("Space", "https://exa mple.com/", "", "url"),
    ("Quote", 'https://example.com/"onmouseover="alert(1)', "", "url"),
    ("Backslash", "https:\\\\evil.example.com", "", "url"),
    ("Bad IPv6", "http://[::1", "", "url"),
    ("Long", "https://example.com/" + "a" * 500, "", "url"),
    ("Long note", "", "x" * 20_001, "body"),
]


@pytest.mark.parametrize(("title", "url", "body", "field"), BAD_INPUT)
def test_bad_input_is_refused_with_a_message_on_its_field_and_nothing_written(
    db, council, chair, title, url, body, field
):
    with pytest.raises(Invalid) as refused:
        documents.add_document(chair, council, title, url=url, body=body)
    db.session.rollback()
    assert refused.value.field == field and refused.value.message
    assert _count(db) == 0


def test_an_edit_with_bad_input_leaves_the_document_as_it_was(db, council, chair):
    document = documents.add_document(chair, council, "Roadmap", url=LINK)
    db.session.commit()
    with pytest.raises(Invalid):
        documents.edit_document(chair, council, document, "Roadmap", url="javascript:alert(1)")
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(CouncilDocument, document.id).url == LINK


def test_a_chair_edits_a_link_into_a_note_and_removes_it(db, council, chair):
    document = documents.add_document(chair, council, "Roadmap", url=LINK)
    db.session.commit()
    created = document.updated_at
    documents.edit_document(chair, council, document, "Roadmap notes", body="*Later*")
    db.session.commit()
    assert (document.kind, document.url, document.body_html.strip()) == ("note", "", "<p><em>Later</em></p>")
    assert document.updated_at >= created
    documents.remove_document(chair, council, document)
    db.session.commit()
    assert _count(db) == 0


def test_hostile_links_are_refused_or_stay_plain_http_links(db, council, chair):
    stored = 0
    for text in xss_vectors(limit=120) + naughty_strings():
        try:
            document = documents.add_document(chair, council, "Hostile link", url=text)
        except Invalid:
            db.session.rollback()
            continue
        db.session.commit()
        assert document.url.lower().startswith(("http://", "https://")), document.url
        stored += 1
    assert _count(db) == stored


def test_hostile_titles_and_notes_never_become_markup_on_the_pages(db, login_as, council, chair, seated):
    for text in xss_vectors(limit=60) + naughty_strings()[:60]:
        for title, body in ((text, "A note"), ("Hostile note", text)):
            try:
                documents.add_document(chair, council, title, body=body)
                db.session.commit()
            except Invalid:
                db.session.rollback()
    assert _count(db) > 0
    client = login_as(seated)
    page = client.get(f"/councils/{council.id}/documents").get_data(as_text=True)
    assert page_script_vectors_in(page) == []
    for document in documents.documents(seated, council)[:40]:
        note = client.get(f"/councils/{council.id}/documents/{document.id}")
        assert note.status_code == 200
        assert page_script_vectors_in(note.get_data(as_text=True)) == []


# --- pages -----------------------------------------------------------------------------------


def test_the_empty_list_tells_a_chair_to_add_one_and_a_member_that_nothing_is_shared(
    db, app, council, chair, seated
):
    url = f"/councils/{council.id}/documents"
    chair_page = _get_as(app, chair, url)
    member_page = _get_as(app, seated, url)
    assert "Nothing is shared yet" in chair_page and "Add the first document" in chair_page
    assert 'name="title"' in chair_page
    assert "Nothing is shared yet" in member_page and "Add the first document" not in member_page
    assert 'name="title"' not in member_page


def _get_as(app, user, url: str) -> str:
    """A page as ``user`` sees it, in a client of its own (as the leak matrix signs in)."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = browser_session_id(user)
        session["_fresh"] = True
    answer = client.get(url)
    assert answer.status_code == 200, (url, answer.status_code)
    return answer.get_data(as_text=True)


def test_the_council_pages_link_the_documents(db, app, council, chair):
    for url in (f"/councils/{council.id}", f"/councils/{council.id}/meetings"):
        assert f'href="/councils/{council.id}/documents"' in _get_as(app, chair, url)


def test_a_chair_adds_a_link_through_the_form(db, login_as, council, chair, seated):
    answer = login_as(chair).post(
        f"/councils/{council.id}/documents", data={"title": "Q3 roadmap", "url": LINK, "body": ""}
    )
    assert answer.status_code == 303
    page = login_as(seated).get(f"/councils/{council.id}/documents").get_data(as_text=True)
    assert f'href="{LINK}"' in page and "Q3 roadmap" in page and "link to files.example.com" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": "", "url": LINK}, "This field is required."),
        ({"title": "Script", "url": "javascript:alert(1)"}, "A link starts with http:// or https://"),
        ({"title": "Both", "url": LINK, "body": "note"}, "not both"),
        ({"title": "Neither"}, "Give a link or write a note."),
        ({"title": "x" * 201, "url": LINK}, "200"),
    ],
)
def test_the_form_shows_what_is_wrong_and_writes_nothing(db, login_as, council, chair, data, message):
    answer = login_as(chair).post(f"/councils/{council.id}/documents", data=data)
    assert answer.status_code == 400
    assert message in answer.get_data(as_text=True)
    assert _count(db) == 0


def test_a_member_cannot_post_edit_or_remove_over_http(db, login_as, council, chair, seated):
    document = _note(db, council, chair)
    client = login_as(seated)
    base = f"/councils/{council.id}/documents"
    assert client.post(base, data={"title": "Mine", "url": LINK}).status_code == 403
    assert client.post(f"{base}/{document.id}/edit", data={"title": "Mine", "body": "x"}).status_code == 403
    assert client.post(f"{base}/{document.id}/remove").status_code == 403
    db.session.expire_all()
    assert _count(db) == 1 and db.session.get(CouncilDocument, document.id).title == "Agenda ideas"
    page = client.get(f"{base}/{document.id}").get_data(as_text=True)
    assert "Remove this document" not in page and "<h1>Ideas</h1>" in page


def test_a_chair_edits_and_removes_through_the_forms(db, login_as, council, chair):
    document = _note(db, council, chair)
    client = login_as(chair)
    base = f"/councils/{council.id}/documents/{document.id}"
    refused = client.post(f"{base}/edit", data={"title": "Ideas", "url": "javascript:alert(1)"})
    assert refused.status_code == 400 and "http://" in refused.get_data(as_text=True)
    assert client.post(f"{base}/edit", data={"title": "Ideas", "body": "Fresh *text*"}).status_code == 303
    assert "<em>text</em>" in client.get(base).get_data(as_text=True)
    assert client.post(f"{base}/remove").status_code == 303
    assert client.get(base).status_code == 404
    assert _count(db) == 0


def test_outsiders_get_the_same_404_as_for_a_missing_council(db, login_as, council, chair, member):
    document = _note(db, council, chair, title="Zebrasecret")
    client = login_as(member)
    for path in ("/councils/{}/documents", "/councils/{}/documents/" + str(document.id)):
        real, missing = client.get(path.format(council.id)), client.get(path.format(council.id + 1000))
        assert real.status_code == missing.status_code == 404
        assert "Zebrasecret" not in real.get_data(as_text=True)


# --- search ----------------------------------------------------------------------------------


def test_members_find_a_document_in_search_and_outsiders_do_not(db, login_as, council, chair, seated, member):
    document = _note(db, council, chair, title="Kangaroo pricing", body="Thoughts on kangaroo discounts")
    assert documents.search_document(document)["principals"] == [f"council:{council.id}"]
    hits = login_as(seated).get("/search.json?q=kangaroo").get_json()["hits"]
    assert [hit["url"] for hit in hits] == [f"/councils/{council.id}/documents/{document.id}"]
    assert login_as(member).get("/search.json?q=kangaroo").get_json()["total"] == 0
    documents.remove_document(chair, council, document)
    db.session.commit()
    assert login_as(seated).get("/search.json?q=kangaroo").get_json()["total"] == 0
