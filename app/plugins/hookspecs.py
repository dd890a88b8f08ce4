"""Every hook contract Guildhall offers, in one file.

Plug-ins implement these with ``@hookimpl`` (from ``app.plugins``). Core features
fire the domain events from their services, inside the caller's transaction: a
listener that writes rows writes them atomically with the event, and one that needs
the write to be final (email, search, sockets) uses ``app.core.db.after_commit``.
Hook arguments are always passed by keyword.
"""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("guildhall")


# --- wiring ------------------------------------------------------------------------


@hookspec
def register_blueprints(app: Any) -> None:
    """Register the plug-in's blueprints (and Socket.IO namespaces) on ``app``."""


@hookspec
def register_cli(cli: Any) -> None:
    """Add click commands or groups to ``app.cli``."""


@hookspec
def periodic_jobs(app: Any) -> list[dict]:
    """Periodic jobs for ``flask worker`` (app/jobs), so no feature needs cron or a
    request to do its timed work. Each is a dict:

    - ``name``: unique, lower-case, prefixed by the feature (``search.retry-index-writes``);
    - ``func``: a callable taking no arguments, or one (the app); it runs inside an app
      context, and the worker commits ``db.session`` after it returns (rolls back if it
      raises), together with the record that the run succeeded;
    - a schedule, exactly one of ``every`` (seconds, or a ``timedelta``) or ``cron``
      (a five-field crontab expression, in ``JOBS_TIMEZONE``, UTC by default);
    - optional ``max_attempts`` (default 5, counting the first try; failed runs are
      retried with a doubling back-off), ``stale_after`` (seconds before a run whose
      worker vanished is retried, default 3600) and ``description``.

    Each scheduled slot runs once across every worker on every host, so a job need not
    guard against running twice at the same time; it should still be idempotent, since
    a run whose worker was killed mid-way is retried. ``app`` lets a schedule follow a
    setting; implementations may leave the argument out."""


@hookspec
def migrations_folders() -> list[str]:
    """Absolute paths of the plug-in's Alembic ``versions`` folders (its own branch)."""


@hookspec
def export_tables() -> list[Any]:
    """The plug-in's content tables (``sqlalchemy.Table`` objects) for ``flask export``
    and ``flask import`` (``app/datatransfer``).

    Tables on the shared ``db.Model`` metadata are exported anyway; answer this hook
    for every content table regardless, so a plug-in with its own ``MetaData`` is
    covered too and the contract does not depend on import order. Leave derived
    data (caches, leaderboards rebuilt from other rows) out, and mark such tables
    with ``info={"export": False}``: they are rebuilt after an import, not restored.
    """


@hookspec
def nav_items(actor: Any) -> list[dict]:
    """Header navigation entries for ``actor``: ``{"label", "endpoint", "order"}``, with
    optional ``"args"`` for the endpoint and ``"more": True`` to list the entry in the
    header's "More" menu rather than on the bar itself: the bar must keep one row at
    1280 px however many features are on, so second-rank places (organizations,
    referrals, plug-in spaces) go there."""


@hookspec
def template_panel(name: str, context: dict) -> str | None:
    """Markup for a named panel slot (``profile_sidebar``, ``topic_footer``, …).

    The returned string is inserted as-is, so a plug-in must render it through a
    Jinja template (autoescaped) and never concatenate user data into it.
    """


@hookspec
def permission_rule(actor: Any, action: str, obj: Any) -> bool | None:
    """``True``/``False`` to decide, ``None`` to abstain (see ``core.permissions``).

    Only asked when the core rule allows (a plug-in can restrict, not widen, a core
    rule) or when the core has no rule for the action. Decorate the implementation
    with ``core.permissions.only_for_actions(...)`` so pages that call ``can`` dozens
    of times skip it for actions it never answers."""


@hookspec
def search_document_changed(document: dict) -> None:
    """A feature's or plug-in's searchable thing changed: ``document`` is the same dict
    ``search_documents`` returns. Fired inside the writer's transaction, so the listener
    (search) records the re-index in that transaction and writes the index after commit;
    the writer never imports search (the features search indexes sit below it)."""


@hookspec
def search_document_removed(kind: str, ident: Any) -> None:
    """The document ``(kind, ident)`` must leave the index after commit (deleted, or no
    longer searchable); fired like ``search_document_changed``."""


@hookspec
def search_documents(since: Any) -> list[dict]:
    """Documents the plug-in wants indexed: ``{"kind", "id", "title", "body", "url",
    "principals", "updated_at"}``; ``since`` limits to changes after a time (``None``
    for a full rebuild)."""


@hookspec
def points_rules() -> list[dict]:
    """Recognition points per domain event: ``{"event", "points", "reason"}``."""


@hookspec
def live_room(actor: Any, kind: str, object_id: int) -> bool | None:
    """May ``actor`` follow the live page ``kind``/``object_id`` (e.g. ``"topic"``,
    12) over Socket.IO (``app/core/live.py``)? ``True``/``False`` to decide (check
    ``can(...)``), ``None`` for a kind the implementation does not own. The socket
    joins the page's room only when someone answered and nobody said ``False``."""


# --- domain events -----------------------------------------------------------------


@hookspec
def user_registered(user: Any) -> None:
    """A new account was created (before confirmation)."""


@hookspec
def user_confirmed(user: Any) -> None:
    """A user confirmed their email address."""


@hookspec
def user_suspended(user: Any, actor: Any, until: Any, reason: str) -> None:
    """A moderator suspended ``user`` until ``until``."""


@hookspec
def user_unsuspended(user: Any, actor: Any, reason: str) -> None:
    """A moderator lifted ``user``'s suspension early (an expired one fires nothing)."""


@hookspec
def organization_created(organization: Any, actor: Any) -> None:
    """A partner organization was created."""


@hookspec
def audit_event(
    actor: Any, action: str, target_type: str, target_id: int, reason: str, details: dict
) -> None:
    """An action that belongs in the staff audit log happened in a feature below
    moderation (a role change, a join-request decision). Moderation owns the log and
    writes the entry inside the caller's transaction, so accounts never imports it."""


@hookspec
def audit_targets(target_type: str, ids: list[int]) -> dict[int, tuple[str, Any]] | None:
    """Names for audit-log targets of a type a feature owns (``directory_field``):
    ``{id: (label, obj)}`` for those that still exist, ``obj`` handed to the log's
    link builder; ``None`` when ``target_type`` is not the feature's. Lets the audit
    log name what it logged without importing the features above moderation."""


@hookspec
def organization_join_request_changed(join_request: Any, actor: Any, kind: str) -> None:
    """A member asked to join an organization (``kind`` "requested"), or an admin
    "approved" or "declined" the request: notifications tell the other side."""


@hookspec
def topic_created(topic: Any, actor: Any) -> None:
    """A topic and its first post were created."""


@hookspec
def post_created(post: Any, actor: Any) -> None:
    """A reply (or a topic's first post) was created; mentions are already parsed."""


@hookspec
def post_edited(post: Any, actor: Any, revision: Any) -> None:
    """A post body changed; ``revision`` holds the previous body."""


@hookspec
def post_deleted(post: Any, actor: Any) -> None:
    """A post (or topic, via its first post) was soft-deleted."""


@hookspec
def post_restored(post: Any, actor: Any) -> None:
    """A soft-deleted post was restored."""


@hookspec
def post_hidden(post: Any, actor: Any, reason: str) -> None:
    """A moderator hid a post."""


@hookspec
def post_unhidden(post: Any, actor: Any) -> None:
    """A moderator restored a hidden post."""


@hookspec
def post_liked(post: Any, actor: Any) -> None:
    """``actor`` liked ``post``."""


@hookspec
def user_mentioned(post: Any, user: Any, actor: Any) -> None:
    """``post`` mentions ``user``, who can read it."""


@hookspec
def topic_moderated(topic: Any, actor: Any, action: str, reason: str) -> None:
    """A moderator locked, unlocked, pinned, unpinned or moved a topic."""


@hookspec
def post_flagged(flag: Any, actor: Any) -> None:
    """A member flagged a post for review."""


# --- chat (app/chat) -----------------------------------------------------------------


@hookspec
def user_logged_out(user: Any) -> None:
    """``user`` signed out of one browser; live connections (chat) must end."""


@hookspec
def chat_channels_for(actor: Any) -> list[dict]:
    """Plug-in chat rooms ``actor`` belongs to: ``{"scope_type", "scope_id", "name",
    "topic"}`` (e.g. one per council or user group). Chat creates each room once."""


@hookspec
def chat_channel_members(scope_type: str, scope_id: int) -> list[int] | None:
    """User ids who belong to the plug-in room ``(scope_type, scope_id)``, or ``None``
    when the plug-in does not own that scope. Chat membership follows this list:
    plug-ins call ``app.chat.channels.sync_scope(scope_type, scope_id)`` after their
    membership changes, and chat re-checks it whenever a socket connects or opens the
    room and before every event it sends there (messages, edits, deletes, typing),
    which then goes to the listed members only. So a membership that ends without a
    call (a term lapsing at midnight) stops the live room at its next event. Called
    once per event of a plug-in room: keep it to a query or two."""


# --- Q&A (app/qa) --------------------------------------------------------------------


@hookspec
def qa_settings_changed(changes: dict, actor: Any) -> None:
    """An admin changed Q&A's points or thresholds: ``{key: (old, new)}`` (the admin
    area logs it)."""


@hookspec
def question_asked(topic: Any, actor: Any, tags: list) -> None:
    """A question (a topic in a Q&A category) was asked with ``tags`` (``QATag`` rows)."""


@hookspec
def answer_accepted(post: Any, actor: Any) -> None:
    """``actor`` (the asker or a moderator) accepted the answer ``post``."""


@hookspec
def post_voted(post: Any, actor: Any, value: int, previous: int) -> None:
    """``actor`` set their vote on a question or answer from ``previous`` to ``value``
    (+1, -1, or 0 for retracted)."""


@hookspec
def comment_added(comment: Any, post: Any, actor: Any) -> None:
    """``actor`` commented on a question or answer."""


@hookspec
def reputation_changed(user: Any, entry: Any, reputation: int) -> None:
    """A Q&A reputation ledger row ``entry`` (``QAReputationEvent``: kind, points,
    post_id, actor_id, reversal_of) was appended for ``user``, whose reputation is now
    ``reputation``."""


# --- search (app/search) -------------------------------------------------------------


@hookspec
def search_principals(actor: Any) -> list[str]:
    """Extra principals ``actor`` holds for search filtering, e.g. ``council:3`` or
    ``group:7``: a plug-in document is readable by anyone sharing one of its principals."""


@hookspec
def search_kinds() -> dict[str, str] | None:
    """Kinds of search document the plug-in indexes, with the plural label the search
    page's filter shows, e.g. ``{"event": "Events"}``. The filter lists the core kinds
    and these only, so it never offers a kind that no enabled feature provides."""


@hookspec
def search_topic_fields(topic: Any) -> dict | None:
    """Extra fields for a forum topic's search documents: ``{"kind": "question"}`` makes
    the topic a ``question`` and its replies ``answer``s; ``{"tags": [...]}`` adds tags."""


@hookspec(firstresult=True)
def search_member_facts(user_ids: list[int], session: Any) -> dict[int, dict] | None:
    """What a member document may show beyond the account, per user id: ``{"hidden",
    "hidden_fields", "certifications", "industries", "public_values"}``. The directory
    answers it, so search builds member documents without importing the directory that
    owns those privacy choices; unanswered, a member is indexed with the account only."""


@hookspec(firstresult=True)
def search_similar(actor: Any, text: str, kinds: list[str], limit: int) -> list[str] | None:
    """Keys of the documents of ``kinds`` most like ``text`` that ``actor`` may read,
    best first (any-word match), e.g. ``["topic:12"]``; ``None`` when search cannot
    answer. Q&A asks it for similar questions without importing search."""


@hookspec
def profile_updated(user: Any, actor: Any) -> None:
    """A member's profile (name, bio, job, region, specialisms, …) was saved."""


@hookspec
def profile_hidden_fields(user: Any, viewer: Any) -> list[str] | None:
    """Built-in profile fields of ``user`` (``job_title``, ``region``, …) the profile
    page keeps from ``viewer``; answers are united. The directory answers from the
    member's privacy choices, so accounts shows the page without importing it."""


@hookspec
def profile_form_values(user: Any) -> dict | None:
    """Initial values of profile-form fields another feature stores (the directory's
    ``certifications`` and ``industries``), keyed by field name; answers are merged."""


@hookspec
def profile_form_saved(user: Any, actor: Any, values: dict) -> None:
    """The profile form was saved with ``values`` (every field, by name): a feature
    storing some of them saves its part in the caller's transaction, raising a
    ``DomainError`` (with ``field``) to refuse the whole save."""


@hookspec
def organization_updated(organization: Any, actor: Any) -> None:
    """A partner organization's details, or its member list, changed."""


@hookspec
def category_created(category: Any, actor: Any) -> None:
    """An admin created a forum category (the admin area logs it)."""


@hookspec
def category_updated(category: Any, actor: Any) -> None:
    """A forum category (name, parent or access policies) was changed by an admin."""


# --- notifications (app/notifications) ----------------------------------------------


@hookspec
def notification_text(notification: Any, viewer: Any) -> str | None:
    """The text to show ``viewer`` for one of their notifications, or ``None`` to
    abstain (the stored ``message`` is shown). Asked when the list is read, so a
    feature can name what its stored text must not keep (a referral's summary) only
    while the viewer may still see it."""


# --- referrals (app/referrals/) ----------------------------------------------------


@hookspec
def referral_changed(referral: Any, actor: Any, kind: str) -> None:
    """A partner-to-partner referral changed: ``kind`` is the timeline step just added
    (``created``, ``accepted``, ``declined``, ``in_progress``, ``won``, ``lost``,
    ``withdrawn``, ``expired``). ``actor`` is ``None`` for steps the system took
    (expiry, a shortlist sibling closed because another partner accepted). Listeners
    must respect the referral's privacy: only its two organizations and admins may
    learn of it (check ``can(user, "referral.view", referral)``)."""


# --- network: connections and follows (app/directory) --------------------------------


@hookspec
def connection_accepted(connection: Any, actor: Any) -> None:
    """``actor`` accepted a connection request (``connection.requester`` asked), or
    asked someone who had already asked them, which connects them at once."""


@hookspec
def connection_removed(user: Any, other: Any, actor: Any) -> None:
    """The connection between ``user`` and ``other`` ended; ``actor`` is one of them."""


@hookspec
def member_followed(user: Any, actor: Any) -> None:
    """``actor`` started following ``user``'s activity (one-way, no consent needed)."""


# --- directory (app/directory) -------------------------------------------------------


@hookspec
def user_role_changed(user: Any, actor: Any, old_role: str, new_role: str) -> None:
    """An admin changed ``user``'s role (member, mentor, moderator, admin): the
    directory's role filter and anything else keyed on roles must follow."""


@hookspec
def profile_field_changed(field: Any, actor: Any, deleted: bool) -> None:
    """An admin created or edited a custom profile field, or is deleting it
    (``deleted``). Fired before a deletion is flushed, so listeners can still read
    which members had a value for it; the directory rewrites its facet rows and the
    search index re-indexes those members."""


# --- admin area (app/admin) -----------------------------------------------------------


@hookspec
def admin_pages(actor: Any) -> list[dict]:
    """Pages a plug-in adds to the admin navigation: ``{"label", "endpoint",
    "permission"}`` (``permission`` is a ``can()`` action, ``admin.view`` when left out).
    A link shows only to actors the permission allows; the plug-in's view must still
    check it. Its template may extend ``admin/layout.html`` to share the admin menu."""


# --- plug-in spaces and memberships (councils, groups, events) ------------------------


@hookspec
def membership_changed(scope_type: str, scope_id: int, user: Any, actor: Any, kind: str) -> None:
    """``user``'s membership of a plug-in's private scope (``("council", 3)``, a user
    group, …) changed: ``kind`` is ``joined``, ``role_changed``, ``left``, ``removed`` or
    ``expired`` (``actor`` is ``None`` when the system acted, e.g. a term ended).
    Fired inside the caller's transaction after the membership row changed, so
    listeners that cache access (chat rooms, search principals, open sockets) can drop
    it; anything that must wait for the commit uses ``app.core.db.after_commit``."""


@hookspec
def forum_spaces() -> list[dict]:
    """Private forum categories a plug-in owns, one per scope: ``{"scope_type",
    "scope_id", "name", "description"}`` (scope_type: lower-case, at most 40 characters).
    Forums creates each category once (app/forums/spaces.py: the ``forums.sync-spaces``
    job and ``flask forums sync-spaces``; a plug-in calls ``ensure_forum_space`` right
    after creating a scope so the category exists at once), keeps it out of every
    listing, count, feed, search result and cached page for anyone
    ``forum_space_member`` does not admit, and answers 404 to them, as for a category
    that does not exist. Its name follows the plug-in's; admins cannot re-policy, move
    or nest under it. The plug-in never writes forum rows itself; a space it stops
    declaring keeps its category, readable by nobody."""


@hookspec
def forum_space_member(actor: Any, scope_type: str, scope_id: int) -> bool | None:
    """May ``actor`` read and post in the forum space ``(scope_type, scope_id)``?
    ``None`` when the plug-in does not own that scope. Asked on every access, so an
    ended term or a removal takes effect at once; staff get no implicit pass (a
    council's confidentiality binds admins who are not members too)."""


@hookspec
def notification_kinds() -> dict[str, str | dict] | None:
    """Kinds of notification the plug-in sends through the core notification service
    (``app.notifications.services.notify``), each with the label the preferences page
    shows: ``{"council_motion_opened": "A council motion opened for voting"}``, or a
    dict to say more: ``{"label": ..., "group": "Advisory councils", "in_app": True,
    "email": True}`` (``group`` titles the page's fieldset; ``in_app`` and ``email``
    are the defaults until the member chooses, in-app only when not given). Names are
    lowercase identifiers of at most 30 characters, distinct from the core kinds.

    Members choose in-app and email per kind on the preferences page; ``notify``
    honours that choice itself (the email goes at commit, through the same outbox and
    mail path as replies and mentions), so a plug-in calls ``notify`` for every
    recipient and never sends mail itself. ``notify`` refuses an undeclared kind. The
    message becomes the email's subject and body: it must hold only what the recipient
    may see."""


@hookspec
def notification_may_reach(user: Any, kind: str, url: str) -> bool | None:
    """Asked for an email of a plug-in ``kind`` as it is built (at commit): ``False``
    when ``user`` may no longer see what the notification at ``url`` is about (a member
    who left the council in the same transaction), and the email is dropped; ``None``
    abstains. The plug-in declaring ``kind`` answers; the others abstain."""


@hookspec
def profile_panels(user: Any, viewer: Any) -> list[dict] | None:
    """Panels for ``user``'s profile page as ``viewer`` sees it: ``{"title", "html",
    "order"}``, ``html`` rendered by the plug-in through a Jinja template. A plug-in
    shows only what ``viewer`` may see (a council seat is shown to fellow members, or
    nothing at all when the council is confidential)."""


@hookspec
def organization_panels(organization: Any, viewer: Any) -> list[dict] | None:
    """Panels for a partner organization's page, as ``profile_panels``: ``{"title",
    "html", "order"}``, filtered by what ``viewer`` may see."""


# --- demo data (flask seed-demo) -------------------------------------------------------


@hookspec
def seed_demo_data() -> dict[str, int] | None:
    """Add the plug-in's demo rows after the core demo is seeded (users, organizations,
    categories exist, looked up by username and slug); must be safe to run twice.
    Returns ``{label: rows added}`` for the summary line. The boundary commits."""
