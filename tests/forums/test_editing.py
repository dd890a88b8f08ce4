"""Edits keep a revision history; the history page shows a word diff."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.core.errors import Invalid, NotFound, PermissionDenied
from app.forums import services
from app.forums.diff import word_diff
from app.forums.models import Post, PostRevision
from tests.factories import make_topic


def first_post(db, topic) -> Post:
    return db.session.scalar(sa.select(Post).where(Post.topic_id == topic.id, Post.number == 1))


def test_edit_stores_revision_and_marks_post_edited(db, member, events):
    topic = make_topic(author=member, body="old words here")
    post = first_post(db, topic)
    revision = services.edit_post(member, post, "new words here", title="A better title")
    assert (revision.old_body, revision.new_body) == ("old words here", "new words here")
    assert revision.new_title == "A better title" and topic.slug == "a-better-title"
    assert post.revision_count == 1 and post.edited_at is not None
    assert "new words" in post.body_html
    assert events.named("post_edited")[0]["revision"] is revision


def test_unchanged_edit_stores_nothing(db, member):
    topic = make_topic(author=member, body="same")
    assert services.edit_post(member, first_post(db, topic), "same") is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PostRevision)) == 0


def test_others_cannot_edit(db, member, other):
    topic = make_topic(author=member)
    with pytest.raises(PermissionDenied):
        services.edit_post(other, first_post(db, topic), "mine now")


def test_staff_can_edit_anyones_post(db, member, moderator):
    post = first_post(db, make_topic(author=member))
    assert services.edit_post(moderator, post, "tidied").editor_id == moderator.id


def test_edit_validates_body_and_title(db, member):
    post = first_post(db, make_topic(author=member))
    with pytest.raises(Invalid):
        services.edit_post(member, post, "")
    with pytest.raises(Invalid):
        services.edit_post(member, post, "fine", title="no")


def test_history_of_restricted_post_is_not_found(db, member, mentors_only):
    post = first_post(db, make_topic(category=mentors_only))
    with pytest.raises(NotFound):
        services.post_revisions(member, post)


def test_word_diff_marks_changes_and_escapes_text():
    html = str(word_diff("hello <b>world</b>", "hello <i>there</i>"))
    assert "<del>&lt;b&gt;world&lt;/b&gt;</del>" in html
    assert "<ins>&lt;i&gt;there&lt;/i&gt;</ins>" in html
    assert html.startswith("hello ")


def test_history_page_shows_the_diff(db, client, member):
    post = first_post(db, make_topic(author=member, body="one two three"))
    services.edit_post(member, post, "one 2 three")
    db.session.commit()
    page = client.get(f"/p/{post.id}/history").get_data(as_text=True)
    assert "<del>two</del>" in page and "<ins>2</ins>" in page


def test_edit_page_round_trip(db, client, sign_in, member):
    post = first_post(db, make_topic(author=member, body="before"))
    db.session.commit()
    sign_in(member)
    assert client.get(f"/p/{post.id}/edit").status_code == 200
    response = client.post(f"/p/{post.id}/edit", data={"title": "Fresh title", "body": "after"})
    assert response.status_code == 302
    db.session.refresh(post)
    assert post.body == "after" and post.topic.title == "Fresh title"


def test_edit_page_with_empty_body_is_a_form_error(db, client, sign_in, member):
    post = first_post(db, make_topic(author=member, body="before"))
    db.session.commit()
    sign_in(member)
    response = client.post(f"/p/{post.id}/edit", data={"title": "Fine title", "body": ""})
    assert response.status_code == 400
    db.session.refresh(post)
    assert post.body == "before" and post.revision_count == 0


def test_editing_someone_elses_post_over_http_is_refused(db, client, sign_in, member, other):
    post = first_post(db, make_topic(author=member, body="before"))
    db.session.commit()
    sign_in(other)
    assert client.get(f"/p/{post.id}/edit").status_code == 403
    assert client.post(f"/p/{post.id}/edit", data={"body": "hijack"}).status_code == 403
    db.session.refresh(post)
    assert post.body == "before"
