"""Moderation services: who may act, what is written, which events fire."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from app.accounts.models import Anonymous
from app.core.db import utcnow
from app.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.forums.models import Post
from app.moderation import services
from app.moderation.models import AuditEntry, Flag
from tests.factories import make_category, make_post, make_topic, make_user


def audit_actions(db) -> list[str]:
    return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


# --- audit -------------------------------------------------------------------------


def test_record_audit_writes_actor_target_reason_and_time(db, moderator):
    entry = services.record_audit(
        moderator, "user.role", "user", 42, reason="promoted", details={"to": "mentor"}
    )
    assert entry.id is not None
    assert (entry.actor_id, entry.action, entry.target_type, entry.target_id) == (
        moderator.id,
        "user.role",
        "user",
        42,
    )
    assert entry.reason == "promoted"
    assert entry.details == {"to": "mentor"}
    assert entry.created_at is not None


def test_audit_log_is_newest_first_and_filters_by_action_and_actor(db, moderator, admin):
    services.record_audit(moderator, "post.hide", "post", 1)
    services.record_audit(admin, "topic.lock", "topic", 2)
    services.record_audit(moderator, "topic.lock", "topic", 3)
    everything = services.audit_log(admin)
    assert [e.target_id for e in everything.entries] == [3, 2, 1]
    assert [e.target_id for e in services.audit_log(admin, action="topic.lock").entries] == [3, 2]
    mine = services.audit_log(admin, actor_username=moderator.username)
    assert [e.target_id for e in mine.entries] == [3, 1]


def test_audit_log_is_paginated(db, admin):
    for n in range(5):
        services.record_audit(admin, "post.hide", "post", n)
    page = services.audit_log(admin, page=2, per_page=2)
    assert [e.target_id for e in page.entries] == [2, 1]
    assert page.pages == 3 and page.has_prev and page.has_next


def test_audit_log_is_staff_only(db, member):
    with pytest.raises(PermissionDenied):
        services.audit_log(member)


# --- flags -------------------------------------------------------------------------


def test_member_flags_a_post_and_the_event_fires(db, member, events):
    post = make_post(make_topic())
    flag = services.flag_post(member, post, "spam", "  buy now links  ")
    assert (flag.post_id, flag.reporter_id, flag.reason, flag.note) == (
        post.id,
        member.id,
        "spam",
        "buy now links",
    )
    assert flag.resolved_at is None
    assert events.names() == ["post_flagged"]
    assert events.events[0][1]["flag"] is flag


def test_second_open_flag_on_the_same_post_is_refused(db, member):
    post = make_post(make_topic())
    services.flag_post(member, post, "spam", "")
    with pytest.raises(Conflict, match="already flagged"):
        services.flag_post(member, post, "off-topic", "")
    assert db.session.scalar(sa.select(sa.func.count(Flag.id))) == 1


def test_member_may_flag_again_after_the_first_flag_was_resolved(db, member, moderator):
    post = make_post(make_topic())
    first = services.flag_post(member, post, "spam", "")
    services.resolve_flag(moderator, first, "dismissed")
    again = services.flag_post(member, post, "spam", "it is back")
    assert again.id != first.id


def test_cannot_flag_own_post(db, member):
    post = make_post(make_topic(), author=member)
    with pytest.raises(Invalid, match="own post"):
        services.flag_post(member, post, "spam", "")


def test_unknown_flag_reason_is_refused(db, member):
    post = make_post(make_topic())
    with pytest.raises(Invalid) as error:
        services.flag_post(member, post, "because", "")
    assert error.value.field == "reason"


def test_flag_note_longer_than_1000_characters_is_refused(db, member):
    post = make_post(make_topic())
    with pytest.raises(Invalid) as error:
        services.flag_post(member, post, "other", "x" * 1001)
    assert error.value.field == "note"
    services.flag_post(member, post, "other", "x" * 1000)


def test_cannot_flag_a_post_one_cannot_see(db, member):
    secret = make_category(view_policy="moderator,admin")
    post = make_post(make_topic(category=secret))
    with pytest.raises(NotFound):
        services.flag_post(member, post, "spam", "")


def test_anonymous_and_suspended_users_cannot_flag(db):
    post = make_post(make_topic())
    with pytest.raises(PermissionDenied):
        services.flag_post(Anonymous(), post, "spam", "")
    suspended = make_user(suspended_until=utcnow() + timedelta(days=1), suspended_reason="x")
    with pytest.raises(PermissionDenied):
        services.flag_post(suspended, post, "spam", "")


# --- review queue ------------------------------------------------------------------


def test_queue_groups_open_flags_by_post_with_counts_and_reasons(db, moderator):
    busy = make_post(make_topic())
    quiet = make_post(make_topic())
    services.flag_post(make_user(), busy, "spam", "")
    services.flag_post(make_user(), busy, "spam", "")
    services.flag_post(make_user(), busy, "off-topic", "")
    services.flag_post(make_user(), quiet, "other", "hmm")
    items = services.review_queue(moderator)
    assert [item.post.id for item in items] == [busy.id, quiet.id]
    assert items[0].count == 3
    assert items[0].reasons == [("Spam", 2), ("Off-topic", 1)]


def test_queue_is_staff_only(db, member):
    with pytest.raises(PermissionDenied):
        services.review_queue(member)


def test_agreeing_hides_the_post_resolves_all_its_flags_and_audits(db, moderator, events):
    post = make_post(make_topic())
    first = services.flag_post(make_user(), post, "spam", "")
    second = services.flag_post(make_user(), post, "inappropriate", "")
    services.resolve_flag(moderator, first, "agreed")
    assert post.hidden and post.hidden_reason == "Spam"
    assert {f.resolution for f in (first, second)} == {"agreed"}
    assert first.resolved_by_id == moderator.id and second.resolved_at is not None
    assert services.review_queue(moderator) == []
    assert audit_actions(db) == ["flag.agreed", "post.hide"]
    assert "post_hidden" in events.names()


def test_dismissing_leaves_the_post_and_empties_the_queue(db, moderator):
    post = make_post(make_topic())
    flag = services.flag_post(make_user(), post, "spam", "")
    services.resolve_flag(moderator, flag, "dismissed")
    assert not post.hidden
    assert flag.resolution == "dismissed"
    assert services.open_flag_count() == 0
    assert audit_actions(db) == ["flag.dismissed"]


def test_resolving_twice_or_with_unknown_resolution_is_refused(db, moderator):
    flag = services.flag_post(make_user(), make_post(make_topic()), "spam", "")
    with pytest.raises(Invalid):
        services.resolve_flag(moderator, flag, "maybe")
    services.resolve_flag(moderator, flag, "dismissed")
    with pytest.raises(Conflict):
        services.resolve_flag(moderator, flag, "agreed")


def test_members_cannot_resolve_flags(db, member):
    flag = services.flag_post(make_user(), make_post(make_topic()), "spam", "")
    with pytest.raises(PermissionDenied):
        services.resolve_flag(member, flag, "agreed")
    assert flag.resolved_at is None


# --- hiding ------------------------------------------------------------------------


def test_hide_post_sets_reason_audits_and_fires(db, moderator, events):
    post = make_post(make_topic())
    services.hide_post(moderator, post, "  rude  ")
    assert post.hidden and post.hidden_reason == "rude"
    assert not post.topic.hidden
    entry = db.session.scalar(sa.select(AuditEntry))
    assert (entry.action, entry.target_type, entry.target_id, entry.reason) == (
        "post.hide",
        "post",
        post.id,
        "rude",
    )
    assert events.events == [("post_hidden", {"post": post, "actor": moderator, "reason": "rude"})]


def test_hiding_the_opening_post_hides_the_topic_and_unhiding_restores_it(db, moderator, events):
    topic = make_topic()
    opening = db.session.scalar(sa.select(Post).where(Post.topic_id == topic.id, Post.number == 1))
    services.hide_post(moderator, opening, "spam")
    assert topic.hidden
    services.unhide_post(moderator, opening)
    assert not topic.hidden and not opening.hidden and opening.hidden_reason == ""
    assert events.names() == ["post_hidden", "post_unhidden"]
    assert audit_actions(db) == ["post.hide", "post.unhide"]


def test_hide_requires_a_reason_and_writes_nothing_without_one(db, moderator, events):
    post = make_post(make_topic())
    with pytest.raises(Invalid):
        services.hide_post(moderator, post, "   ")
    assert not post.hidden
    assert audit_actions(db) == [] and events.events == []


def test_members_cannot_hide_or_unhide(db, member):
    post = make_post(make_topic())
    with pytest.raises(PermissionDenied):
        services.hide_post(member, post, "mine now")
    post.hidden = True
    with pytest.raises(PermissionDenied):
        services.unhide_post(member, post)


def test_hiding_a_hidden_post_or_unhiding_a_visible_one_conflicts(db, moderator):
    post = make_post(make_topic())
    with pytest.raises(Conflict):
        services.unhide_post(moderator, post)
    services.hide_post(moderator, post, "spam")
    with pytest.raises(Conflict):
        services.hide_post(moderator, post, "spam")


# --- topics ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "attribute", "value"),
    [("lock", "locked", True), ("pin", "pinned", True)],
)
def test_lock_and_pin_set_state_audit_and_fire(db, moderator, events, action, attribute, value):
    topic = make_topic()
    services.set_topic_state(moderator, topic, action, "because")
    assert getattr(topic, attribute) is value
    assert audit_actions(db) == [f"topic.{action}"]
    assert events.events == [
        ("topic_moderated", {"topic": topic, "actor": moderator, "action": action, "reason": "because"})
    ]


def test_unlock_and_unpin_reverse_the_state(db, moderator):
    topic = make_topic(locked=True, pinned=True)
    services.set_topic_state(moderator, topic, "unlock")
    services.set_topic_state(moderator, topic, "unpin")
    assert not topic.locked and not topic.pinned
    assert audit_actions(db) == ["topic.unlock", "topic.unpin"]


def test_topic_action_that_changes_nothing_conflicts(db, moderator):
    with pytest.raises(Conflict, match="already unlocked"):
        services.set_topic_state(moderator, make_topic(), "unlock")


def test_unknown_topic_action_is_not_found(db, moderator):
    with pytest.raises(NotFound):
        services.set_topic_state(moderator, make_topic(), "explode")


def test_members_cannot_lock_or_move(db, member):
    topic = make_topic()
    with pytest.raises(PermissionDenied):
        services.set_topic_state(member, topic, "lock")
    with pytest.raises(PermissionDenied):
        services.move_topic(member, topic, make_category())
    assert not topic.locked


def test_move_topic_changes_category_audits_and_fires(db, moderator, events):
    topic = make_topic()
    old = topic.category_id
    target = make_category(name="Elsewhere")
    services.move_topic(moderator, topic, target, "wrong place")
    assert topic.category_id == target.id
    entry = db.session.scalar(sa.select(AuditEntry))
    assert entry.action == "topic.move"
    assert entry.details == {"from_category_id": old, "to_category_id": target.id}
    assert events.events[0][1]["action"] == "move"


def test_move_topic_needs_an_existing_other_category(db, moderator):
    topic = make_topic()
    with pytest.raises(Invalid):
        services.move_topic(moderator, topic, None)
    with pytest.raises(Invalid):
        services.move_topic(moderator, topic, topic.category)
    assert audit_actions(db) == []


# --- suspensions -------------------------------------------------------------------


def test_suspend_sets_fields_rotates_session_audits_and_fires(db, moderator, member, events):
    token = member.session_token
    until = date.today() + timedelta(days=7)
    services.suspend_user(moderator, member, until, "spamming")
    assert member.is_suspended
    assert member.suspended_until.date() == until
    assert member.suspended_reason == "spamming"
    assert member.session_token != token
    assert audit_actions(db) == ["user.suspend"]
    name, payload = events.events[0]
    assert name == "user_suspended" and payload["user"] is member and payload["reason"] == "spamming"


def test_suspension_must_end_in_the_future(db, moderator, member):
    with pytest.raises(Invalid) as error:
        services.suspend_user(moderator, member, date.today(), "x")
    assert error.value.field == "until"
    with pytest.raises(Invalid):
        services.suspend_user(moderator, member, utcnow() - timedelta(minutes=1), "x")
    assert not member.is_suspended and audit_actions(db) == []


def test_suspension_lasts_at_most_ten_years(db, moderator, member):
    with pytest.raises(Invalid, match="ten years"):
        services.suspend_user(moderator, member, date.today() + timedelta(days=3660), "x")
    services.suspend_user(moderator, member, date.today() + timedelta(days=3650), "x")


def test_suspension_requires_a_reason(db, moderator, member):
    with pytest.raises(Invalid):
        services.suspend_user(moderator, member, date.today() + timedelta(days=1), "  ")
    assert not member.is_suspended


def test_staff_cannot_suspend_themselves_or_admins(db, moderator, admin):
    soon = date.today() + timedelta(days=1)
    with pytest.raises(PermissionDenied):
        services.suspend_user(moderator, moderator, soon, "x")
    with pytest.raises(PermissionDenied):
        services.suspend_user(moderator, admin, soon, "x")
    with pytest.raises(PermissionDenied):
        services.suspend_user(admin, admin, soon, "x")
    with pytest.raises(PermissionDenied):
        services.suspend_user(admin, make_user(role="admin"), soon, "x")


def test_only_admins_may_suspend_moderators(db, moderator, admin):
    other = make_user(role="moderator")
    soon = date.today() + timedelta(days=1)
    with pytest.raises(PermissionDenied):
        services.suspend_user(moderator, other, soon, "x")
    services.suspend_user(admin, other, soon, "x")
    assert other.is_suspended


def test_members_cannot_suspend(db, member):
    with pytest.raises(PermissionDenied):
        services.suspend_user(member, make_user(), date.today() + timedelta(days=1), "x")


def test_unsuspend_clears_the_suspension_and_audits(db, moderator, member):
    services.suspend_user(moderator, member, date.today() + timedelta(days=1), "x")
    services.unsuspend_user(moderator, member, "appeal accepted")
    assert not member.is_suspended and member.suspended_reason == ""
    assert audit_actions(db) == ["user.suspend", "user.unsuspend"]


def test_unsuspending_someone_not_suspended_conflicts(db, moderator, member):
    with pytest.raises(Conflict):
        services.unsuspend_user(moderator, member)
