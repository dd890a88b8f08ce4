"""A disabled plug-in's kinds leave the preferences page; its members' stored choices
are neither read nor lost."""

from __future__ import annotations

import pytest

from app.notifications import kinds
from app.notifications.models import NotificationKindPreference
from tests.factories import make_user

pytestmark = pytest.mark.app_config(PLUGINS=[])


def test_a_disabled_plugins_stored_choices_are_ignored_and_kept(db, login_as):
    user = make_user()
    db.session.add(NotificationKindPreference(user_id=user.id, kind="sample_alert", in_app=False, email=True))
    db.session.commit()
    client = login_as(user)
    page = client.get("/notifications/preferences")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "sample" not in html.lower() and kinds.DEFAULT_GROUP not in html
    assert client.post("/notifications/preferences", data={"email_mentions": "y"}).status_code == 302
    row = db.session.get(NotificationKindPreference, (user.id, "sample_alert"))
    assert (row.in_app, row.email) == (False, True)  # back in force if the plug-in returns
    assert kinds.kind_choices(user) == {}
