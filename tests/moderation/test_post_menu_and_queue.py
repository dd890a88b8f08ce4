"""The post menu, moderator deletion, the queue in context with one-click outcomes, result
URLs that answer GET, named audit entries and the staff box on profiles."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.core.db import utcnow
from app.core.errors import Conflict, PermissionDenied
from app.forums.models import Post
from app.moderation import members, services
from app.moderation.models import AuditEntry, Flag
from app.moderation.queue import queue_in_context
from tests.factories import make_post, make_topic, make_user
from tests.qa.conftest import make_qa_category


def page(client, url: str) -> str:
    response = client.get(url, follow_redirects=True)
    assert response.status_code == 200
    return response.get_data(as_text=True)


# --- the post menu ---------------------------------------------------------------------


def test_a_member_sees_only_flag_in_the_menu_of_someone_elses_post(db, login_as, member):
    topic = make_topic(title="Menu topic")
    post = make_post(topic)
    db.session.commit()
    html = page(login_as(member), f"/t/{topic.id}")
    assert 'class="post-menu"' in html
    assert f"/mod/flag/{post.id}" in html
    for moderation_url in (
        f"/mod/posts/{post.id}/hide",
        f"/mod/posts/{post.id}/delete",
        f"/mod/topics/{topic.id}/lock",
        f"/mod/topics/{topic.id}/move",
    ):
        assert moderation_url not in html


def test_a_visitor_gets_no_post_menu(db, client):
    topic = make_topic()
    db.session.commit()
    html = page(client, f"/t/{topic.id}")
    assert 'class="post-menu"' not in html


def test_a_moderator_sees_hide_delete_lock_and_move_in_the_menu(db, login_as, moderator):
    topic = make_topic()
    opening = db.session.scalar(sa.select(Post).where(Post.topic_id == topic.id))
    reply = make_post(topic)
    db.session.commit()
    html = page(login_as(moderator), f"/t/{topic.id}")
    for url in (
        f"/mod/posts/{reply.id}/hide",
        f"/mod/posts/{reply.id}/delete",
        f"/mod/posts/{opening.id}/delete",
        f"/mod/topics/{topic.id}/lock",
        f"/mod/topics/{topic.id}/move",
        f"/mod/flag/{reply.id}",
    ):
        assert url in html


def test_a_questions_page_offers_the_same_menu_to_staff_and_flag_to_members(db, login_as, moderator, member):
    question = make_topic(category=make_qa_category(), title="How do I rotate keys?")
    answer = make_post(question, body="Like this.")
    db.session.commit()
    url = f"/qa/q/{question.id}-{question.slug}"
    staff_html = page(login_as(moderator), url)
    assert f"/mod/posts/{answer.id}/hide" in staff_html and f"/mod/topics/{question.id}/lock" in staff_html
    member_html = page(login_as(member), url)
    assert f"/mod/flag/{answer.id}" in member_html
    assert f"/mod/posts/{answer.id}/hide" not in member_html


@pytest.mark.parametrize(
    "path",
    [
        "/mod/posts/{post}/hide",
        "/mod/posts/{post}/delete",
        "/mod/topics/{topic}/lock",
        "/mod/topics/{topic}/move",
        "/mod/users/{author}/suspend",
        "/mod/users/{author}/silence",
    ],
)
def test_a_member_posting_to_a_moderation_action_gets_403_and_nothing_changes(db, login_as, member, path):
    author = make_user()
    topic = make_topic(author=author)
    post = make_post(topic, author=author)
    db.session.commit()
    url = path.format(post=post.id, topic=topic.id, author=author.username)
    response = login_as(member).post(url, data={"reason": "x", "category_id": "1", "until": "2099-01-01"})
    assert response.status_code == 403
    db.session.expire_all()
    assert not post.hidden and post.deleted_at is None and not topic.locked
    assert not author.is_suspended and not author.is_silenced
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) == 0


# --- delete as a moderation action -------------------------------------------------------


def test_moderator_delete_soft_deletes_audits_and_leaves_search(db, moderator, events):
    topic = make_topic()
    post = make_post(topic, body="Spam spam spam")
    services.delete_post(moderator, post, "Spam")
    assert post.deleted_at is not None and post.deleted_by_id == moderator.id
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "post.delete"))
    assert (entry.target_type, entry.target_id, entry.reason) == ("post", post.id, "Spam")


def test_moderator_delete_fires_post_deleted_so_search_forgets_the_post(db, app, moderator):
    from app.plugins import hookimpl, plugin_manager

    seen = []

    class Listener:
        @hookimpl
        def post_deleted(self, post, actor):
            seen.append(post.id)

    plugin_manager(app).register(Listener())
    post = make_post(make_topic())
    services.delete_post(moderator, post)
    assert seen == [post.id]


def test_deleting_twice_is_a_conflict(db, moderator):
    post = make_post(make_topic())
    services.delete_post(moderator, post)
    with pytest.raises(Conflict):
        services.delete_post(moderator, post)


def test_a_member_cannot_delete_someone_elses_post_as_a_moderator(db, member):
    post = make_post(make_topic())
    with pytest.raises(PermissionDenied):
        services.delete_post(member, post)
    assert post.deleted_at is None


def test_delete_page_redirects_after_post_and_a_refresh_is_not_a_405(db, login_as, moderator):
    topic = make_topic()
    post = make_post(topic)
    db.session.commit()
    client = login_as(moderator)
    assert client.get(f"/mod/posts/{post.id}/delete").status_code == 200
    response = client.post(f"/mod/posts/{post.id}/delete", data={"reason": "Off-topic"})
    assert response.status_code == 302
    assert client.get(f"/mod/posts/{post.id}/delete").status_code == 302


# --- result URLs answer GET (post/redirect/get) -------------------------------------------


def test_refreshing_the_hide_post_result_is_not_a_405(db, login_as, moderator):
    post = make_post(make_topic())
    db.session.commit()
    client = login_as(moderator)
    response = client.post(f"/mod/posts/{post.id}/hide", data={"reason": "Rude"})
    assert response.status_code == 302
    assert client.get(f"/mod/posts/{post.id}/hide").status_code in (200, 302)
    assert client.get(f"/mod/posts/{post.id}/unhide").status_code == 302


def test_opening_the_hide_url_shows_the_reason_form(db, login_as, moderator):
    post = make_post(make_topic())
    db.session.commit()
    response = login_as(moderator).get(f"/mod/posts/{post.id}/hide")
    assert response.status_code == 200 and b'name="reason"' in response.data


@pytest.mark.parametrize("action", ["lock", "unlock", "pin", "unpin"])
def test_refreshing_a_topic_action_result_goes_back_to_the_topic(db, login_as, moderator, action):
    topic = make_topic()
    db.session.commit()
    response = login_as(moderator).get(f"/mod/topics/{topic.id}/{action}")
    assert response.status_code == 302 and f"/t/{topic.id}" in response.headers["Location"]


def test_refreshing_suspend_resolve_and_unsuspend_results_is_not_a_405(db, login_as, moderator, member):
    post = make_post(make_topic(), author=member)
    flag = services.flag_post(make_user(), post, "spam")
    db.session.commit()
    client = login_as(moderator)
    assert client.post(f"/mod/flags/{flag.id}/resolve", data={"resolution": "dismissed"}).status_code == 302
    assert client.get(f"/mod/flags/{flag.id}/resolve").status_code == 302
    until = (utcnow() + timedelta(days=3)).date().isoformat()
    response = client.post(f"/mod/users/{member.username}/suspend", data={"until": until, "reason": "x"})
    assert response.status_code == 302
    assert client.get(f"/mod/users/{member.username}/suspend").status_code == 200
    assert client.get(f"/mod/users/{member.username}/unsuspend").status_code == 302


def test_a_member_cannot_use_the_get_side_of_moderation_urls(db, login_as, member):
    post = make_post(make_topic())
    db.session.commit()
    client = login_as(member)
    assert client.get(f"/mod/posts/{post.id}/hide").status_code == 403
    assert client.get(f"/mod/posts/{post.id}/delete").status_code == 403
    assert client.get(f"/mod/topics/{post.topic_id}/lock").status_code == 403


# --- the queue in context and its one-click outcomes ----------------------------------------


def test_the_queue_shows_the_posts_before_the_flagged_one_and_the_authors_record(db, moderator):
    author = make_user(display_name="Repeat Offender")
    topic = make_topic(title="Context topic")
    make_post(topic, body="First reply")
    make_post(topic, body="Second reply")
    old = make_post(topic, author=author, body="An older bad post")
    services.resolve_flag(moderator, services.flag_post(make_user(), old, "spam"), "agreed")
    services.suspend_user(moderator, author, utcnow() + timedelta(days=1), "Spam")
    services.unsuspend_user(moderator, author)
    flagged = make_post(topic, author=author, body="The new bad post")
    services.flag_post(make_user(), flagged, "inappropriate", "Rude to a partner")
    (entry,) = queue_in_context(moderator)
    assert entry.item.post.id == flagged.id
    assert [p.body for p in entry.before] == ["First reply", "Second reply"]  # the hidden one is left out
    assert (entry.record.upheld_flags, entry.record.suspensions) == (1, 1)
    assert entry.may_suspend_author


def test_the_queue_page_shows_topic_excerpt_reason_and_record(db, login_as, moderator):
    topic = make_topic(title="Queue in context")
    make_post(topic, body="Earlier words")
    post = make_post(topic, body="Buy cheap watches now")
    services.flag_post(make_user(display_name="Rita Reporter"), post, "spam", "Third time today")
    db.session.commit()
    html = page(login_as(moderator), "/mod/queue")
    for text in (
        "Queue in context",
        "Buy cheap watches now",
        "Earlier words",
        "Rita Reporter",
        "Third time today",
        "0 earlier flags upheld",
        "Hide and suspend",
    ):
        assert text in html


def test_the_empty_queue_says_what_will_appear_there(db, login_as, moderator):
    html = page(login_as(moderator), "/mod/queue")
    assert "No flags waiting." in html and "Flags members raise appear here" in html


def test_hide_and_suspend_in_one_click_hides_suspends_and_audits_both(db, login_as, moderator, member):
    post = make_post(make_topic(), author=member)
    flag = services.flag_post(make_user(), post, "spam")
    db.session.commit()
    response = login_as(moderator).post(
        f"/mod/flags/{flag.id}/resolve", data={"resolution": "agreed", "days": "7"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert post.hidden and member.is_suspended
    assert member.suspended_until - utcnow() > timedelta(days=6)
    actions = list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions == ["flag.agreed", "post.hide", "user.suspend"]


@pytest.mark.parametrize(
    "data", [{"resolution": "agreed", "days": "5"}, {"resolution": "dismissed", "days": "7"}]
)
def test_a_bad_suspension_outcome_changes_nothing(db, login_as, moderator, member, data):
    post = make_post(make_topic(), author=member)
    flag = services.flag_post(make_user(), post, "spam")
    db.session.commit()
    response = login_as(moderator).post(f"/mod/flags/{flag.id}/resolve", data=data)
    assert response.status_code == 400
    db.session.expire_all()
    assert not post.hidden and not member.is_suspended
    assert db.session.get(Flag, flag.id).resolved_at is None


def test_the_queue_offers_no_suspension_of_an_admins_post(db, login_as, moderator, admin):
    post = make_post(make_topic(), author=admin)
    flag = services.flag_post(make_user(), post, "spam")
    db.session.commit()
    html = page(login_as(moderator), "/mod/queue")
    assert "Hide and suspend" not in html
    response = login_as(moderator).post(
        f"/mod/flags/{flag.id}/resolve", data={"resolution": "agreed", "days": "7"}
    )
    assert response.status_code == 403
    db.session.expire_all()
    assert not post.hidden


# --- the audit log names people and posts -------------------------------------------------


def test_the_moderators_audit_log_names_people_and_posts_with_links(db, login_as, moderator, member):
    topic = make_topic(title="Named topic")
    post = make_post(topic, author=member)
    services.hide_post(moderator, post, "Rude")
    services.suspend_user(moderator, member, utcnow() + timedelta(days=2), "Rude again")
    db.session.commit()
    html = page(login_as(moderator), "/mod/audit")
    assert f"{member.display_name} (@{member.username})" in html
    assert f'href="/u/{member.username}"' in html
    assert f"{moderator.display_name} (@{moderator.username})" in html
    assert f"Post {post.number} by {member.display_name} in “Named topic”" in html
    assert f'href="/p/{post.id}"' in html
    assert "user #" not in html and "post #" not in html


# --- the staff box on a profile -----------------------------------------------------------


def test_staff_see_suspend_silence_and_history_on_a_profile(db, login_as, moderator, member):
    post = make_post(make_topic(title="History topic"), author=member)
    services.flag_post(make_user(), post, "spam")
    members.silence_user(moderator, member, utcnow() + timedelta(days=1), "Calm down")
    db.session.commit()
    html = page(login_as(moderator), f"/u/{member.username}")
    assert 'id="moderation-history"' in html
    assert f"/mod/users/{member.username}/suspend" in html
    assert f"/mod/users/{member.username}/unsilence" in html  # lift, since silenced
    assert "History topic" in html and "user.silence" in html and "Calm down" in html


def test_members_see_no_staff_box_on_a_profile(db, login_as, member):
    other = make_user()
    db.session.commit()
    html = page(login_as(member), f"/u/{other.username}")
    assert 'id="moderation-history"' not in html and "/mod/users/" not in html


def test_a_profile_with_no_history_says_so(db, login_as, moderator, member):
    db.session.commit()
    html = page(login_as(moderator), f"/u/{member.username}")
    assert "No flags or moderator actions yet." in html


def test_member_history_lists_flags_against_them_and_actions_newest_first(db, moderator, member):
    post = make_post(make_topic(), author=member)
    services.flag_post(make_user(), post, "spam")
    services.hide_post(moderator, post, "Spam")
    members.silence_user(moderator, member, utcnow() + timedelta(days=1), "Calm")
    history = members.member_history(moderator, member)
    assert [f.flag.post_id for f in history.flags] == [post.id]
    assert [e.action for e in history.actions] == ["user.silence", "post.hide"]


def test_member_history_is_for_staff_only(db, member):
    with pytest.raises(PermissionDenied):
        members.member_history(member, make_user())
