"""Kinds of notification that plug-ins declare, and each member's choice for them.

Core kinds have their own columns in ``NotificationPreference``; a plug-in's kinds
(``notification_kinds`` hook) are read from the enabled plug-ins on each use, so a
disabled plug-in's kinds vanish from the preferences page and its stored choices are
never read, without the core knowing any plug-in by name.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from app.core.errors import Invalid
from app.core.permissions import require
from app.extensions import db
from app.notifications.models import KINDS, NotificationKindPreference
from app.plugins import fire

log = logging.getLogger("guildhall.notifications")

# Kind names are stored in ``notification.kind`` (30 characters) and become form field
# names, so they are short identifiers.
KIND_NAME = re.compile(r"^[a-z][a-z0-9_]{0,29}$")
DEFAULT_GROUP = "More notifications"

# The choice a member makes per plug-in kind: (value, label, in-app, email).
DELIVERY = (
    ("app_email", "In the app and by email", True, True),
    ("app", "In the app only", True, False),
    ("email", "By email only", False, True),
    ("off", "Off", False, False),
)


@dataclass(frozen=True)
class PluginKind:
    """One declared kind: its label and group on the preferences page, and the
    delivery a member gets until they choose."""

    name: str
    label: str
    group: str = DEFAULT_GROUP
    in_app: bool = True
    email: bool = False


@dataclass(frozen=True)
class KindChoice:
    in_app: bool
    email: bool

    @property
    def value(self) -> str:
        """The ``DELIVERY`` value the preferences form shows for this choice."""
        for value, _label, in_app, email in DELIVERY:
            if (in_app, email) == (self.in_app, self.email):
                return value
        return "off"  # unreachable: the four pairs are all covered


def parse_declaration(name: Any, declaration: Any) -> PluginKind | None:
    """One hook entry → a ``PluginKind``; a label alone keeps the old contract (in-app
    only until the member chooses email)."""
    if not isinstance(name, str) or not KIND_NAME.match(name) or name in KINDS:
        return None
    if isinstance(declaration, str):
        return PluginKind(name, declaration.strip()) if declaration.strip() else None
    if not isinstance(declaration, dict):
        return None
    label = declaration.get("label")
    if not isinstance(label, str) or not label.strip():
        return None
    group = declaration.get("group")
    return PluginKind(
        name,
        label.strip(),
        group.strip() if isinstance(group, str) and group.strip() else DEFAULT_GROUP,
        bool(declaration.get("in_app", True)),
        bool(declaration.get("email", False)),
    )


def plugin_kinds() -> dict[str, PluginKind]:
    """Every kind the enabled plug-ins declare, in declaration order. A malformed entry
    is logged and left out (``notify`` then refuses the kind loudly)."""
    kinds: dict[str, PluginKind] = {}
    for answer in fire("notification_kinds"):
        if not isinstance(answer, dict):
            continue
        for name, declaration in answer.items():
            kind = parse_declaration(name, declaration)
            if kind is None:
                log.warning("ignoring malformed notification kind declaration %r", name)
            elif name not in kinds:
                kinds[name] = kind
    return kinds


def grouped_kinds() -> dict[str, list[PluginKind]]:
    """Declared kinds by group, groups in order of first appearance (the page's fieldsets)."""
    groups: dict[str, list[PluginKind]] = {}
    for kind in plugin_kinds().values():
        groups.setdefault(kind.group, []).append(kind)
    return groups


def kind_choice(user: Any, kind: PluginKind) -> KindChoice:
    """How ``user`` receives ``kind``: their stored choice, else the kind's default."""
    row = db.session.get(NotificationKindPreference, (user.id, kind.name))
    if row is None:
        return KindChoice(kind.in_app, kind.email)
    return KindChoice(row.in_app, row.email)


def kind_choices(user: Any) -> dict[str, KindChoice]:
    """``user``'s choice for every declared kind (stored rows of undeclared kinds, a
    disabled plug-in's, are left alone and unread)."""
    return {name: kind_choice(user, kind) for name, kind in plugin_kinds().items()}


def update_kind_preferences(actor: Any, choices: dict[str, str]) -> None:
    """Store the actor's delivery choice (a ``DELIVERY`` value) per declared kind;
    names no enabled plug-in declares and unknown values are refused before any write."""
    require(actor, "notifications.view")
    declared = plugin_kinds()
    by_value = {value: (in_app, email) for value, _label, in_app, email in DELIVERY}
    for name, value in choices.items():
        if name not in declared or value not in by_value:
            raise Invalid("Choose how to receive each kind of notification.", field=f"kind_{name}")
    for name, value in choices.items():
        in_app, email = by_value[value]
        row = db.session.get(NotificationKindPreference, (actor.id, name))
        if row is None:
            row = NotificationKindPreference(user_id=actor.id, kind=name, in_app=in_app, email=email)
            db.session.add(row)
        row.in_app, row.email = in_app, email
    db.session.flush()
