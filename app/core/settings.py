"""Site settings: typed definitions with defaults, stored as database rows, cached per
process, and overridable by environment variables.

Why rows and not config: an administrator changes the site's name, look and sign-up
rules from the admin area without a deployment. Why environment overrides too: some
deployments manage configuration outside the app, and a value they pin must win and
show as read-only ("set by the environment"), never be silently shadowed by a row.
An override is ``GUILDHALL_SETTING_<KEY>`` (JSON or plain text), or the older config
name a setting had before it moved here (``SITE_NAME``, ``SITE_ACCENT_COLOR``).

The cache: every page reads the site name and accent, so reading must not cost a query
per request. Each process keeps the values it loaded for ``SETTINGS_CACHE_SECONDS``
(default 5). A write clears the writing process's copy as soon as its transaction
commits (the admin sees the change at once); other processes and hosts pick it up when
their copy expires. A short time-to-live rather than a generation of our own: that
generation would itself need a read per request (a query, or Redis that the embedded
setup lacks), while settings change a few times a year. Where the page cache is on,
though, it already keeps a cross-process generation that every committed write bumps
(a ``stat`` or one Redis read, once per request here): the copy is also dropped when
that generation moves, so no process renders (and caches) a page with settings older
than the write that invalidated it.

Services outside core (the admin area) call :func:`update_settings` and log the change
in the audit log; this module imports no feature package.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, g, has_request_context
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import after_commit, utcnow
from app.core.errors import Invalid
from app.core.pagecache import EXTENSION_KEY as PAGECACHE_KEY
from app.core.permissions import SETTING_READER_KEY, require
from app.extensions import db

ENV_PREFIX = "GUILDHALL_SETTING_"
EXTENSION_KEY = "guildhall_settings"
DEFAULT_CACHE_SECONDS = 5.0
HEX_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
DOMAIN = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")

REGISTRATION_MODES = (
    ("open", "Open: anyone may register"),
    ("invitation", "Invitation only"),
    ("domains", "Only email addresses at the allowed domains"),
)
PARTNER_MEMBER_RULES = (
    ("signed_in", "Every signed-in member"),
    ("confirmed", "Members who confirmed their email"),
    ("confirmed_in_org", "Confirmed members of a partner organization"),
)
NOTIFICATION_DEFAULTS = ("email_replies", "email_mentions", "notify_likes", "notify_watching")
NOTIFICATION_LABELS = {
    "email_replies": "Email me about replies",
    "email_mentions": "Email me when mentioned",
    "notify_likes": "Notify me about likes",
    "notify_watching": "Notify me about watched topics",
}


class SiteSetting(db.Model):
    """One stored setting; a key without a row has its default."""

    __tablename__ = "site_setting"

    key: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    value: Mapped[Any] = mapped_column(sa.JSON, nullable=True)
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)


# --- validation -----------------------------------------------------------------------


def _text(max_length: int) -> Callable[[Any], str]:
    def clean(value: Any) -> str:
        text = " ".join(str(value or "").replace("\x00", "").split())
        if not text:
            raise Invalid("This cannot be empty.")
        if len(text) > max_length:
            raise Invalid(f"Keep it under {max_length} characters.")
        return text

    return clean


def _color(value: Any) -> str:
    text = str(value or "").strip()
    if not HEX_COLOR.match(text):
        raise Invalid("Give a hex colour such as #3a5ccc.")
    return text.lower()


def _choice(choices: tuple[tuple[str, str], ...]) -> Callable[[Any], str]:
    def clean(value: Any) -> str:
        if value not in dict(choices):
            raise Invalid("Choose one of the options.")
        return value

    return clean


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).strip().lower() in ("1", "true", "yes", "on", "y"):
        return True
    if str(value).strip().lower() in ("0", "false", "no", "off", "n", ""):
        return False
    raise Invalid("Give yes or no.")


def _domains(value: Any) -> list[str]:
    if isinstance(value, str):
        parts = re.split(r"[\s,;]+", value)
    elif isinstance(value, (list, tuple)):
        parts = [str(part) for part in value]
    else:
        raise Invalid("Give a list of domains.")
    domains: list[str] = []
    for part in parts:
        domain = part.strip().lower().lstrip("@")
        if not domain:
            continue
        if not DOMAIN.match(domain):
            raise Invalid(f"{part.strip()[:80]!r} is not a domain such as example.com.")
        if domain not in domains:
            domains.append(domain)
    if len(domains) > 200:
        raise Invalid("At most 200 domains.")
    return domains


def _optional_id(value: Any) -> int | None:
    if value in (None, "", "none"):
        return None
    if isinstance(value, bool):
        raise Invalid("Give an upload number or nothing.")
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) < 2**31:
        raise Invalid("Give an upload number or nothing.")
    return int(text)


def _notification_defaults(value: Any) -> dict[str, bool]:
    if not isinstance(value, dict):
        raise Invalid("Give a yes or no for each notification kind.")
    unknown = set(value) - set(NOTIFICATION_DEFAULTS)
    if unknown:
        raise Invalid(f"Unknown notification kind {sorted(unknown)[0]!r}.")
    return {name: _bool(value.get(name, False)) for name in NOTIFICATION_DEFAULTS}


@dataclass(frozen=True)
class SettingDefinition:
    """What one setting is: its default, how input is checked, and its other names."""

    key: str
    label: str
    default: Any
    clean: Callable[[Any], Any]
    kind: str  # text | color | choice | bool | domains | upload | flags: how the form shows it
    help: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    legacy_env: tuple[str, ...] = field(default_factory=tuple)
    # A config key whose value (its environment variable, or the config class's
    # default) is this setting's default: set through ``create_app`` it stays the
    # default, while an environment variable of that name pins the setting.
    config_default: str | None = None

    @property
    def env_names(self) -> tuple[str, ...]:
        return (ENV_PREFIX + self.key.upper(), *self.legacy_env)


DEFINITIONS: dict[str, SettingDefinition] = {
    d.key: d
    for d in (
        SettingDefinition(
            "site_name",
            "Site name",
            "Guildhall",
            _text(80),
            "text",
            legacy_env=("SITE_NAME",),
            config_default="SITE_NAME",
        ),
        SettingDefinition(
            "logo_upload_id",
            "Logo",
            None,
            _optional_id,
            "upload",
            help="An uploaded image shown beside the site name; empty for the name alone.",
        ),
        SettingDefinition(
            "accent_color",
            "Accent colour",
            "#3a5ccc",
            _color,
            "color",
            help="Buttons, links and badges; shades are derived so text stays readable.",
            legacy_env=("SITE_ACCENT_COLOR",),
            config_default="SITE_ACCENT_COLOR",
        ),
        SettingDefinition(
            "registration_mode",
            "Registration",
            "open",
            _choice(REGISTRATION_MODES),
            "choice",
            choices=REGISTRATION_MODES,
        ),
        SettingDefinition(
            "registration_domains",
            "Allowed email domains",
            [],
            _domains,
            "domains",
            help="Used when registration is limited to domains; one per line or comma-separated.",
        ),
        SettingDefinition(
            "partner_member_rule",
            "Who counts as a partner member",
            "confirmed_in_org",
            _choice(PARTNER_MEMBER_RULES),
            "choice",
            help="Who may open members-only spaces such as the partner lounge.",
            choices=PARTNER_MEMBER_RULES,
        ),
        SettingDefinition(
            "organization_creation",
            "Members may create organizations",
            False,
            _bool,
            "bool",
            help="When off, only administrators create organizations.",
        ),
        SettingDefinition(
            "notification_defaults",
            "Default notification preferences",
            {name: True for name in NOTIFICATION_DEFAULTS},
            _notification_defaults,
            "flags",
            help="What a new member gets until they change their own preferences.",
            choices=tuple(NOTIFICATION_LABELS.items()),
        ),
    )
}


# --- reading ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SiteSettings:
    """The settings in effect: values by key, and which keys the environment pins."""

    values: dict[str, Any]
    from_env: frozenset[str]

    def __getattr__(self, key: str) -> Any:
        try:
            return self.values[key]
        except KeyError:
            raise AttributeError(key) from None

    def __getitem__(self, key: str) -> Any:
        return self.values[key]


class _Cache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entry: tuple[float, Any, SiteSettings] | None = None


def _env_value(definition: SettingDefinition) -> tuple[bool, Any]:
    """The environment's value for a setting, checked like form input; a bad value stops
    with a message naming the variable (a typo must not fall back silently)."""
    for name in definition.env_names:
        raw = os.environ.get(name)
        if raw is None:
            continue
        value: Any = raw
        if definition.kind in ("domains", "flags", "bool", "upload"):
            try:
                value = json.loads(raw)
            except ValueError:
                value = raw
        try:
            return True, definition.clean(value)
        except Invalid as error:
            raise RuntimeError(f"{name}: {error.message}") from None
    return False, None


def default_value(definition: SettingDefinition) -> Any:
    """A setting's value when no row and no environment variable sets it."""
    if definition.config_default:
        configured = current_app.config.get(definition.config_default)
        if configured not in (None, ""):
            try:
                return definition.clean(configured)
            except Invalid:
                pass  # the config's own start-up checks report it
    return definition.default


def _load() -> SiteSettings:
    rows = {row.key: row.value for row in db.session.scalars(sa.select(SiteSetting))}
    values: dict[str, Any] = {}
    pinned: set[str] = set()
    for key, definition in DEFINITIONS.items():
        overridden, env_value = _env_value(definition)
        if overridden:
            values[key] = env_value
            pinned.add(key)
            continue
        stored = rows.get(key)
        try:
            values[key] = default_value(definition) if key not in rows else definition.clean(stored)
        except Invalid:
            values[key] = default_value(definition)  # a row from an older, looser version
    return SiteSettings(values=values, from_env=frozenset(pinned))


def _cache(app: Flask) -> _Cache:
    return app.extensions.setdefault(EXTENSION_KEY, _Cache())


def _page_generation(app: Flask) -> Any:
    """The page cache's shared generation (read once per request), or None when the
    page cache is off."""
    cache = app.extensions.get(PAGECACHE_KEY)
    if cache is None or not cache.enabled:
        return None
    if has_request_context():
        if "guildhall_settings_generation" not in g:
            g.guildhall_settings_generation = cache.generation()
        return g.guildhall_settings_generation
    return cache.generation()


def site_settings() -> SiteSettings:
    """The settings in effect, from this process's cache when it is fresh enough."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    cache = _cache(app)
    ttl = float(app.config.get("SETTINGS_CACHE_SECONDS", DEFAULT_CACHE_SECONDS))
    generation = _page_generation(app)
    entry = cache.entry
    now = time.monotonic()
    if entry is not None and now - entry[0] < ttl and entry[1] == generation:
        return entry[2]
    settings = _load()
    with cache.lock:
        cache.entry = (now, generation, settings)
    return settings


def get_setting(key: str) -> Any:
    """One setting's value in effect (raises KeyError for an unknown key)."""
    return site_settings().values[key]


def clear_cache(app: Flask | None = None) -> None:
    """Forget this process's copy; the next read loads the rows again."""
    cache = _cache(app or current_app._get_current_object())  # type: ignore[attr-defined]
    with cache.lock:
        cache.entry = None


# --- writing ----------------------------------------------------------------------------


def clean_settings(raw: dict[str, Any]) -> dict[str, Any]:
    """Check a form's worth of values; raises Invalid naming the first bad field.
    Keys the environment pins are refused, so the page cannot pretend to change them."""
    pinned = site_settings().from_env
    cleaned: dict[str, Any] = {}
    for key, value in raw.items():
        definition = DEFINITIONS.get(key)
        if definition is None:
            raise Invalid(f"Unknown setting {key!r}.", field=key)
        if key in pinned:
            raise Invalid(f"{definition.label} is set by the environment.", field=key)
        try:
            cleaned[key] = definition.clean(value)
        except Invalid as error:
            raise Invalid(error.message, field=key) from None
    if cleaned.get("registration_mode") == "domains":
        domains = cleaned.get("registration_domains", get_setting("registration_domains"))
        if not domains:
            raise Invalid("List at least one domain to limit registration to.", field="registration_domains")
    return cleaned


def update_settings(actor: Any, raw: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Store the given settings (admins only); returns ``{key: (old, new)}`` for the
    ones that changed, for the caller's audit entry. Nothing is written when any value
    is invalid. This process's cache is cleared once the transaction commits."""
    require(actor, "settings.manage")
    cleaned = clean_settings(raw)
    current = site_settings().values
    changes: dict[str, tuple[Any, Any]] = {}
    now = utcnow()
    for key, value in cleaned.items():
        if current.get(key) == value:
            continue
        changes[key] = (current.get(key), value)
        row = db.session.get(SiteSetting, key)
        if row is None:
            row = SiteSetting(key=key)
            db.session.add(row)
        row.value = value
        row.updated_by_id = getattr(actor, "id", None)
        row.updated_at = now
    if changes:
        db.session.flush()
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        after_commit(db.session, lambda: clear_cache(app))
    return changes


def stored_rows() -> dict[str, SiteSetting]:
    """The stored rows by key (who changed each setting and when, for the page)."""
    return {row.key: row for row in db.session.scalars(sa.select(SiteSetting))}


class _TemplateSettings:
    """``site`` in templates: loads the settings on first use only, so a page that never
    shows them (the database-unavailable page) never queries for them."""

    def __getattr__(self, key: str) -> Any:
        return getattr(site_settings(), key)


def init_app(app: Flask) -> None:
    """Offer the settings to every template as ``site`` (``site.site_name``,
    ``site.accent_color``, ``site.logo_upload_id``)."""
    app.jinja_env.globals["site"] = _TemplateSettings()
    app.extensions[SETTING_READER_KEY] = get_setting
