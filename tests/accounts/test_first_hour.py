"""The first hour of a partner employee: registration follows the site setting,
creating an organization follows its setting with a clear message, members-only
spaces follow the "partner member" rule and ask visitors to sign in, confirming the
email signs in and leads to the welcome page."""

from __future__ import annotations

import pytest

from app.accounts.models import User
from app.core.errors import SignInRequired
from app.core.permissions import can, require
from app.core.settings import update_settings
from app.extensions import db as _db
from tests.factories import PASSWORD, make_category, make_org, make_topic, make_user


def _set(admin, **values) -> None:
    update_settings(admin, values)
    _db.session.commit()


def _register(client, email="new@partner.example"):
    return client.post(
        "/register",
        data={"email": email, "display_name": "New Person", "password": PASSWORD, "confirm": PASSWORD},
    )


# --- registration mode ----------------------------------------------------------------------


def test_invitation_only_registration_shows_a_clear_message_and_creates_nobody(client, db, admin):
    _set(admin, registration_mode="invitation")
    page = client.get("/register")
    assert page.status_code == 200 and b"by invitation only" in page.data
    assert b"Create account" not in page.data
    response = _register(client)
    assert response.status_code == 403
    assert db.session.query(User).filter_by(email="new@partner.example").first() is None


def test_domain_registration_refuses_other_domains_on_the_email_field(client, db, admin):
    _set(admin, registration_mode="domains", registration_domains=["partner.example"])
    refused = _register(client, "someone@elsewhere.example")
    assert refused.status_code in (400, 403) and b"partner.example" in refused.data
    assert db.session.query(User).filter_by(email="someone@elsewhere.example").first() is None
    accepted = _register(client, "someone@partner.example")
    assert accepted.status_code == 200
    assert db.session.query(User).filter_by(email="someone@partner.example").first() is not None


def test_open_registration_still_works_by_default(client, db):
    assert _register(client).status_code == 200
    assert db.session.query(User).filter_by(email="new@partner.example").first() is not None


# --- organization creation --------------------------------------------------------------------


def test_new_organization_gives_a_clear_message_when_members_may_not_create(client, sign_in, db):
    sign_in(make_user())
    _db.session.commit()
    response = client.get("/orgs/new")
    assert response.status_code == 403
    assert b"created by the site" in response.data and b"ask to join" in response.data


def test_members_may_create_organizations_when_the_setting_allows(client, sign_in, db, admin):
    member = make_user()
    _set(admin, organization_creation=True)
    assert can(member, "org.create")
    sign_in(member)
    assert client.get("/orgs/new").status_code == 200


# --- members-only spaces ------------------------------------------------------------------------


@pytest.fixture
def lounge(db):
    category = make_category(slug="lounge", name="Lounge", view_policy="members")
    topic = make_topic(category=category, title="Lounge talk")
    _db.session.commit()
    return category, topic


def test_self_registered_member_without_organization_cannot_read_the_lounge(db, lounge):
    category, topic = lounge
    loner = make_user()
    assert not can(loner, "category.view", category)
    assert not can(loner, "topic.view", topic)
    member = make_user(organization=make_org())
    assert can(member, "topic.view", topic)


def test_unconfirmed_member_of_an_organization_cannot_read_the_lounge(db, lounge):
    unconfirmed = make_user(organization=make_org(), confirmed_at=None)
    assert not can(unconfirmed, "category.view", lounge[0])


def test_the_partner_member_rule_follows_the_setting(db, lounge, admin):
    loner = make_user()
    _set(admin, partner_member_rule="confirmed")
    assert can(loner, "category.view", lounge[0])
    _set(admin, partner_member_rule="confirmed_in_org")
    assert not can(loner, "category.view", lounge[0])


def test_members_only_posting_policy_still_means_any_signed_in_member(db):
    category = make_category(slug="open-talk")
    loner = make_user()
    assert can(loner, "topic.create", category)


def test_visitor_at_a_members_only_space_is_asked_to_sign_in(db, lounge):
    from app.accounts.models import Anonymous

    with pytest.raises(SignInRequired):
        require(Anonymous(), "topic.view", lounge[1], hide=True)


def test_visitor_opening_the_lounge_is_sent_to_sign_in_and_back(client, db, lounge):
    _category, topic = lounge
    response = client.get("/c/lounge")
    assert response.status_code == 302
    assert "/login?next=%2Fc%2Flounge" in response.headers["Location"]
    response = client.get(f"/t/{topic.id}")
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]
    member = make_user(organization=make_org())
    _db.session.commit()
    signed_in = client.post("/login?next=%2Fc%2Flounge", data={"email": member.email, "password": PASSWORD})
    assert signed_in.status_code == 302 and signed_in.headers["Location"].endswith("/c/lounge")


def test_staff_only_space_still_answers_404_to_visitors(client, db):
    make_category(slug="staff-room", view_policy="moderator,admin")
    _db.session.commit()
    assert client.get("/c/staff-room").status_code == 404


def test_signed_in_member_without_access_gets_404_not_a_sign_in_loop(client, sign_in, db, lounge):
    sign_in(make_user())
    _db.session.commit()
    assert client.get("/c/lounge").status_code == 404


# --- links in email -------------------------------------------------------------------------------


def test_make_run_on_port_5622_emails_links_to_5622(app, db, monkeypatch, last_token):
    from app import serve
    from app.accounts import services

    monkeypatch.delenv("SERVER_BASE_URL", raising=False)
    monkeypatch.setenv("PORT", "5622")
    serve.use_served_base_url(app, serve._default_host(), serve._default_port())
    services.register_user("porter@example.com", "Porter", PASSWORD)
    _db.session.commit()
    from tests.accounts.conftest import links_sent_to

    [link] = links_sent_to(app, "porter@example.com")
    assert link.startswith("http://127.0.0.1:5622/confirm/")


def test_an_explicit_server_base_url_wins_over_the_served_port(app, monkeypatch):
    from app import serve

    monkeypatch.setenv("SERVER_BASE_URL", "https://community.example.com")
    app.config["SERVER_BASE_URL"] = "https://community.example.com"
    serve.use_served_base_url(app, "127.0.0.1", 5622)
    assert app.config["SERVER_BASE_URL"] == "https://community.example.com"


# --- profile ---------------------------------------------------------------------------------------


def test_recent_posts_on_a_profile_list_each_topic_title_once(client, db):
    from tests.factories import make_post

    author = make_user(username="writer")
    topic = make_topic(author=author, title="Only once please")
    make_post(topic=topic, author=author, body="First follow-up.")
    make_post(topic=topic, author=author, body="Second follow-up.")
    _db.session.commit()
    page = client.get("/u/writer").get_data(as_text=True)
    assert page.count("Only once please</a>") == 1


# --- profile lists -------------------------------------------------------------------------------


PICKED = {"display_name": "Dana Deutsch", "region": "EMEA", "country": "DE", "bio": ""}


def test_country_is_picked_from_a_list_stored_as_code_and_shown_by_name(client, sign_in, db):
    user = make_user(username="dana")
    _db.session.commit()
    sign_in(user)
    form = client.get("/settings/profile").get_data(as_text=True)
    assert '<option value="DE">Germany</option>' in form and '<option value="EMEA">EMEA</option>' in form
    assert client.post("/settings/profile", data=PICKED).status_code == 302
    _db.session.refresh(user)
    assert (user.region, user.country) == ("EMEA", "DE")
    page = client.get("/u/dana").get_data(as_text=True)
    assert "<dd>Germany</dd>" in page


def test_a_country_not_on_the_list_is_refused(client, sign_in, db):
    user = make_user(country="")
    _db.session.commit()
    sign_in(user)
    response = client.post("/settings/profile", data={**PICKED, "country": "Narnia"})
    assert response.status_code == 400
    _db.session.refresh(user)
    assert user.country == ""


def test_certifications_and_industries_are_saved_with_the_profile(client, sign_in, db):
    from app.directory import profiles

    user = make_user()
    _db.session.commit()
    sign_in(user)
    data = {**PICKED, "certifications": "CCNA, AWS SA", "industries": "retail"}
    assert client.post("/settings/profile", data=data).status_code == 302
    snapshot = profiles.settings_snapshot(user)
    assert snapshot["certifications"] == ["CCNA", "AWS SA"] and snapshot["industries"] == ["retail"]
    assert b'value="CCNA, AWS SA"' in client.get("/settings/profile").data


def test_a_region_typed_before_the_lists_is_kept_when_saving(client, sign_in, db):
    user = make_user(region="Atlantis")
    _db.session.commit()
    sign_in(user)
    assert client.post("/settings/profile", data={**PICKED, "region": "Atlantis"}).status_code == 302
    _db.session.refresh(user)
    assert user.region == "Atlantis"


# --- confirmation and the welcome page ---------------------------------------------------------


def test_confirming_the_email_signs_in_and_opens_the_welcome_page(client, db, last_token):
    org = make_org(slug="partner", name="Partner Co", email_domains=["partner.example"])
    make_category(slug="introductions", name="Introductions")
    make_category(slug="general", name="General")
    _db.session.commit()
    _register(client)
    token = last_token("new@partner.example", "/confirm/")
    response = client.post(f"/confirm/{token}")
    assert response.status_code == 302 and response.headers["Location"].endswith("/welcome")
    page = client.get("/welcome").get_data(as_text=True)
    assert "Welcome, New Person" in page
    assert "Complete your profile" in page
    assert f"Ask to join {org.name}" in page  # suggested by the email domain
    assert "/c/general/watch" in page  # categories to follow
    assert "/c/introductions/new" in page  # introduce yourself


def test_welcome_page_needs_sign_in(client, db):
    assert client.get("/welcome").status_code == 302


def test_following_a_category_from_the_welcome_page_comes_back_to_it(client, sign_in, db):
    make_category(slug="general", name="General")
    user = make_user()
    _db.session.commit()
    sign_in(user)
    response = client.post("/c/general/watch", data={"next": "/welcome"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/welcome")
    assert "Following" in client.get("/welcome").get_data(as_text=True)


def test_welcome_page_shows_the_pending_request_with_withdraw(client, sign_in, db):
    from app.accounts import organizations

    org = make_org(slug="acme", name="Acme")
    user = make_user()
    organizations.request_to_join(user, org)
    _db.session.commit()
    sign_in(user)
    page = client.get("/welcome").get_data(as_text=True)
    assert "You asked to join" in page and "Withdraw the request" in page
