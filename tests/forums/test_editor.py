"""The post editor's server side: preview, drafts, and the autocomplete endpoints."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.directory.models import DirectoryProfile
from app.forums import services
from app.forums.models import ForumDraft
from app.forums.posting import BODY_MAX
from tests.factories import make_category, make_topic, make_user
from tests.hostile import script_vectors_in, xss_vectors

JSON = {"Accept": "application/json"}


def drafts_of(db, user) -> list[ForumDraft]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(ForumDraft).where(ForumDraft.user_id == user.id)))


# --- preview -----------------------------------------------------------------------


def test_preview_renders_markdown_through_the_sanitizer(db, client, sign_in, member, other):
    sign_in(member)
    response = client.post(
        "/editor/preview", json={"body": "**bold** hi @bob <script>alert(1)</script>"}, headers=JSON
    )
    assert response.status_code == 200
    html = response.get_json()["html"]
    assert "<strong>bold</strong>" in html
    assert '<a class="mention" href="/u/bob">@bob</a>' in html
    assert "<script" not in html


def test_preview_strips_every_hostile_script_vector(db, client, sign_in, member, hostile):
    sign_in(member)
    for vector in xss_vectors(limit=200):
        response = client.post("/editor/preview", json={"body": vector.replace("\x00", "")}, headers=JSON)
        assert response.status_code == 200, vector
        assert script_vectors_in(response.get_json()["html"]) == [], vector


def test_preview_is_for_signed_in_members_only(db, client):
    response = client.post("/editor/preview", json={"body": "hello"}, headers=JSON)
    assert response.status_code == 403
    assert "error" in response.get_json()


def test_preview_refuses_an_oversized_body_with_a_json_error(db, client, sign_in, member):
    sign_in(member)
    response = client.post("/editor/preview", json={"body": "x" * (BODY_MAX + 1)}, headers=JSON)
    assert response.status_code == 400
    assert response.get_json()["field"] == "body"


@pytest.mark.parametrize("payload", [["a list"], {"body": 5}, "just text", None])
def test_preview_refuses_malformed_json_without_a_500(db, client, sign_in, member, payload):
    sign_in(member)
    response = client.post("/editor/preview", json=payload, headers=JSON)
    assert response.status_code == 400
    assert response.get_json()["error"]


@pytest.mark.app_config(RATELIMIT_ENABLED=True, EDITOR_RATE_LIMIT="2 per minute")
def test_preview_is_rate_limited_per_member(db, client, sign_in, member, other):
    sign_in(member)
    for _ in range(2):
        assert client.post("/editor/preview", json={"body": "x"}, headers=JSON).status_code == 200
    assert client.post("/editor/preview", json={"body": "x"}, headers=JSON).status_code == 429
    sign_in(other)
    assert client.post("/editor/preview", json={"body": "x"}, headers=JSON).status_code == 200


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_preview_and_draft_saves_need_the_csrf_header(db, client, sign_in, member):
    topic = make_topic()
    db.session.commit()
    sign_in(member)
    page = client.get(f"/t/{topic.id}-{topic.slug}").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    assert client.post("/editor/preview", json={"body": "x"}, headers=JSON).status_code == 400
    assert client.put(f"/drafts?topic={topic.id}", json={"body": "x"}, headers=JSON).status_code == 400
    with_token = {**JSON, "X-CSRFToken": token}
    assert client.post("/editor/preview", json={"body": "x"}, headers=with_token).status_code == 200
    assert client.put(f"/drafts?topic={topic.id}", json={"body": "x"}, headers=with_token).status_code == 200


def test_every_post_editor_carries_the_editor_hooks(db, client, sign_in, member, category):
    topic = services.create_topic(member, category, "Editor pages", "First post")
    db.session.commit()
    sign_in(member)
    first_post = topic_first_post_id(db, topic)
    for url in (f"/t/{topic.id}-{topic.slug}", "/c/general/new", "/new-topic", f"/p/{first_post}/edit"):
        page = client.get(url).get_data(as_text=True)
        assert "data-editor" in page, url
        assert "/static/js/editor.js" in page, url
        assert 'data-preview-url="/editor/preview"' in page, url
    reply_page = client.get(f"/t/{topic.id}-{topic.slug}").get_data(as_text=True)
    assert f'data-draft-url="/drafts?topic={topic.id}"' in reply_page


def topic_first_post_id(db, topic) -> int:
    from app.forums.models import Post

    return db.session.scalar(sa.select(Post.id).where(Post.topic_id == topic.id, Post.number == 1))


# --- drafts ------------------------------------------------------------------------


def test_a_reply_draft_is_saved_and_restored(db, client, sign_in, member):
    topic = make_topic()
    db.session.commit()
    sign_in(member)
    assert client.get(f"/drafts?topic={topic.id}", headers=JSON).get_json() == {"draft": None}
    saved = client.put(f"/drafts?topic={topic.id}", json={"body": "Half a thought"}, headers=JSON)
    assert saved.status_code == 200
    client.put(f"/drafts?topic={topic.id}", json={"body": "A whole thought"}, headers=JSON)
    restored = client.get(f"/drafts?topic={topic.id}", headers=JSON).get_json()["draft"]
    assert restored["body"] == "A whole thought"
    assert len(drafts_of(db, member)) == 1


def test_a_new_topic_draft_keeps_its_title_per_category(db, client, sign_in, member, category):
    sign_in(member)
    client.put(f"/drafts?category={category.id}", json={"title": "Plan", "body": "Steps"}, headers=JSON)
    client.put("/drafts", json={"title": "Elsewhere", "body": "Unfiled"}, headers=JSON)
    in_category = client.get(f"/drafts?category={category.id}", headers=JSON).get_json()["draft"]
    assert (in_category["title"], in_category["body"]) == ("Plan", "Steps")
    assert client.get("/drafts", headers=JSON).get_json()["draft"]["title"] == "Elsewhere"


def test_drafts_are_private_to_their_author(db, client, sign_in, member, other):
    topic = make_topic()
    db.session.commit()
    sign_in(member)
    draft_id = client.put(f"/drafts?topic={topic.id}", json={"body": "secret"}, headers=JSON).get_json()[
        "draft"
    ]["id"]
    sign_in(other)
    assert client.get(f"/drafts/{draft_id}", headers=JSON).status_code == 404
    assert client.delete(f"/drafts/{draft_id}", headers=JSON).status_code == 404
    assert client.get(f"/drafts?topic={topic.id}", headers=JSON).get_json() == {"draft": None}
    assert [d.body for d in drafts_of(db, member)] == ["secret"]
    sign_in(None)
    assert client.get(f"/drafts/{draft_id}", headers=JSON).status_code == 403


def test_posting_the_reply_deletes_its_draft(db, client, sign_in, member):
    topic = make_topic()
    elsewhere = make_topic()
    db.session.commit()
    sign_in(member)
    client.put(f"/drafts?topic={topic.id}", json={"body": "Almost done"}, headers=JSON)
    client.put(f"/drafts?topic={elsewhere.id}", json={"body": "Another place"}, headers=JSON)
    assert client.post(f"/t/{topic.id}/reply", data={"body": "Done"}).status_code == 302
    assert [d.body for d in drafts_of(db, member)] == ["Another place"]


def test_posting_the_topic_deletes_its_drafts(db, client, sign_in, member, category):
    sign_in(member)
    client.put(f"/drafts?category={category.id}", json={"title": "Plan", "body": "Steps"}, headers=JSON)
    client.put("/drafts", json={"title": "Plan", "body": "Steps"}, headers=JSON)
    assert client.post("/c/general/new", data={"title": "Plan", "body": "Steps"}).status_code == 302
    assert drafts_of(db, member) == []


def test_discarding_a_draft_deletes_it(db, client, sign_in, member):
    topic = make_topic()
    db.session.commit()
    sign_in(member)
    draft_id = client.put(f"/drafts?topic={topic.id}", json={"body": "nah"}, headers=JSON).get_json()[
        "draft"
    ]["id"]
    assert client.delete(f"/drafts/{draft_id}", headers=JSON).get_json() == {"ok": True}
    assert drafts_of(db, member) == []


def test_clearing_the_box_deletes_the_draft(db, client, sign_in, member):
    topic = make_topic()
    db.session.commit()
    sign_in(member)
    client.put(f"/drafts?topic={topic.id}", json={"body": "words"}, headers=JSON)
    assert client.put(f"/drafts?topic={topic.id}", json={"body": "  "}, headers=JSON).get_json() == {
        "draft": None
    }
    assert drafts_of(db, member) == []


def test_no_draft_can_be_kept_for_a_topic_the_member_cannot_see(db, client, sign_in, member, mentors_only):
    hidden_topic = make_topic(category=mentors_only)
    db.session.commit()
    sign_in(member)
    response = client.put(f"/drafts?topic={hidden_topic.id}", json={"body": "probe"}, headers=JSON)
    assert response.status_code == 404
    assert drafts_of(db, member) == []


@pytest.mark.parametrize(
    "url, payload",
    [
        ("/drafts?topic=abc", {"body": "x"}),
        ("/drafts?new=poll", {"body": "x"}),
        ("/drafts", {"body": ["x"]}),
        ("/drafts", {"body": "x" * (BODY_MAX + 1)}),
        ("/drafts", {"body": "x", "title": "t" * 201}),
    ],
)
def test_bad_draft_input_gets_a_json_error_and_writes_nothing(db, client, sign_in, member, url, payload):
    sign_in(member)
    response = client.put(url, json=payload, headers=JSON)
    assert response.status_code == 400
    assert response.get_json()["error"]
    assert drafts_of(db, member) == []


def test_saving_a_draft_leaves_other_members_cached_pages_alone(db, member):
    from app.core.pagecache import USER_OWNED_TABLES

    assert USER_OWNED_TABLES["forum_draft"] == "user_id"


# --- autocomplete ------------------------------------------------------------------


def test_member_suggestions_match_username_and_display_name_prefixes(db, client, sign_in, member):
    make_user(username="carol", display_name="Carol King")
    make_user(username="ckent", display_name="Clark Kent")
    make_user(username="zed", display_name="Carla Z")
    db.session.commit()
    sign_in(member)
    found = client.get("/directory/suggest.json?q=car", headers=JSON).get_json()["members"]
    assert [m["username"] for m in found] == ["carol", "zed"]
    assert found[0]["display_name"] == "Carol King"
    assert client.get("/directory/suggest.json?q=@ck", headers=JSON).get_json()["members"][0]["username"] == (
        "ckent"
    )


def test_member_suggestions_leave_out_people_hidden_from_the_directory(db, client, sign_in, member):
    shy = make_user(username="shy", display_name="Shy Person")
    db.session.add(DirectoryProfile(user_id=shy.id, hidden=True))
    make_user(username="shout", display_name="Loud Person")
    db.session.commit()
    sign_in(member)
    found = client.get("/directory/suggest.json?q=sh", headers=JSON).get_json()["members"]
    assert [m["username"] for m in found] == ["shout"]


def test_member_suggestions_treat_wildcards_as_text_and_need_sign_in(db, client, sign_in, member):
    make_user(username="percy")
    db.session.commit()
    assert client.get("/directory/suggest.json?q=per", headers=JSON).status_code == 403
    sign_in(member)
    assert client.get("/directory/suggest.json?q=%25", headers=JSON).get_json()["members"] == []
    assert client.get("/directory/suggest.json?q=_", headers=JSON).get_json()["members"] == []


def test_tag_suggestions_offer_only_tags_on_visible_questions(db, client, sign_in, member):
    from app.qa import tags
    from app.qa.models import QACategory

    public = make_category(name="Questions", slug="questions")
    private = make_category(name="Secret Q", slug="secret-q", view_policy="mentor")
    db.session.flush()
    for cat in (public, private):
        db.session.add(QACategory(category_id=cat.id))
    db.session.commit()
    asked = make_topic(category=public)
    hidden = make_topic(category=private)
    tags.set_topic_tags(asked, ["python", "pytest"])
    tags.set_topic_tags(hidden, ["pyproject-secret"])
    db.session.commit()
    sign_in(member)
    names = [t["name"] for t in client.get("/qa/tags/suggest.json?q=%23py", headers=JSON).get_json()["tags"]]
    assert names == ["pytest", "python"]
