"""Profiles: the public page, editing your own profile and admins changing roles."""

import pytest
import sqlalchemy as sa

from app.accounts import services
from app.core.errors import Invalid, NotFound, PermissionDenied
from app.moderation.models import AuditEntry
from tests.factories import make_org, make_user

PROFILE = {
    "display_name": "Grace Hopper",
    "job_title": "Rear Admiral",
    "region": "North America",  # picked from lists (issue 20)
    "country": "US",
    "languages": "English, COBOL , english,  ",
    "specialisms": "compilers, debugging",
    "bio": "I found **a moth**.",
}


def test_profile_page_shows_the_member(client, db):
    org = make_org(name="Acme Networks", slug="acme")
    user = make_user(
        display_name="Grace",
        job_title="Engineer",
        region="EMEA",
        country="France",
        languages=["French"],
        specialisms=["SD-WAN"],
        organization=org,
        bio_html="<p>Hello <strong>there</strong></p>",
        role="mentor",
    )
    db.session.commit()
    response = client.get(f"/u/{user.username}")
    assert response.status_code == 200
    for text in (
        b"Grace",
        b"Engineer",
        b"EMEA",
        b"France",
        b"French",
        b"SD-WAN",
        b"Mentor",
        b"Acme Networks",
    ):
        assert text in response.data
    assert b'href="/o/acme"' in response.data
    assert b"<strong>there</strong>" in response.data


def test_unknown_profile_is_404(client):
    assert client.get("/u/nobody").status_code == 404


def test_update_profile_cleans_lists_and_renders_bio(app, db):
    user = make_user()
    services.update_profile(user, user, **PROFILE)
    assert user.languages == ["English", "COBOL"]
    assert user.specialisms == ["compilers", "debugging"]
    assert user.bio_html == "<p>I found <strong>a moth</strong>.</p>\n"


def test_update_profile_limits_list_entries(app, db):
    user = make_user()
    with pytest.raises(Invalid, match="at most 60"):
        services.update_profile(user, user, display_name="Grace", languages="x" * 61)
    with pytest.raises(Invalid, match="at most 20"):
        services.update_profile(
            user, user, display_name="Grace", specialisms=",".join(f"s{i}" for i in range(21))
        )


def test_update_profile_may_keep_own_name_but_not_take_a_lookalike(app, db):
    make_user(display_name="Admin")
    user = make_user(display_name="Grace")
    services.update_profile(user, user, display_name="Grace")
    with pytest.raises(Invalid, match="looks too much like"):
        services.update_profile(user, user, display_name="\u0410dmin")


def test_members_cannot_edit_each_other(app, db):
    user, other = make_user(), make_user()
    with pytest.raises(PermissionDenied):
        services.update_profile(other, user, display_name="Hacked")


def test_edit_profile_requires_sign_in(client):
    assert client.get("/settings/profile").status_code == 302


def test_edit_profile_form_is_prefilled(client, db, login_as):
    user = make_user(languages=["English", "Welsh"], job_title="CTO")
    db.session.commit()
    login_as(user)
    response = client.get("/settings/profile")
    assert response.status_code == 200
    assert b'value="English, Welsh"' in response.data
    assert b'value="CTO"' in response.data


def test_edit_profile_saves_and_redirects(client, db, login_as):
    user = make_user()
    db.session.commit()
    login_as(user)
    response = client.post("/settings/profile", data=PROFILE)
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.display_name == "Grace Hopper"
    assert user.languages == ["English", "COBOL"]
    page = client.get(f"/u/{user.username}")
    assert b"<strong>a moth</strong>" in page.data


def test_edit_profile_error_writes_nothing(client, db, login_as):
    make_user(display_name="Admin")
    user = make_user(display_name="Grace", job_title="Engineer")
    db.session.commit()
    login_as(user)
    response = client.post("/settings/profile", data={**PROFILE, "display_name": "\uff21dmin"})
    assert response.status_code == 400
    assert b"looks too much like" in response.data
    db.session.expire_all()
    assert user.display_name == "Grace"
    assert user.job_title == "Engineer"


def test_profile_shows_recent_posts_when_forums_offer_them(client, db):
    from tests.factories import make_topic

    user = make_user()
    make_topic(author=user, title="Routing tips")
    db.session.commit()
    response = client.get(f"/u/{user.username}")
    assert response.status_code == 200
    try:
        from app.forums.services import recent_posts_for_profile  # noqa: F401
    except ImportError:
        assert b"No posts yet" in response.data
    else:
        assert b"Routing tips" in response.data


# --- roles -----------------------------------------------------------------------------


def test_admin_changes_role_with_an_audit_entry(app, db):
    admin, user = make_user(role="admin"), make_user()
    services.set_role(admin, user, "moderator", "trusted helper")
    assert user.role == "moderator"
    entry = db.session.scalars(sa.select(AuditEntry)).one()
    assert (entry.actor_id, entry.action, entry.target_type, entry.target_id) == (
        admin.id,
        "user.set_role",
        "user",
        user.id,
    )
    assert entry.details == {"from": "member", "to": "moderator"}


def test_non_admins_cannot_change_roles(app, db):
    moderator, user = make_user(role="moderator"), make_user()
    with pytest.raises(PermissionDenied):
        services.set_role(moderator, user, "admin")


def test_unknown_role_is_refused(app, db):
    admin, user = make_user(role="admin"), make_user()
    with pytest.raises(Invalid):
        services.set_role(admin, user, "overlord")


def test_profile_shows_role_form_only_to_admins(client, db, login_as):
    admin, user = make_user(role="admin"), make_user()
    db.session.commit()
    assert b'name="role"' not in client.get(f"/u/{user.username}").data
    login_as(admin)
    assert b'name="role"' in client.get(f"/u/{user.username}").data


def test_set_role_over_http(client, db, login_as):
    admin, user = make_user(role="admin"), make_user()
    db.session.commit()
    login_as(admin)
    response = client.post(f"/u/{user.username}/role", data={"role": "mentor", "reason": "helps newcomers"})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.role == "mentor"


def test_set_role_refused_for_members_and_bad_roles(client, db, login_as):
    member, user = make_user(), make_user()
    admin = make_user(role="admin")
    db.session.commit()
    login_as(member)
    assert client.post(f"/u/{user.username}/role", data={"role": "admin"}).status_code == 403
    login_as(admin)
    assert client.post(f"/u/{user.username}/role", data={"role": "overlord"}).status_code == 400
    assert client.post("/u/nobody/role", data={"role": "member"}).status_code == 404
    db.session.refresh(user)
    assert user.role == "member"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0


def test_get_user_by_username_raises_not_found(app, db):
    with pytest.raises(NotFound):
        services.get_user_by_username("ghost")
