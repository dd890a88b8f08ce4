"""Automatic membership (issue 23): admins choose rules per group (a profile region or
country, or an organization), and members who match are added when they register, when
their profile changes (joining an organization is a profile change) and, for those who
already match, when the rule is made.

A rule adds only someone who has never had a place in the group: a member who left an
automatic group, was removed, declined or banned keeps that choice (their membership
row stays), so the next profile change does not put them back. Suspended accounts are
skipped; a pending request is left for the leaders to answer.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.accounts.models import Organization, User
from app.accounts.places import country_code
from app.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.core.permissions import is_active_member, is_admin
from app.extensions import db
from app.plugins.groups import services
from app.plugins.groups.models import RULE_KINDS, Group, GroupAutoRule, GroupMembership

VALUE_MAX = 120


def rule_matches(rule: GroupAutoRule, user: Any) -> bool:
    if rule.kind == "region":
        return bool(user.region) and user.region.strip().lower() == rule.value.lower()
    if rule.kind == "country":
        return bool(user.country) and services.same_country(user.country) == services.same_country(rule.value)
    organization = user.organization
    return organization is not None and organization.slug == rule.value


def rules_of(actor: Any, group: Group) -> list[GroupAutoRule]:
    """A group's rules, for admins (they alone choose them)."""
    if not is_admin(actor):
        raise PermissionDenied()
    return list(
        db.session.scalars(
            sa.select(GroupAutoRule).where(GroupAutoRule.group_id == group.id).order_by(GroupAutoRule.id)
        )
    )


def add_rule(actor: Any, group: Group, kind: str, value: str) -> tuple[GroupAutoRule, int]:
    """An admin adds a rule; members who match it now are added at once. Returns the
    rule and how many members it added."""
    if not is_admin(actor):
        raise PermissionDenied("Only admins choose automatic membership rules.")
    if kind not in RULE_KINDS:
        raise Invalid("Rule: profile region, profile country or organization.", field="kind")
    value = services.clean_line(value, "value", VALUE_MAX)
    if kind == "organization":
        organization = db.session.scalar(sa.select(Organization).where(Organization.slug == value.lower()))
        if organization is None:
            raise Invalid("No organization has that address (slug).", field="value")
        value = organization.slug
    elif kind == "country":
        value = country_code(value) or value
    existing = db.session.scalar(
        sa.select(GroupAutoRule.id).where(
            GroupAutoRule.group_id == group.id,
            GroupAutoRule.kind == kind,
            sa.func.lower(GroupAutoRule.value) == value.lower(),
        )
    )
    if existing is not None:
        raise Conflict("This group already has that rule.")
    rule = GroupAutoRule(group_id=group.id, kind=kind, value=value, created_by_id=actor.id)
    db.session.add(rule)
    db.session.flush()
    added = 0
    for user in db.session.scalars(sa.select(User).order_by(User.id)):
        if rule_matches(rule, user) and _add(group, user):
            added += 1
    return rule, added


def remove_rule(actor: Any, rule: GroupAutoRule) -> None:
    """An admin removes a rule; members it added stay (they may leave)."""
    if not is_admin(actor):
        raise PermissionDenied("Only admins choose automatic membership rules.")
    db.session.delete(rule)
    db.session.flush()


def rule_for(actor: Any, group: Group, rule_id: int) -> GroupAutoRule:
    rule = db.session.get(GroupAutoRule, rule_id)
    if rule is None or rule.group_id != group.id or not is_admin(actor):
        raise NotFound()
    return rule


def _add(group: Group, user: Any) -> bool:
    """Add ``user`` if they never had a place in ``group``; False when they had one."""
    if not is_active_member(user):
        return False
    had_place = db.session.scalar(
        sa.select(GroupMembership.id).where(
            GroupMembership.group_id == group.id, GroupMembership.user_id == user.id
        )
    )
    if had_place is not None:
        return False
    try:
        services.enter_automatically(group, user)
    except Conflict:  # a concurrent join or request made the row first: theirs stands
        return False
    return True


def apply_rules(user: Any) -> list[Group]:
    """Add ``user`` to every group whose rule they match and that they never had a place
    in (the ``user_registered`` and ``profile_updated`` hooks)."""
    added = []
    rules = db.session.scalars(sa.select(GroupAutoRule).order_by(GroupAutoRule.group_id, GroupAutoRule.id))
    for rule in rules:
        if rule_matches(rule, user) and rule.group not in added and _add(rule.group, user):
            added.append(rule.group)
    return added
