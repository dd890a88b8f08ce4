"""Referral demo data for ``flask seed-demo``: a handful of referrals between the demo
organizations, one in every interesting state, each with its timeline.

Like ``app.demo`` it writes through the models (no mail, no notifications, no plug-in
events) and is idempotent by natural key: (sender organization, recipient organization,
summary). ``flask search reindex`` picks the referrals up through the search hook.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa

from app.accounts.models import Organization, User
from app.core.db import utcnow
from app.core.sanitize import render_markdown
from app.extensions import db
from app.referrals.models import Referral, ReferralEvent

# (sender username, recipient org slug, fields, [(step, actor username, note, value)], days ago)
REFERRALS = [
    (
        "alice", "cloudbridge-msp",
        dict(summary="Managed backup for a 12-clinic dental group", customer_name="Brightsmile Dental",
             customer_region="North America", customer_industry="healthcare",
             specialisms=["managed backup", "monitoring"], estimated_value=Decimal("48000.00"), currency="USD",
             details="They outgrew tape. **Decision in Q3**; the IT lead prefers a monthly fee."),
        [("created", "alice", "", None), ("accepted", "erin", "We know this group, happy to take it.", None),
         ("in_progress", "erin", "Discovery call booked.", None)],
        9,
    ),
    (
        "carol", "lumen-software",
        dict(summary="Analytics add-on for a mining operator", customer_name="Cordillera Copper",
             customer_region="LATAM", customer_industry="mining", specialisms=["analytics", "APIs"],
             estimated_value=Decimal("120000.00"), currency="EUR", confidentiality="confidential",
             details="Board-level sponsor; do not contact the plant managers directly."),
        [("created", "carol", "", None)],
        2,
    ),
    (
        "heidi", "northwind-resellers",
        dict(summary="Firewall refresh for a UK retail chain", customer_name="High Street Goods",
             customer_region="EMEA", customer_industry="retail", specialisms=["networking", "security"],
             estimated_value=Decimal("75000.00"), currency="GBP",
             details="40 branches, current contract ends in March."),
        [("created", "heidi", "", None), ("accepted", "alice", "", None),
         ("in_progress", "alice", "", None), ("won", "alice", "Signed a three-year deal.", Decimal("81250.00"))],
        30,
    ),
    (
        "ivan", "andes-si",
        dict(summary="ERP integration for a school trust", customer_region="EMEA",
             customer_industry="education", specialisms=["ERP integration"], currency="EUR"),
        [("created", "ivan", "", None),
         ("declined", "carol", "We do not cover EMEA schools; try a local integrator.", None)],
        12,
    ),
]  # fmt: skip


def seed_referral_demo() -> int:
    """Add the demo referrals that are missing; returns how many were added."""
    orgs = {org.slug: org for org in db.session.scalars(sa.select(Organization))}
    users = {user.username: user for user in db.session.scalars(sa.select(User))}
    added = 0
    now = utcnow()
    for sender_name, recipient_slug, fields, steps, days_ago in REFERRALS:
        sender, recipient = users.get(sender_name), orgs.get(recipient_slug)
        if sender is None or recipient is None or sender.organization_id is None:
            continue
        exists = db.session.scalar(
            sa.select(Referral.id).where(
                Referral.sender_org_id == sender.organization_id,
                Referral.recipient_org_id == recipient.id,
                Referral.summary == fields["summary"],
            )
        )
        if exists is not None:
            continue
        created = now - timedelta(days=days_ago)
        referral = Referral(
            batch=secrets.token_hex(16),
            sender_id=sender.id,
            sender_org_id=sender.organization_id,
            recipient_org_id=recipient.id,
            details_html=render_markdown(fields.get("details", "")),
            expires_at=created + timedelta(days=30),
            created_at=created,
            updated_at=created,
            status="sent",
            **fields,
        )
        for hour, (step, actor_name, note, value) in enumerate(steps):
            actor = users.get(actor_name)
            referral.events.append(
                ReferralEvent(
                    actor_id=actor.id if actor else None,
                    kind=step,
                    note=note,
                    value=value,
                    created_at=created + timedelta(hours=hour * 20),
                )
            )
            if step != "created":
                referral.status = step
            if step == "declined":
                referral.decline_reason = note
            if step in ("won", "lost"):
                referral.outcome_value, referral.outcome_note = value, note
        db.session.add(referral)
        added += 1
    db.session.flush()
    return added
