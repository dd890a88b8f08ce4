"""Kinds a plug-in declares (``notification_kinds``): the preferences page lists them
beside the core kinds, and delivery in-app and by email follows each member's choice."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.core.errors import Invalid
from app.core.pagecache import USER_OWNED_TABLES
from app.extensions import db as database
from app.notifications import kinds, services
from app.notifications.mail import outbox_messages
from app.notifications.models import Notification, NotificationKindPreference, NotificationPreference
from tests.factories import make_user

pytestmark = pytest.mark.app_config(PLUGINS=["tests.notifications.sample_plugin"])

PAGE = "/notifications/preferences"


def _choice(user, kind: str) -> tuple[bool, bool] | None:
    row = database.session.get(NotificationKindPreference, (user.id, kind))
    return None if row is None else (row.in_app, row.email)


def _notes(user, kind: str) -> int:
    query = sa.select(sa.func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.kind == kind
    )
    return database.session.scalar(query)


def _selected(html: str, kind: str) -> str:
    """The value the page's select for ``kind`` has selected."""
    start = html.index(f'name="kind_{kind}"')
    select = html[start : html.index("</select>", start)]
    return select.split('selected value="', 1)[1].split('"', 1)[0]


# --- the page ----------------------------------------------------------------------------


def test_the_page_lists_plugin_kinds_with_their_defaults(db, login_as):
    user = make_user()
    db.session.commit()
    html = login_as(user).get(PAGE).get_data(as_text=True)
    assert "<legend>Sample plug-in</legend>" in html and "A sample alert fired" in html
    assert f"<legend>{kinds.DEFAULT_GROUP}</legend>" in html and "A sample digest is ready" in html
    assert '<label for="kind_sample_alert">' in html  # labelled, for screen readers
    assert _selected(html, "sample_alert") == "app_email"  # the plug-in asked for email
    assert _selected(html, "sample_digest") == "app"  # a label alone: in-app only
    assert 'checked id="email_replies"' in html  # the core kinds are still there


def test_saving_stores_a_choice_per_kind_and_the_page_shows_it(db, login_as):
    user = make_user()
    db.session.commit()
    client = login_as(user)
    response = client.post(
        PAGE, data={"email_replies": "y", "kind_sample_alert": "off", "kind_sample_digest": "email"}
    )
    assert response.status_code == 302
    assert _choice(user, "sample_alert") == (False, False)
    assert _choice(user, "sample_digest") == (False, True)
    assert db.session.get(NotificationPreference, user.id).email_replies is True
    html = client.get(PAGE).get_data(as_text=True)
    assert _selected(html, "sample_alert") == "off" and _selected(html, "sample_digest") == "email"


def test_a_kind_left_out_of_the_post_keeps_its_choice(db, login_as):
    user = make_user()
    kinds.update_kind_preferences(user, {"sample_alert": "email"})
    db.session.commit()
    response = login_as(user).post(PAGE, data={"kind_sample_digest": "off"})
    assert response.status_code == 302
    assert _choice(user, "sample_alert") == (False, True)
    assert _choice(user, "sample_digest") == (False, False)


@pytest.mark.parametrize("value", ["loud", "", "APP", "app_email ", "<script>alert(1)</script>"])
def test_a_choice_that_is_not_offered_is_a_form_error_and_nothing_is_saved(db, login_as, value):
    user = make_user()
    db.session.commit()
    response = login_as(user).post(
        PAGE, data={"email_mentions": "y", "kind_sample_alert": value, "kind_sample_digest": "off"}
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="kind_sample_alert-errors"' in html and 'aria-invalid="true"' in html
    assert "<script>alert(1)</script>" not in html
    assert _choice(user, "sample_alert") is None and _choice(user, "sample_digest") is None
    assert db.session.get(NotificationPreference, user.id) is None


def test_the_page_needs_csrf_when_enabled(app, db, login_as):
    app.config["WTF_CSRF_ENABLED"] = True
    user = make_user()
    db.session.commit()
    response = login_as(user).post(PAGE, data={"kind_sample_alert": "off"})
    assert response.status_code == 400
    assert _choice(user, "sample_alert") is None


def test_the_service_refuses_a_kind_no_enabled_plugin_declares(db):
    user = make_user()
    with pytest.raises(Invalid):
        kinds.update_kind_preferences(user, {"sample_alert": "off", "council_meeting": "off"})
    assert _choice(user, "sample_alert") is None  # refused before any write


@pytest.mark.parametrize(
    ("name", "declaration"),
    [
        ("Sample", "Upper case"),
        ("x" * 31, "Too long"),
        ("reply", "A core kind"),
        ("sample_kind", ""),
        ("sample_kind", {"group": "No label"}),
        ("sample_kind", ["a", "list"]),
        (7, "Not a name"),
    ],
)
def test_malformed_declarations_are_left_out(name, declaration):
    assert kinds.parse_declaration(name, declaration) is None


def test_a_full_declaration_is_read():
    kind = kinds.parse_declaration("sample_x", {"label": " X ", "group": "G", "in_app": False, "email": True})
    assert kind == kinds.PluginKind("sample_x", "X", "G", False, True)


# --- delivery ------------------------------------------------------------------------------


def test_email_is_written_to_the_outbox_at_commit_when_chosen(app, db):
    user = make_user()
    db.session.commit()
    services.notify(user, "sample_alert", "Disk on fire in <rack 7>", "/sample/alerts/7")
    assert outbox_messages(app) == []  # nothing before the commit
    db.session.commit()
    (message,) = outbox_messages(app)
    assert message["To"] == user.email and message["Subject"] == "Disk on fire in <rack 7>"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "Disk on fire in <rack 7>" in text
    assert f"{app.config['SERVER_BASE_URL']}/sample/alerts/7" in text
    assert "A sample alert fired" in text and "/notifications/preferences" in text
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Disk on fire in &lt;rack 7&gt;" in html and "<rack 7>" not in html
    assert _notes(user, "sample_alert") == 1  # and in the app


def test_no_email_when_the_member_turned_it_off(app, db):
    user = make_user()
    kinds.update_kind_preferences(user, {"sample_alert": "app"})
    services.notify(user, "sample_alert", "Disk on fire", "/sample/alerts/7")
    db.session.commit()
    assert outbox_messages(app) == []
    assert _notes(user, "sample_alert") == 1


def test_email_only_creates_no_in_app_notification(app, db):
    user = make_user()
    kinds.update_kind_preferences(user, {"sample_digest": "email"})
    assert services.notify(user, "sample_digest", "Your digest", "/sample/digest") is None
    db.session.commit()
    assert len(outbox_messages(app)) == 1
    assert _notes(user, "sample_digest") == 0


def test_off_sends_nothing_at_all(app, db):
    user = make_user()
    kinds.update_kind_preferences(user, {"sample_alert": "off"})
    services.notify(user, "sample_alert", "Disk on fire", "/sample/alerts/7")
    db.session.commit()
    assert outbox_messages(app) == [] and _notes(user, "sample_alert") == 0


def test_a_label_only_kind_is_in_app_only_by_default(app, db):
    user = make_user()
    services.notify(user, "sample_digest", "Your digest", "/sample/digest")
    db.session.commit()
    assert outbox_messages(app) == [] and _notes(user, "sample_digest") == 1


def test_the_same_notice_twice_in_a_transaction_sends_one_email(app, db):
    user = make_user()
    for _ in range(2):
        services.notify(user, "sample_alert", "Disk on fire", "/sample/alerts/7")
    db.session.commit()
    assert len(outbox_messages(app)) == 1


def test_no_email_when_the_transaction_rolls_back(app, db):
    user = make_user()
    db.session.commit()
    services.notify(user, "sample_alert", "Disk on fire", "/sample/alerts/7")
    db.session.rollback()
    db.session.commit()
    assert outbox_messages(app) == []


def test_no_email_to_an_unconfirmed_member(app, db):
    user = make_user(confirmed_at=None)
    services.notify(user, "sample_alert", "Disk on fire", "/sample/alerts/7")
    db.session.commit()
    assert outbox_messages(app) == []


def test_no_email_when_the_plugin_says_the_member_may_no_longer_see_it(app, db):
    user = make_user()
    services.notify(user, "sample_alert", "Secret", "/sample/secret/1")
    db.session.commit()
    assert outbox_messages(app) == []


def test_the_actor_is_never_notified_or_emailed(app, db):
    user = make_user()
    assert services.notify(user, "sample_alert", "Mine", "/sample/alerts/1", actor=user) is None
    db.session.commit()
    assert outbox_messages(app) == []


def test_an_undeclared_kind_is_refused(db):
    with pytest.raises(ValueError):
        services.notify(make_user(), "sample_unknown", "?", "/")


def test_a_saved_choice_invalidates_only_its_members_cached_pages():
    assert USER_OWNED_TABLES["notification_kind_preference"] == "user_id"
