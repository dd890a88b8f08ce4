"""The leaders' page: new members this month, members not seen for 60 days, and the
member list as CSV (leaders only, formulas neutralised, a hidden region left out)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from app.core.db import utcnow
from app.directory import profiles
from app.plugins.groups import dashboard, services
from tests.plugins.groups.support import ENABLED, partner

pytestmark = ENABLED


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_new_members_this_month_and_quiet_ones(db, mentor, open_group):
    now = utcnow()
    fresh, old = partner(display_name="Fresh"), partner(display_name="Old")
    fresh.last_seen_at = now
    old.last_seen_at = now - timedelta(days=61)
    services.join(fresh, open_group)
    services.join(old, open_group)
    services.membership_of(old, open_group).joined_at = dashboard.month_start(now) - timedelta(days=3)
    mentor.last_seen_at = now
    db.session.flush()
    facts = dashboard.member_facts(mentor, open_group, now)
    assert {m.user.display_name for m in facts["new_this_month"]} >= {"Fresh"}
    assert "Old" not in {m.user.display_name for m in facts["new_this_month"]}
    assert [m.user.display_name for m in facts["quiet"]] == ["Old"]


def test_the_csv_neutralises_formulas_and_leaves_out_a_hidden_region(db, mentor, open_group):
    sly = partner(display_name='=HYPERLINK("http://evil")', region="EMEA")
    shy = partner(display_name="Shy", region="Secret Region")
    profiles.update_directory_settings(shy, shy, hidden_fields=["region"])
    services.join(sly, open_group)
    services.join(shy, open_group)
    db.session.commit()
    rows = _rows(dashboard.export_csv(mentor, open_group))
    assert rows[0] == ["name", "organization", "region", "joined"]
    by_name = {row[0]: row for row in rows[1:]}
    assert '\'=HYPERLINK("http://evil")' in by_name and by_name['\'=HYPERLINK("http://evil")'][2] == "EMEA"
    assert by_name["Shy"][2] == "" and "Secret Region" not in dashboard.export_csv(mentor, open_group)
    assert by_name["Shy"][3] == utcnow().date().isoformat()


def test_the_csv_is_for_leaders_only(db, client, login_as, mentor, open_group, hidden_group, someone):
    services.join(someone, open_group)
    db.session.commit()
    response = login_as(mentor).get(f"/groups/{open_group.slug}/lead/members.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"] and "Sam Partner" in response.get_data(
        as_text=True
    )
    login_as(someone)
    assert client.get(f"/groups/{open_group.slug}/lead/members.csv").status_code == 403
    assert client.get(f"/groups/{hidden_group.slug}/lead/members.csv").status_code == 404


def test_the_leaders_page_shows_the_months_pulse(db, client, login_as, mentor, open_group, someone):
    services.join(someone, open_group)
    db.session.commit()
    page = login_as(mentor).get(f"/groups/{open_group.slug}/lead").get_data(as_text=True)
    assert "new members this month" in page or "new member this month" in page
    assert "Not seen for 60 days" in page and "Sam Partner" in page
