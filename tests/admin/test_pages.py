"""Admin pages beyond users: organizations, site settings, email, plug-ins, the audit
log and the dashboard. Every change is audited; every form redirects after a POST."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.accounts.models import Organization
from app.admin import dashboard
from app.core.db import utcnow
from app.core.settings import SiteSetting, get_setting
from app.moderation.models import AuditEntry
from app.moderation.services import record_audit
from app.notifications.mail import outbox_messages
from app.qa.models import QACategory
from tests.factories import make_category, make_org, make_post, make_topic, make_user


def last_entry(db) -> AuditEntry:
    return db.session.scalar(sa.select(AuditEntry).order_by(AuditEntry.id.desc()))


# --- organizations ---------------------------------------------------------------------------

ORG_FORM = {
    "name": "Acme Networks",
    "partner_type": "reseller",
    "tier": "gold",
    "regions": "EMEA, APAC",
    "specialisms": "routing",
    "industries": "",
    "website": "https://acme.example",
    "crm_id": "SF-00123",
    "description": "",
}


def test_an_admin_creates_an_organization_with_a_crm_id(db, login_as, admin):
    response = login_as(admin).post("/admin/organizations/new", data=ORG_FORM)
    assert response.status_code == 302
    org = db.session.scalar(sa.select(Organization))
    assert org.name == "Acme Networks" and org.crm_id == "SF-00123" and org.regions == ["EMEA", "APAC"]
    entry = last_entry(db)
    assert (entry.action, entry.target_type, entry.target_id) == ("org.create", "organization", org.id)


def test_editing_an_organization_records_which_fields_changed(db, login_as, admin):
    org = make_org(name="Acme", tier="gold", partner_type="reseller")
    db.session.commit()
    data = ORG_FORM | {
        "name": "Acme",
        "tier": "platinum",
        "crm_id": "X-1",
        "regions": "EMEA",
        "specialisms": "networking",
        "industries": "retail",
        "website": "",
    }
    response = login_as(admin).post(f"/admin/organizations/{org.id}", data=data)
    assert response.status_code == 302
    db.session.refresh(org)
    assert org.tier == "platinum" and org.crm_id == "X-1"
    assert last_entry(db).details == {"changed": ["crm_id", "tier"]}


def test_a_bad_organization_form_is_shown_again_with_the_error_and_nothing_saved(db, login_as, admin):
    response = login_as(admin).post(
        "/admin/organizations/new", data=ORG_FORM | {"website": "javascript:alert(1)"}
    )
    assert response.status_code == 400
    assert "full http" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Organization.id))) == 0


def test_the_organization_list_counts_members_and_admins(db, login_as, admin):
    org = make_org(name="Acme")
    make_user(organization=org, is_org_admin=True)
    make_user(organization=org)
    db.session.commit()
    html = login_as(admin).get("/admin/organizations").get_data(as_text=True)
    assert "Acme" in html
    assert '<td data-label="Members">2</td>' in html and '<td data-label="Admins">1</td>' in html


def test_the_empty_organization_list_says_what_to_do(db, login_as, admin):
    html = login_as(admin).get("/admin/organizations").get_data(as_text=True)
    assert "Create the first partner organization" in html


def test_an_admin_makes_a_member_an_organization_admin(db, login_as, admin):
    org = make_org(name="Acme")
    colleague = make_user(username="colleague", organization=org)
    db.session.commit()
    response = login_as(admin).post(
        f"/admin/organizations/{org.id}/members/{colleague.username}/admin", data={"org_admin": "1"}
    )
    assert response.status_code == 302
    db.session.refresh(colleague)
    assert colleague.is_org_admin
    assert last_entry(db).action == "org.set_admin"


def test_an_outsider_cannot_be_made_an_organization_admin(db, login_as, admin):
    org = make_org(name="Acme")
    outsider = make_user(username="outsider")
    db.session.commit()
    login_as(admin).post(
        f"/admin/organizations/{org.id}/members/{outsider.username}/admin", data={"org_admin": "1"}
    )
    db.session.refresh(outsider)
    assert not outsider.is_org_admin and outsider.organization_id is None


# --- site settings ---------------------------------------------------------------------------

SETTINGS_FORM = {
    "site_name": "Acme Partners",
    "logo_upload_id": "",
    "accent_color": "#aa3300",
    "registration_mode": "domains",
    "registration_domains": "acme.com\nacme.de",
    "partner_member_rule": "confirmed_in_org",
    "organization_creation": "1",
    "notification_defaults.email_replies": "1",
}


def test_the_settings_page_saves_every_setting_and_audits_the_changes(db, login_as, admin):
    response = login_as(admin).post("/admin/settings", data=SETTINGS_FORM)
    assert response.status_code == 302 and response.headers["Location"] == "/admin/settings"
    assert get_setting("site_name") == "Acme Partners"
    assert get_setting("registration_domains") == ["acme.com", "acme.de"]
    assert get_setting("partner_member_rule") == "confirmed_in_org"
    assert get_setting("organization_creation") is True
    assert get_setting("notification_defaults") == {
        "email_replies": True,
        "email_mentions": False,
        "notify_likes": False,
        "notify_watching": False,
    }
    entry = last_entry(db)
    assert entry.action == "settings.update" and entry.target_type == "site"
    assert entry.details["site_name"] == {"from": "Guildhall", "to": "Acme Partners"}


def test_saving_unchanged_settings_writes_no_audit_entry(db, login_as, admin):
    client = login_as(admin)
    client.post("/admin/settings", data=SETTINGS_FORM)
    count = db.session.scalar(sa.select(sa.func.count(AuditEntry.id)))
    client.post("/admin/settings", data=SETTINGS_FORM)
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) == count


def test_a_bad_setting_is_shown_on_its_field_and_nothing_is_saved(db, login_as, admin):
    response = login_as(admin).post("/admin/settings", data=SETTINGS_FORM | {"accent_color": "red"})
    assert response.status_code == 400
    assert "hex colour" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(SiteSetting.key))) == 0


def test_the_settings_page_shows_the_saved_values(db, login_as, admin):
    client = login_as(admin)
    client.post("/admin/settings", data=SETTINGS_FORM)
    html = client.get("/admin/settings").get_data(as_text=True)
    assert 'value="Acme Partners"' in html
    assert 'value="confirmed_in_org" checked' in html


def test_a_setting_the_environment_pins_is_read_only_on_the_page(db, login_as, admin, monkeypatch):
    from app.core import settings

    monkeypatch.setenv("GUILDHALL_SETTING_SITE_NAME", "Pinned Name")
    settings.clear_cache()
    client = login_as(admin)
    html = client.get("/admin/settings").get_data(as_text=True)
    assert "Set by the environment (GUILDHALL_SETTING_SITE_NAME or SITE_NAME)" in html
    # The disabled field is not posted; the other settings still save.
    form = {k: v for k, v in SETTINGS_FORM.items() if k != "site_name"}
    assert client.post("/admin/settings", data=form).status_code == 302
    assert get_setting("site_name") == "Pinned Name"
    assert db.session.get(SiteSetting, "site_name") is None


# --- email, plug-ins -------------------------------------------------------------------------


@pytest.mark.app_config(MAIL_SERVER="smtp.example.com", MAIL_USERNAME="mailer", MAIL_PASSWORD="s3cret-pass")
def test_the_email_page_shows_the_smtp_settings_but_never_the_password(db, login_as, admin):
    html = login_as(admin).get("/admin/email").get_data(as_text=True)
    assert "smtp.example.com" in html and "mailer" in html
    assert "s3cret-pass" not in html
    assert "(set)" in html


def test_the_test_email_goes_to_the_admin_and_shows_in_the_outbox(app, db, login_as, admin):
    client = login_as(admin)
    response = client.post("/admin/email/test")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/email"
    assert outbox_messages(app)[-1]["To"] == admin.email
    html = client.get("/admin/email").get_data(as_text=True)
    assert "Test email from" in html
    assert last_entry(db).action == "email.test"


def test_the_empty_outbox_says_what_to_do(db, login_as, admin):
    assert "The outbox is empty" in login_as(admin).get("/admin/email").get_data(as_text=True)


@pytest.mark.app_config(PLUGINS=["tests.admin.sample_plugin"])
def test_the_plugins_page_lists_enabled_plugins_with_version_and_state(db, login_as, admin):
    html = login_as(admin).get("/admin/plugins").get_data(as_text=True)
    assert "tests.admin.sample_plugin" in html and "1.2.3" in html and "enabled" in html
    assert "Sample plug-in" in html  # its admin_pages entry in the navigation


@pytest.mark.app_config(PLUGINS=[])
def test_with_no_plugins_the_page_says_how_to_add_one(db, login_as, admin):
    html = login_as(admin).get("/admin/plugins").get_data(as_text=True)
    assert "No plug-ins are enabled" in html


# --- audit log -------------------------------------------------------------------------------


def test_the_audit_log_names_targets_and_links_them(db, login_as, admin, member):
    post = make_post(make_topic(title="Pricing question"))
    record_audit(admin, "post.hide", "post", post.id, reason="spam")
    record_audit(admin, "user.suspend", "user", member.id, reason="rude")
    record_audit(admin, "user.suspend", "user", 99999, reason="gone")
    db.session.commit()
    html = login_as(admin).get("/admin/audit").get_data(as_text=True)
    assert f"Post {post.number} by {post.author.display_name} in “Pricing question”" in html
    assert f'href="/admin/users/{member.username}">{member.display_name} (@{member.username})</a>' in html
    assert "user #99999 (deleted)" in html
    assert "user #" + str(member.id) not in html


def test_the_admin_and_moderator_logs_name_targets_alike_and_link_differently(app, db, admin, member):
    from app.admin.audit import _admin_link
    from app.moderation.audit_names import name_targets

    entries = [
        record_audit(admin, "user.silence", "user", member.id, reason="loud"),
        record_audit(admin, "settings.update", "site", 0),
    ]
    db.session.commit()
    with app.test_request_context("/"):
        public = name_targets(entries)
        admin_side = name_targets(entries, _admin_link)
    key = ("user", member.id)
    assert public[key].label == admin_side[key].label == f"{member.display_name} (@{member.username})"
    assert public[key].url == f"/u/{member.username}"
    assert admin_side[key].url == f"/admin/users/{member.username}"
    assert public["site", 0].label == admin_side["site", 0].label == "site"


def test_the_audit_log_filters_by_actor_action_and_date(db, login_as, admin, moderator, member):
    old = record_audit(moderator, "user.suspend", "user", member.id, reason="old one")
    old.created_at = utcnow() - timedelta(days=10)
    record_audit(admin, "user.set_role", "user", member.id, reason="new one")
    db.session.commit()
    client = login_as(admin)
    by_actor = client.get(f"/admin/audit?actor={moderator.username}").get_data(as_text=True)
    assert "old one" in by_actor and "new one" not in by_actor
    by_action = client.get("/admin/audit?action=user.set_role").get_data(as_text=True)
    assert "new one" in by_action and "old one" not in by_action
    since = (utcnow() - timedelta(days=2)).date().isoformat()
    by_date = client.get(f"/admin/audit?since={since}").get_data(as_text=True)
    assert "new one" in by_date and "old one" not in by_date
    assert client.get("/admin/audit?since=yesterday&until=31-31").status_code == 200


def test_the_audit_csv_has_names_and_defuses_formulas(db, login_as, admin, member):
    record_audit(admin, "user.suspend", "user", member.id, reason='=HYPERLINK("http://evil")')
    db.session.commit()
    response = login_as(admin).get("/admin/audit.csv?action=user.suspend")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:3] == ["when_utc", "actor", "action"]
    assert rows[1][1] == admin.username and rows[1][5].startswith(member.display_name)
    assert rows[1][6].startswith("'=")


def test_the_empty_audit_log_says_what_it_will_hold(db, login_as, admin):
    assert "Nothing logged yet" in login_as(admin).get("/admin/audit").get_data(as_text=True)


# --- dashboard -------------------------------------------------------------------------------


def test_dashboard_figures_count_signups_posts_and_answers(db, admin):
    asker = make_user(username="asker")
    helper = make_user(username="helper")
    category = make_category(name="Questions", slug="questions")
    db.session.add(QACategory(category_id=category.id))
    question = make_topic(author=asker, category=category, title="How?")
    question.created_at = utcnow() - timedelta(hours=5)
    reply = make_post(question, author=helper, body="Like this.")
    reply.created_at = utcnow() - timedelta(hours=2)
    db.session.commit()
    figures = dashboard.dashboard(admin, 30)
    assert figures["signups"].total == 3  # admin, asker, helper
    assert figures["answered"].total == 1
    assert figures["first_answer"].total == pytest.approx(3.0, abs=0.1)
    assert figures["active"].total >= 1


def test_a_chart_is_an_svg_with_a_policy_of_its_own(db, login_as, admin):
    response = login_as(admin).get("/admin/charts/signups-90.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'"
    assert b"<svg" in response.data and b"kozea.github.io" not in response.data


def test_an_unknown_chart_is_404(db, login_as, admin):
    client = login_as(admin)
    assert client.get("/admin/charts/money-30.svg").status_code == 404
    assert client.get("/admin/charts/posts-31.svg").status_code == 404


def test_the_dashboard_shows_the_flag_queue_and_empty_states(db, login_as, admin):
    html = login_as(admin).get("/admin/?days=90").get_data(as_text=True)
    assert "The review queue is empty." in html
    assert "Last 90 days" in html


def test_the_logo_must_be_a_public_uploaded_image(db, login_as, admin):
    from app.uploads.models import Upload

    def upload(scope: str, content_type: str) -> Upload:
        row = Upload(
            owner_id=admin.id,
            purpose="logo",
            content_type=content_type,
            size=1,
            sha256="0" * 64,
            filename="logo.webp",
            storage_key=f"k-{scope}-{content_type[-4:]}",
            scope=scope,
            created_at=utcnow(),
        )
        db.session.add(row)
        db.session.flush()
        return row

    public, private = upload("public", "image/webp"), upload("owner", "image/webp")
    db.session.commit()
    client = login_as(admin)
    for bad in ("999", str(private.id)):
        response = client.post("/admin/settings", data=SETTINGS_FORM | {"logo_upload_id": bad})
        assert response.status_code == 400
        assert "public uploaded image" in response.get_data(as_text=True)
    assert get_setting("logo_upload_id") is None
    assert (
        client.post("/admin/settings", data=SETTINGS_FORM | {"logo_upload_id": str(public.id)}).status_code
        == 302
    )
    assert get_setting("logo_upload_id") == public.id
    assert f'src="/uploads/{public.id}/logo.webp"' in client.get("/admin/settings").get_data(as_text=True)
    # Every page's header then carries it beside the site name, for visitors too.
    header = client.get("/").get_data(as_text=True).split("</nav>")[0]
    assert f'class="brand-logo" src="/uploads/{public.id}/logo"' in header


def test_the_dashboard_names_a_background_job_whose_newest_run_failed(db, login_as, admin):
    from app.jobs.models import FAILED, SUCCEEDED, JobRun

    now = utcnow()
    db.session.add_all(
        [
            JobRun(name="referrals.expire-overdue", slot=now - timedelta(hours=1), status=SUCCEEDED),
            JobRun(
                name="referrals.expire-overdue",
                slot=now,
                status=FAILED,
                attempts=2,
                next_attempt_at=now + timedelta(minutes=1),
                error="Traceback…\nOperationalError: database is locked",
            ),
            JobRun(
                name="search.retry-index-writes", slot=now - timedelta(hours=2), status=FAILED, attempts=5
            ),
            JobRun(name="search.retry-index-writes", slot=now, status=SUCCEEDED),  # recovered since
        ]
    )
    db.session.commit()
    assert [run.name for run in dashboard.attention(admin).failing_jobs] == ["referrals.expire-overdue"]
    page = login_as(admin).get("/admin/").get_data(as_text=True)
    assert "<code>referrals.expire-overdue</code> failed 2 times and will be retried" in page
    assert "OperationalError: database is locked" in page
    assert "search.retry-index-writes" not in page


def test_the_dashboard_counts_email_that_failed_and_waits_for_a_retry(db, login_as, admin):
    from app.notifications.models import QueuedMail

    client = login_as(admin)
    assert "No failing email" in client.get("/admin/").get_data(as_text=True)
    now = utcnow()
    for number, (attempts, error, sent_at) in enumerate(
        [
            (1, "ConnectionRefusedError: [Errno 111] Connection refused", None),
            (3, "SMTPAuthenticationError: (535, b'bad credentials')", None),
            (0, "", None),  # queued, not tried yet: not failing
            (2, "", now),  # failed once, then sent
        ]
    ):
        db.session.add(
            QueuedMail(
                message_id=f"<{number}@example.com>",
                recipient=f"member{number}@example.com",
                subject=f"Message {number}",
                message=b"Subject: x\r\n\r\nbody\r\n",
                attempts=attempts,
                last_error=error,
                next_attempt_at=now + timedelta(minutes=5),
                sent_at=sent_at,
            )
        )
    db.session.commit()
    attention = dashboard.attention(admin)
    assert attention.failing_mail == 2 and "SMTPAuthenticationError" in attention.mail_error  # the newest
    page = client.get("/admin/").get_data(as_text=True)
    assert "<strong>2</strong> emails not sent yet" in page and 'href="/admin/email"' in page
    assert "No failing email" not in page
    email_page = client.get("/admin/email").get_data(as_text=True)
    assert "member0@example.com" in email_page and "member1@example.com" in email_page
    assert "member2@example.com" not in email_page and "member3@example.com" not in email_page


def test_the_email_page_says_when_nothing_waits(db, login_as, admin):
    page = login_as(admin).get("/admin/email").get_data(as_text=True)
    assert "No email is waiting" in page
