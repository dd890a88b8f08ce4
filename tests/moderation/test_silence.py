"""Silence: a silenced member may read but not post, and is told why everywhere they try."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.chat.messages import post_message
from app.chat.models import ChatMessage
from app.core.db import utcnow
from app.core.errors import Conflict, Invalid, PermissionDenied
from app.core.permissions import can
from app.forums import services as forums
from app.forums.models import Post, Topic
from app.moderation import members
from app.moderation.models import AuditEntry
from app.qa import comments, questions
from tests.chat.conftest import make_channel
from tests.factories import make_category, make_post, make_topic, make_user
from tests.qa.conftest import make_qa_category

WEEK = timedelta(days=7)


def silenced(user, moderator, reason="Cooling off after a heated thread"):
    members.silence_user(moderator, user, utcnow() + WEEK, reason)
    return user


def assert_silenced_error(excinfo) -> None:
    message = excinfo.value.message
    assert "silenced" in message and "you can read, but not post" in message
    assert "Cooling off" in message


# --- the service ----------------------------------------------------------------------


def test_silence_user_sets_the_state_and_audits_it(db, moderator, member):
    members.silence_user(moderator, member, utcnow() + WEEK, "Heated")
    assert member.is_silenced and member.silenced_reason == "Heated"
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "user.silence"))
    assert (entry.actor_id, entry.target_type, entry.target_id, entry.reason) == (
        moderator.id,
        "user",
        member.id,
        "Heated",
    )


def test_silence_keeps_the_members_sessions(db, moderator, member):
    token = member.session_token
    members.silence_user(moderator, member, utcnow() + WEEK, "Heated")
    assert member.session_token == token and not member.is_suspended


def test_unsilence_lifts_the_state_and_audits_it(db, moderator, member):
    silenced(member, moderator)
    members.unsilence_user(moderator, member, "Calmer now")
    assert not member.is_silenced
    actions = list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions == ["user.silence", "user.unsilence"]


def test_unsilencing_someone_not_silenced_is_a_conflict(db, moderator, member):
    with pytest.raises(Conflict):
        members.unsilence_user(moderator, member)


@pytest.mark.parametrize("reason", ["", "   ", "x" * 1001])
def test_silence_needs_a_short_reason(db, moderator, member, reason):
    with pytest.raises(Invalid):
        members.silence_user(moderator, member, utcnow() + WEEK, reason)
    assert not member.is_silenced


def test_silence_must_end_in_the_future(db, moderator, member):
    with pytest.raises(Invalid):
        members.silence_user(moderator, member, utcnow() - timedelta(hours=1), "Heated")


def test_a_member_cannot_silence_anyone(db, member):
    other = make_user()
    with pytest.raises(PermissionDenied):
        members.silence_user(member, other, utcnow() + WEEK, "I dislike them")
    assert not other.is_silenced


def test_a_moderator_cannot_silence_an_admin_or_another_moderator(db, moderator, admin):
    with pytest.raises(PermissionDenied):
        members.silence_user(moderator, admin, utcnow() + WEEK, "x")
    with pytest.raises(PermissionDenied):
        members.silence_user(moderator, make_user(role="moderator"), utcnow() + WEEK, "x")
    members.silence_user(admin, moderator, utcnow() + WEEK, "an admin may")
    assert moderator.is_silenced


def test_a_silence_that_has_run_out_no_longer_applies(db, moderator, member):
    category = make_category()
    member.silenced_until = utcnow() - timedelta(minutes=1)
    assert not member.is_silenced
    assert can(member, "topic.create", category)


# --- a silenced member may not post, anywhere, and is told why --------------------------


def test_a_silenced_member_gets_a_clear_error_posting_a_topic(db, moderator, member):
    category = make_category()
    silenced(member, moderator)
    with pytest.raises(PermissionDenied) as excinfo:
        forums.create_topic(member, category, "Hello there", "A new topic body.")
    assert_silenced_error(excinfo)
    assert db.session.scalar(sa.select(sa.func.count(Topic.id))) == 0


def test_a_silenced_member_gets_a_clear_error_posting_a_reply(db, moderator, member):
    topic = make_topic()
    silenced(member, moderator)
    with pytest.raises(PermissionDenied) as excinfo:
        forums.create_reply(member, topic, "A reply body.")
    assert_silenced_error(excinfo)


def test_a_silenced_member_gets_a_clear_error_asking_and_answering(db, moderator, member):
    category = make_qa_category()
    question = questions.ask_question(make_user(), category, "How do I set up SSO?", "Details.", "sso")
    silenced(member, moderator)
    with pytest.raises(PermissionDenied) as excinfo:
        questions.answer_question(member, question, "Try turning it off and on.")
    assert_silenced_error(excinfo)
    with pytest.raises(PermissionDenied) as excinfo:
        questions.ask_question(member, category, "Another question here", "Details.", "sso")
    assert_silenced_error(excinfo)


def test_a_silenced_member_gets_a_clear_error_commenting(db, moderator, member):
    category = make_qa_category()
    question = questions.ask_question(make_user(), category, "How do I set up SSO?", "Details.", "sso")
    opening = db.session.scalar(sa.select(Post).where(Post.topic_id == question.id, Post.number == 1))
    silenced(member, moderator)
    with pytest.raises(PermissionDenied) as excinfo:
        comments.add_comment(member, opening, "Which version?")
    assert_silenced_error(excinfo)
    assert not comments.may_comment(member, opening)


def test_a_silenced_member_gets_a_clear_error_sending_a_chat_message(db, moderator, member):
    channel = make_channel(members=(member,))
    silenced(member, moderator)
    with pytest.raises(PermissionDenied) as excinfo:
        post_message(member, channel, "hello room")
    assert_silenced_error(excinfo)
    assert db.session.scalar(sa.select(sa.func.count(ChatMessage.id))) == 0


def test_a_silenced_member_cannot_edit_their_posts_either(db, moderator, member):
    post = make_post(make_topic(), author=member)
    silenced(member, moderator)
    assert not can(member, "post.edit", post)
    with pytest.raises(PermissionDenied) as excinfo:
        forums.edit_post(member, post, "Sneaky edit body.")
    assert_silenced_error(excinfo)


def test_a_silenced_member_can_still_read(db, moderator, member):
    topic = make_topic()
    make_post(topic)
    channel = make_channel(members=(member,))
    silenced(member, moderator)
    assert can(member, "topic.view", topic)
    assert can(member, "chat.view", channel)
    assert all(can(member, "post.view", post) for post in db.session.scalars(sa.select(Post)))


def test_an_outsider_to_a_private_room_still_gets_not_found_when_silenced(db, moderator, member):
    """The silence message must not reveal a private room the member is not in."""
    from app.core.errors import NotFound

    channel = make_channel(kind="private")
    silenced(member, moderator)
    with pytest.raises(NotFound):
        post_message(member, channel, "hello?")


# --- over HTTP ----------------------------------------------------------------------------


def test_a_silenced_member_posting_a_reply_over_http_sees_the_reason(db, login_as, moderator, member):
    topic = make_topic()
    silenced(member, moderator)
    db.session.commit()
    client = login_as(member)
    assert client.get(f"/t/{topic.id}", follow_redirects=True).status_code == 200  # still reads
    response = client.post(f"/t/{topic.id}/reply", data={"body": "Let me in"})
    assert response.status_code == 403
    assert "you can read, but not post" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Post.id)).where(Post.author_id == member.id)) == 0


def test_staff_silence_a_member_from_the_silence_page(db, login_as, moderator, member):
    db.session.commit()
    client = login_as(moderator)
    assert client.get(f"/mod/users/{member.username}/silence").status_code == 200
    until = (utcnow() + WEEK).date().isoformat()
    response = client.post(f"/mod/users/{member.username}/silence", data={"until": until, "reason": "Heated"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/u/{member.username}")
    db.session.expire_all()
    assert member.is_silenced
    # Refreshing the lift URL after the POST is never a 405.
    response = client.post(f"/mod/users/{member.username}/unsilence", data={})
    assert response.status_code == 302
    assert client.get(f"/mod/users/{member.username}/unsilence").status_code == 302
    db.session.expire_all()
    assert not member.is_silenced


def test_silencing_and_suspending_from_the_staff_pages_say_what_was_done(db, login_as, moderator, member):
    db.session.commit()
    client = login_as(moderator)
    until = (utcnow() + WEEK).date()
    data = {"until": until.isoformat(), "reason": "Heated"}
    silenced = client.post(f"/mod/users/{member.username}/silence", data=data, follow_redirects=True)
    assert f"{member.display_name} is silenced until {until:%Y-%m-%d}." in silenced.get_data(as_text=True)
    lifted = client.post(f"/mod/users/{member.username}/unsilence", data={}, follow_redirects=True)
    assert f"{member.display_name} may post again." in lifted.get_data(as_text=True)
    suspended = client.post(f"/mod/users/{member.username}/suspend", data=data, follow_redirects=True)
    assert f"{member.display_name} is suspended until {until:%Y-%m-%d}." in suspended.get_data(as_text=True)


def test_a_member_cannot_open_or_post_the_silence_page(db, login_as, member):
    other = make_user()
    db.session.commit()
    client = login_as(member)
    assert client.get(f"/mod/users/{other.username}/silence").status_code == 403
    until = (utcnow() + WEEK).date().isoformat()
    response = client.post(f"/mod/users/{other.username}/silence", data={"until": until, "reason": "x"})
    assert response.status_code == 403
    db.session.expire_all()
    assert not other.is_silenced


def test_a_silenced_member_sending_over_the_chat_socket_gets_an_error_event_with_the_reason(
    db, app, moderator, member
):
    from app.extensions import socketio
    from tests.chat.conftest import NS, signed_in_http

    channel = make_channel(members=(member,))
    silenced(member, moderator)
    db.session.commit()
    client = socketio.test_client(app, namespace=NS, flask_test_client=signed_in_http(app, member))
    try:
        assert client.is_connected(NS)  # silenced, not suspended: still connected, still reads
        ack = client.emit(
            "send", {"channel_id": channel.id, "body": "hi", "client_id": "s-1"}, namespace=NS, callback=True
        )
        [event] = [e["args"][0] for e in client.get_received(NS) if e["name"] == "error"]
    finally:
        client.disconnect(NS)
    assert "you can read, but not post" in ack["error"]
    assert event["event"] == "send" and "Cooling off" in event["error"]
    assert db.session.scalar(sa.select(sa.func.count(ChatMessage.id))) == 0


def test_a_silenced_member_with_editing_reputation_cannot_edit_others_answers(db, moderator, member):
    from app.qa import editing
    from app.qa.settings import setting
    from tests.qa.conftest import grant_reputation

    category = make_qa_category()
    question = questions.ask_question(make_user(), category, "How do I set up SSO?", "Details.", "sso")
    answer = questions.answer_question(make_user(), question, "Use the admin console.")
    grant_reputation(member, setting("threshold_edit_others") + 10)
    assert editing.may_edit(member, answer)  # the reputation privilege, before the silence
    silenced(member, moderator)
    assert not editing.may_edit(member, answer)
    with pytest.raises(PermissionDenied) as excinfo:
        editing.edit_qa_post(member, answer, "Rewritten by a silenced member.")
    assert_silenced_error(excinfo)


def test_a_silenced_member_cannot_edit_their_chat_messages(db, moderator, member):
    from app.chat.messages import edit_message

    channel = make_channel(members=(member,))
    message, _ = post_message(member, channel, "before the silence")
    silenced(member, moderator)
    with pytest.raises(PermissionDenied) as excinfo:
        edit_message(member, message, "after the silence")
    assert_silenced_error(excinfo)
