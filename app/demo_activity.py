"""Demo activity beyond the forum (``flask seed-demo``): chat channels with history, a
flagged post waiting in the review queue, a suspended member and a pending request to
join an organization, so Chat, the queue, the admin area and an organization admin's
requests page open with something on them. Idempotent: each piece is looked up first.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.accounts.confusables import skeleton
from app.accounts.models import JOIN_PENDING, Organization, OrganizationJoinRequest, User
from app.accounts.passwords import hash_password
from app.chat.models import ChatChannel, ChatMembership, ChatMessage
from app.core.db import utcnow
from app.core.sanitize import render_markdown
from app.extensions import db
from app.forums.models import Post, Topic
from app.moderation.models import Flag

CHANNELS = [
    ("general", "General", "Say hello; anything partner-related.", [
        ("alice", "Morning all! Northwind's renewal season starts Monday."),
        ("bob", "Good luck. Singapore is already in the thick of it."),
        ("mentor", "If anyone needs a second pair of eyes on SSO setups this week, ping me."),
        ("carol", "Will do, Priya. Our ERP connector rollout hits SSO next."),
        ("erin", "Cloudbridge just passed 600 clinics :tada:"),
        ("moderator", "Congratulations Erin! Post it in Announcements?"),
    ]),
    ("apac", "APAC", "Partners in Asia Pacific; friendlier time zones.", [
        ("heidi", "Tokyo partner day is confirmed for the 14th."),
        ("bob", "I'll bring the licensing FAQ, printed this time."),
        ("heidi", "Perfect. Dinner after?"),
    ]),
]  # fmt: skip

SUSPENDED = ("mallory", "Mallory Spamwell", "Posted the same advert in every category.")
APPLICANT = ("nina", "Nina Novak", "northwind-resellers", "I joined Northwind's Dublin team this month.")
FLAG_NOTE = "Looks like an advert for a competitor; please check."


def _demo_user(
    username: str, display_name: str, domain: str, password: str, **profile: object
) -> tuple[User, bool]:
    email = f"{username}@{domain}"
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is not None:
        return user, False
    user = User(
        email=email,
        username=username,
        display_name=display_name,
        display_skeleton=skeleton(display_name),
        password_hash=hash_password(password),
        role="member",
        confirmed_at=utcnow(),
        languages=["English"],
        **profile,
    )
    user.bio_html = render_markdown(user.bio or "")
    db.session.add(user)
    db.session.flush()
    return user, True


def seed_activity_demo(domain: str, password: str) -> dict[str, int]:
    """Add what is missing; returns counts of what was added."""
    added = {"chat channels": 0, "chat messages": 0, "flags": 0, "suspended members": 0, "join requests": 0}
    users = {u.username: u for u in db.session.scalars(sa.select(User))}
    now = utcnow()

    for slug, name, topic, history in CHANNELS:
        channel = db.session.scalar(sa.select(ChatChannel).where(ChatChannel.slug == slug))
        if channel is not None:
            continue
        creator = users.get("moderator")
        channel = ChatChannel(kind="public", name=name, slug=slug, topic=topic, created_by=creator)
        db.session.add(channel)
        db.session.flush()
        added["chat channels"] += 1
        members = {author for author, _ in history if author in users}
        for username in sorted(members):
            role = "owner" if username == "moderator" else "member"
            db.session.add(ChatMembership(channel_id=channel.id, user_id=users[username].id, role=role))
        for index, (author, body) in enumerate(history):
            if author not in users:
                continue
            db.session.add(
                ChatMessage(
                    channel_id=channel.id,
                    author_id=users[author].id,
                    body=body,
                    body_html=render_markdown(body),
                    created_at=now - timedelta(minutes=5 * (len(history) - index)),
                )
            )
            added["chat messages"] += 1
    db.session.flush()

    username, display_name, reason = SUSPENDED
    spammer, created = _demo_user(
        username,
        display_name,
        domain,
        password,
        job_title="Growth Hacker",
        region="EMEA",
        bio="Best deals on licences!!!",
        organization=db.session.scalar(sa.select(Organization).where(Organization.slug == "bright-path")),
    )
    if created:
        spammer.suspended_until = now + timedelta(days=30)
        spammer.suspended_reason = reason
        added["suspended members"] += 1

    reporter = users.get("dave")
    open_flags = db.session.scalar(
        sa.select(sa.func.count()).select_from(Flag).where(Flag.resolved_at.is_(None))
    )
    if reporter is not None and not open_flags:
        post = db.session.scalar(
            sa.select(Post)
            .join(Topic, Topic.id == Post.topic_id)
            .where(Post.number > 1, Post.author_id != reporter.id, Post.deleted_at.is_(None))
            .order_by(Post.id)
            .limit(1)
        )
        if post is not None:
            db.session.add(Flag(post_id=post.id, reporter_id=reporter.id, reason="spam", note=FLAG_NOTE))
            added["flags"] += 1

    username, display_name, org_slug, note = APPLICANT
    applicant, _ = _demo_user(
        username,
        display_name,
        domain,
        password,
        job_title="Support Engineer",
        region="EMEA",
        country="IE",
        bio="New at Northwind Dublin.",
    )
    org = db.session.scalar(sa.select(Organization).where(Organization.slug == org_slug))
    asked = db.session.scalar(
        sa.select(OrganizationJoinRequest.id).where(OrganizationJoinRequest.user_id == applicant.id)
    )
    if org is not None and applicant.organization_id is None and asked is None:
        db.session.add(
            OrganizationJoinRequest(organization=org, user=applicant, note=note, status=JOIN_PENDING)
        )
        added["join requests"] += 1
    db.session.flush()
    return added
