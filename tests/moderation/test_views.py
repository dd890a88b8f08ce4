"""Moderation pages: staff-only access, forms, error paths that write nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.accounts.models import User
from app.forums.models import Post, Topic
from app.moderation import services
from app.moderation.models import AuditEntry, Flag
from tests.factories import browser_session_id, make_category, make_post, make_topic, make_user
from tests.hostile import page_script_vectors_in


def count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- flagging ----------------------------------------------------------------------


def test_flag_page_shows_the_form_with_reasons(db, login_as, member):
    post = make_post(make_topic())
    db.session.commit()
    response = login_as(member).get(f"/mod/flag/{post.id}")
    assert response.status_code == 200
    assert b'name="reason"' in response.data and b"Spam" in response.data
    assert b'for="note"' in response.data


def test_flagging_through_the_form_stores_the_flag(db, login_as, member):
    post = make_post(make_topic())
    db.session.commit()
    response = login_as(member).post(f"/mod/flag/{post.id}", data={"reason": "spam", "note": "ads"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/p/{post.id}"
    flag = db.session.scalar(sa.select(Flag))
    assert (flag.reporter_id, flag.reason, flag.note) == (member.id, "spam", "ads")


def test_flagging_twice_shows_a_form_error(db, login_as, member):
    post = make_post(make_topic())
    db.session.commit()
    client = login_as(member)
    client.post(f"/mod/flag/{post.id}", data={"reason": "spam"})
    response = client.post(f"/mod/flag/{post.id}", data={"reason": "spam"})
    assert response.status_code == 400
    assert b"already flagged" in response.data
    assert count(db, Flag) == 1


@pytest.mark.parametrize("data", [{"reason": "nonsense"}, {"reason": "spam", "note": "x" * 1001}])
def test_bad_flag_input_is_a_form_error_and_writes_nothing(db, login_as, member, data):
    post = make_post(make_topic())
    db.session.commit()
    response = login_as(member).post(f"/mod/flag/{post.id}", data=data)
    assert response.status_code == 400
    assert b"field-errors" in response.data
    assert count(db, Flag) == 0


def test_flagging_own_post_is_a_form_error(db, login_as, member):
    post = make_post(make_topic(), author=member)
    db.session.commit()
    response = login_as(member).post(f"/mod/flag/{post.id}", data={"reason": "spam"})
    assert response.status_code == 400
    assert b"your own post" in response.data


def test_flagging_a_post_in_a_private_category_answers_404(db, login_as, member):
    post = make_post(make_topic(category=make_category(view_policy="admin")))
    db.session.commit()
    assert login_as(member).get(f"/mod/flag/{post.id}").status_code == 404
    assert login_as(member).post(f"/mod/flag/{post.id}", data={"reason": "spam"}).status_code == 404
    assert count(db, Flag) == 0


def test_flagging_a_missing_post_answers_404(db, login_as, member):
    db.session.commit()
    assert login_as(member).get("/mod/flag/9999").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, db):
    post = make_post(make_topic())
    db.session.commit()
    response = client.get(f"/mod/flag/{post.id}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- queue -------------------------------------------------------------------------


def test_queue_lists_flagged_posts_for_staff(db, login_as, moderator):
    post = make_post(make_topic(title="Cheap watches"), body="Buy <b>now</b>")
    services.flag_post(make_user(), post, "spam", "")
    services.flag_post(make_user(), post, "spam", "really")
    db.session.commit()
    response = login_as(moderator).get("/mod/queue")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "2 flags" in html and "Spam × 2" in html and "Cheap watches" in html
    assert "Buy &lt;b&gt;now&lt;/b&gt;" in html
    assert f'href="/p/{post.id}"' in html
    assert page_script_vectors_in(html) == []


def test_queue_shows_review_count_in_nav_for_staff_only(db, login_as, moderator, member):
    services.flag_post(make_user(), make_post(make_topic()), "spam", "")
    db.session.commit()
    assert b"Review (1)" in login_as(moderator).get("/mod/queue").data
    member_client = login_as(member)
    assert b"Review (" not in member_client.get("/notifications/").data


@pytest.mark.parametrize("path", ["/mod/queue", "/mod/audit"])
def test_staff_pages_are_forbidden_to_members(db, login_as, member, path):
    db.session.commit()
    assert login_as(member).get(path).status_code == 403


def test_resolving_agreed_hides_the_post_and_leaves_the_queue(db, login_as, moderator):
    post = make_post(make_topic())
    flag = services.flag_post(make_user(), post, "inappropriate", "")
    db.session.commit()
    client = login_as(moderator)
    response = client.post(f"/mod/flags/{flag.id}/resolve", data={"resolution": "agreed"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Post, post.id).hidden
    assert db.session.get(Flag, flag.id).resolution == "agreed"
    assert b"No flags waiting" in client.get("/mod/queue").data


def test_resolving_with_a_bad_resolution_is_an_error_and_writes_nothing(db, login_as, moderator):
    flag = services.flag_post(make_user(), make_post(make_topic()), "spam", "")
    db.session.commit()
    response = login_as(moderator).post(f"/mod/flags/{flag.id}/resolve", data={"resolution": "nuke"})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Flag, flag.id).resolved_at is None
    assert count(db, AuditEntry) == 0


def test_members_cannot_resolve_flags(db, login_as, member):
    flag = services.flag_post(make_user(), make_post(make_topic()), "spam", "")
    db.session.commit()
    assert (
        login_as(member).post(f"/mod/flags/{flag.id}/resolve", data={"resolution": "agreed"}).status_code
        == 403
    )


# --- hide / unhide -----------------------------------------------------------------


def test_staff_hide_and_unhide_a_post(db, login_as, moderator):
    post = make_post(make_topic())
    db.session.commit()
    client = login_as(moderator)
    response = client.post(f"/mod/posts/{post.id}/hide", data={"reason": "rude", "next": "/t/1-x"})
    assert response.status_code == 302 and response.headers["Location"] == "/t/1-x"
    db.session.expire_all()
    assert db.session.get(Post, post.id).hidden_reason == "rude"
    assert client.post(f"/mod/posts/{post.id}/unhide").status_code == 302
    db.session.expire_all()
    assert not db.session.get(Post, post.id).hidden
    assert count(db, AuditEntry) == 2


def test_hide_without_reason_is_a_form_error_and_writes_nothing(db, login_as, moderator):
    post = make_post(make_topic())
    db.session.commit()
    response = login_as(moderator).post(f"/mod/posts/{post.id}/hide", data={"reason": " "})
    assert response.status_code == 400
    assert b"Please give a reason" in response.data
    db.session.expire_all()
    assert not db.session.get(Post, post.id).hidden
    assert count(db, AuditEntry) == 0


def test_hide_redirect_never_leaves_the_site(db, login_as, moderator):
    post = make_post(make_topic())
    db.session.commit()
    response = login_as(moderator).post(
        f"/mod/posts/{post.id}/hide", data={"reason": "spam", "next": "//evil.example/"}
    )
    assert response.headers["Location"] == f"/p/{post.id}"


def test_members_cannot_hide(db, login_as, member):
    post = make_post(make_topic())
    db.session.commit()
    assert login_as(member).post(f"/mod/posts/{post.id}/hide", data={"reason": "x"}).status_code == 403
    assert login_as(member).post(f"/mod/posts/{post.id}/unhide").status_code == 403
    assert count(db, AuditEntry) == 0


def test_unhiding_a_visible_post_flashes_and_writes_nothing(db, login_as, moderator):
    post = make_post(make_topic())
    db.session.commit()
    response = login_as(moderator).post(f"/mod/posts/{post.id}/unhide")
    assert response.status_code == 302
    assert count(db, AuditEntry) == 0


# --- topics ------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["lock", "pin"])
def test_staff_topic_actions(db, login_as, moderator, action):
    topic = make_topic()
    db.session.commit()
    response = login_as(moderator).post(f"/mod/topics/{topic.id}/{action}", data={"reason": "tidy"})
    assert response.status_code == 302
    db.session.expire_all()
    entry = db.session.scalar(sa.select(AuditEntry))
    assert entry.action == f"topic.{action}" and entry.reason == "tidy"


def test_unknown_topic_action_answers_404(db, login_as, moderator):
    topic = make_topic()
    db.session.commit()
    assert login_as(moderator).post(f"/mod/topics/{topic.id}/delete").status_code == 404


def test_topic_actions_are_forbidden_to_members(db, login_as, member):
    topic = make_topic()
    db.session.commit()
    assert login_as(member).post(f"/mod/topics/{topic.id}/lock").status_code == 403
    db.session.expire_all()
    assert not db.session.get(Topic, topic.id).locked


def test_move_topic_form_moves_the_topic(db, login_as, moderator):
    topic = make_topic()
    target = make_category(name="Announcements")
    db.session.commit()
    client = login_as(moderator)
    page = client.get(f"/mod/topics/{topic.id}/move")
    assert page.status_code == 200 and b"Announcements" in page.data
    response = client.post(f"/mod/topics/{topic.id}/move", data={"category_id": target.id, "reason": "news"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Topic, topic.id).category_id == target.id


@pytest.mark.parametrize("category_id", ["9999", "abc", ""])
def test_move_to_a_missing_category_is_a_form_error(db, login_as, moderator, category_id):
    topic = make_topic()
    db.session.commit()
    response = login_as(moderator).post(f"/mod/topics/{topic.id}/move", data={"category_id": category_id})
    assert response.status_code == 400
    assert count(db, AuditEntry) == 0


def test_move_to_the_same_category_is_a_form_error(db, login_as, moderator):
    topic = make_topic()
    db.session.commit()
    response = login_as(moderator).post(
        f"/mod/topics/{topic.id}/move", data={"category_id": topic.category_id}
    )
    assert response.status_code == 400 and b"already in that category" in response.data


def test_move_page_is_forbidden_to_members(db, login_as, member):
    topic = make_topic()
    db.session.commit()
    assert login_as(member).get(f"/mod/topics/{topic.id}/move").status_code == 403


# --- suspensions -------------------------------------------------------------------


def _future(days: int = 7) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


def test_suspend_form_suspends_the_member(db, login_as, moderator, member):
    db.session.commit()
    client = login_as(moderator)
    assert client.get(f"/mod/users/{member.username}/suspend").status_code == 200
    response = client.post(
        f"/mod/users/{member.username}/suspend", data={"until": _future(), "reason": "spam"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, member.id)
    assert user.is_suspended and user.suspended_reason == "spam"


@pytest.mark.parametrize(
    "data",
    [
        {"until": "not-a-date", "reason": "spam"},
        {"until": "", "reason": "spam"},
        {"until": "2001-01-01", "reason": "spam"},
        {"until": "2999-01-01", "reason": "spam"},
        {"until": _future(), "reason": ""},
        {"until": _future(), "reason": "x" * 1001},
    ],
)
def test_bad_suspension_input_is_a_form_error_and_writes_nothing(db, login_as, moderator, member, data):
    db.session.commit()
    response = login_as(moderator).post(f"/mod/users/{member.username}/suspend", data=data)
    assert response.status_code == 400
    assert b"field-errors" in response.data or b"form-error" in response.data
    db.session.expire_all()
    assert not db.session.get(User, member.id).is_suspended
    assert count(db, AuditEntry) == 0


def test_suspending_an_admin_is_refused_on_the_form(db, login_as, moderator, admin):
    db.session.commit()
    response = login_as(moderator).post(
        f"/mod/users/{admin.username}/suspend", data={"until": _future(), "reason": "x"}
    )
    assert response.status_code == 403
    assert b"Administrators cannot be suspended" in response.data
    db.session.expire_all()
    assert not db.session.get(User, admin.id).is_suspended


def test_suspend_page_is_forbidden_to_members_and_missing_users_are_404(db, login_as, member, moderator):
    other = make_user()
    db.session.commit()
    assert login_as(member).get(f"/mod/users/{other.username}/suspend").status_code == 403
    assert login_as(moderator).get("/mod/users/nobody-here/suspend").status_code == 404


def test_suspended_users_existing_session_stops_working(app, db, moderator, member):
    db.session.commit()
    member_client = app.test_client()
    with member_client.session_transaction() as session:
        session["_user_id"] = browser_session_id(member)
    assert member_client.get("/notifications/").status_code == 200
    services.suspend_user(moderator, member, date.today() + timedelta(days=3), "cooling off")
    db.session.commit()
    response = member_client.get("/notifications/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_unsuspend_lifts_the_suspension(db, login_as, moderator, member):
    services.suspend_user(moderator, member, date.today() + timedelta(days=3), "x")
    db.session.commit()
    response = login_as(moderator).post(f"/mod/users/{member.username}/unsuspend", data={"reason": "appeal"})
    assert response.status_code == 302
    db.session.expire_all()
    assert not db.session.get(User, member.id).is_suspended


def test_unsuspend_someone_not_suspended_flashes_and_writes_nothing(db, login_as, moderator, member):
    db.session.commit()
    response = login_as(moderator).post(f"/mod/users/{member.username}/unsuspend")
    assert response.status_code == 302
    assert count(db, AuditEntry) == 0


def test_members_cannot_unsuspend(db, login_as, moderator, member):
    other = make_user()
    services.suspend_user(moderator, other, date.today() + timedelta(days=3), "x")
    db.session.commit()
    assert login_as(member).post(f"/mod/users/{other.username}/unsuspend").status_code == 403


# --- audit log ---------------------------------------------------------------------


def test_audit_page_lists_and_filters_entries(db, login_as, admin, moderator):
    services.record_audit(moderator, "post.hide", "post", 11, reason="<script>alert(1)</script>")
    services.record_audit(admin, "topic.lock", "topic", 22, reason="calm down")
    db.session.commit()
    client = login_as(admin)
    html = client.get("/mod/audit").get_data(as_text=True)
    assert html.index("topic #22") < html.index("post #11")
    assert "&lt;script&gt;" in html and page_script_vectors_in(html) == []
    filtered = client.get("/mod/audit?action=topic.lock").get_data(as_text=True)
    assert "topic #22" in filtered and "post #11" not in filtered
    by_actor = client.get(f"/mod/audit?actor={moderator.username}").get_data(as_text=True)
    assert "post #11" in by_actor and "topic #22" not in by_actor


def test_audit_page_tolerates_bad_page_numbers(db, login_as, admin):
    db.session.commit()
    client = login_as(admin)
    assert client.get("/mod/audit?page=abc").status_code == 200
    assert client.get("/mod/audit?page=-5").status_code == 200
    assert client.get("/mod/audit?page=999").status_code == 200


def test_queue_buttons_carry_a_working_csrf_token(app, db, login_as, moderator):
    import re

    app.config["WTF_CSRF_ENABLED"] = True
    flag = services.flag_post(make_user(), make_post(make_topic()), "spam", "")
    db.session.commit()
    client = login_as(moderator)
    html = client.get("/mod/queue").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    forged = client.post(f"/mod/flags/{flag.id}/resolve", data={"resolution": "dismissed"})
    assert forged.status_code == 400
    response = client.post(
        f"/mod/flags/{flag.id}/resolve", data={"resolution": "dismissed", "csrf_token": token}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Flag, flag.id).resolution == "dismissed"


def test_a_bare_hide_button_asks_for_the_reason_and_writes_nothing(db, login_as, moderator):
    post = make_post(make_topic())
    db.session.commit()
    response = login_as(moderator).post(f"/mod/posts/{post.id}/hide", data={})
    assert response.status_code == 200
    assert b'name="reason"' in response.data and b"field-errors" not in response.data
    db.session.expire_all()
    assert not db.session.get(Post, post.id).hidden
    assert count(db, AuditEntry) == 0
