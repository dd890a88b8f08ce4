"""Registration, email confirmation and confusable display names."""

import pytest
import sqlalchemy as sa

from app.accounts import services
from app.accounts.models import AuthToken, User
from app.core.errors import Conflict, Invalid
from app.plugins import hookimpl
from tests.factories import make_user

GOOD = {
    "email": "Ada@Example.COM",
    "display_name": "Ada Lovelace",
    "password": "analytical engine",
    "confirm": "analytical engine",
}


def count_users(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def test_register_creates_unconfirmed_member_with_lowercased_email(app, db):
    user = services.register_user("Ada@Example.COM", "  Ada   Lovelace ", "analytical engine")
    db.session.commit()
    assert user.email == "ada@example.com"
    assert user.display_name == "Ada Lovelace"
    assert user.username == "ada-lovelace"
    assert user.role == "member"
    assert user.confirmed_at is None


def test_register_stores_only_a_hash_of_the_confirmation_token(app, db, last_token):
    user = services.register_user("ada@example.com", "Ada", "analytical engine")
    db.session.commit()
    raw = last_token("ada@example.com", "/confirm/")
    stored = db.session.scalars(sa.select(AuthToken).where(AuthToken.user_id == user.id)).one()
    assert stored.purpose == "confirm"
    assert stored.token_hash != raw
    assert raw not in stored.token_hash


def test_confirmation_link_uses_server_base_url(app, db):
    from tests.accounts.conftest import links_sent_to

    services.register_user("ada@example.com", "Ada", "analytical engine")
    db.session.commit()
    (link,) = links_sent_to(app, "ada@example.com")
    assert link.startswith(app.config["SERVER_BASE_URL"].rstrip("/") + "/confirm/")


def test_register_fires_user_registered(app, db):
    seen = []

    class Listener:
        @hookimpl
        def user_registered(self, user):
            seen.append(user.email)

    app.extensions["guildhall_plugins"].register(Listener())
    services.register_user("ada@example.com", "Ada", "analytical engine")
    assert seen == ["ada@example.com"]


@pytest.mark.parametrize(
    ("email", "name", "password", "message"),
    [
        ("not-an-email", "Ada", "analytical engine", "valid email"),
        ("ada@example.com", "A", "analytical engine", "2 to 80"),
        ("ada@example.com", "x" * 81, "analytical engine", "2 to 80"),
        ("ada@example.com", "Ada", "short", "at least 10"),
        ("ada@example.com", "Ada\u202eevil", "analytical engine", "invisible"),
    ],
)
def test_register_refuses_bad_input(app, db, email, name, password, message):
    with pytest.raises(Invalid, match=message):
        services.register_user(email, name, password)


def test_register_refuses_duplicate_email_case_insensitively(app, db):
    make_user(email="ada@example.com")
    with pytest.raises(Conflict):
        services.register_user("ADA@example.com", "Someone Else", "analytical engine")


def test_username_gets_numeric_suffix_when_taken(app, db):
    make_user(username="ada", display_name="Ada One")
    user = services.register_user("ada2@example.com", "Ada", "analytical engine")
    assert user.username == "ada-2"


def test_username_falls_back_to_member_for_non_latin_names(app, db):
    user = services.register_user("a@example.com", "你好世界", "analytical engine")
    assert user.username == "member"
    other = services.register_user("b@example.com", "こんにちは", "analytical engine")
    assert other.username == "member-2"


def test_username_transliterates_accents(app, db):
    assert services.register_user("z@example.com", "Zoë Müller", "analytical engine").username == "zoe-muller"


@pytest.mark.parametrize(
    "lookalike",
    [
        "\u0410dmin",  # Cyrillic capital A
        "\uff21\uff44\uff4d\uff49\uff4e",  # full-width letters
        "ADMIN",
        "A d m i n",
        "Admіn",  # Cyrillic small i
    ],
)
def test_confusable_display_names_are_refused(app, db, lookalike):
    make_user(display_name="Admin")
    with pytest.raises(Invalid, match="looks too much like an existing member"):
        services.register_user("new@example.com", lookalike, "analytical engine")


def test_display_name_is_nfkc_normalised(app, db):
    user = services.register_user("new@example.com", "\uff21\uff44\uff41", "analytical engine")
    assert user.display_name == "Ada"


def test_confirming_sets_confirmed_at_and_fires_event(app, db, last_token):
    seen = []

    class Listener:
        @hookimpl
        def user_confirmed(self, user):
            seen.append(user.id)

    app.extensions["guildhall_plugins"].register(Listener())
    user = services.register_user("ada@example.com", "Ada", "analytical engine")
    db.session.commit()
    services.confirm_email(last_token("ada@example.com", "/confirm/"))
    db.session.commit()
    assert user.confirmed_at is not None
    assert seen == [user.id]


# --- HTTP -----------------------------------------------------------------------------


def test_register_page_renders(client):
    response = client.get("/register")
    assert response.status_code == 200
    assert b'name="display_name"' in response.data
    assert b'name="confirm"' in response.data


def test_register_form_creates_account_and_asks_to_check_email(client, db):
    response = client.post("/register", data=GOOD)
    assert response.status_code == 200
    assert b"Check your email" in response.data
    assert count_users(db) == 1


@pytest.mark.parametrize(
    "change",
    [
        {"email": "nope"},
        {"display_name": ""},
        {"password": "short", "confirm": "short"},
        {"confirm": "something else entirely"},
    ],
)
def test_register_form_errors_write_nothing(client, db, change):
    response = client.post("/register", data={**GOOD, **change})
    assert response.status_code == 400
    assert count_users(db) == 0


def test_register_form_shows_confusable_error_and_writes_nothing(client, db):
    make_user(display_name="Admin", email="admin@example.com")
    db.session.commit()
    response = client.post("/register", data={**GOOD, "display_name": "\u0410dmin"})
    assert response.status_code == 400
    assert b"looks too much like an existing member" in response.data
    assert count_users(db) == 1


def test_register_form_duplicate_email_is_a_form_error(client, db):
    make_user(email="ada@example.com")
    db.session.commit()
    response = client.post("/register", data=GOOD)
    assert response.status_code == 400
    assert b"already exists" in response.data


def test_confirm_link_shows_a_button_and_post_confirms(client, db, last_token):
    client.post("/register", data=GOOD)
    token = last_token("ada@example.com", "/confirm/")
    page = client.get(f"/confirm/{token}")
    assert page.status_code == 200
    user = db.session.scalar(sa.select(User))
    assert user.confirmed_at is None  # GET changes nothing
    response = client.post(f"/confirm/{token}")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(User)).confirmed_at is not None


def test_confirm_link_works_only_once(client, db, last_token):
    client.post("/register", data=GOOD)
    token = last_token("ada@example.com", "/confirm/")
    client.post(f"/confirm/{token}")
    response = client.post(f"/confirm/{token}")
    assert response.status_code == 400
    assert b"already been used" in response.data


def test_confirm_with_bogus_token_is_refused(client):
    response = client.post("/confirm/not-a-real-token")
    assert response.status_code == 400
    assert b"not valid" in response.data


def test_resend_confirmation_sends_a_new_link_and_retires_the_old(client, db, app, last_token):
    client.post("/register", data=GOOD)
    first = last_token("ada@example.com", "/confirm/")
    response = client.post("/confirm", data={"email": "ada@example.com"})
    assert response.status_code == 302
    second = last_token("ada@example.com", "/confirm/")
    assert first != second
    assert client.post(f"/confirm/{first}").status_code == 400
    assert client.post(f"/confirm/{second}").status_code == 302


def test_resend_confirmation_answers_the_same_for_unknown_addresses(client, app):
    known = client.post("/confirm", data={"email": "nobody@example.com"}, follow_redirects=True)
    assert known.status_code == 200
    assert b"If that address belongs" in known.data
    assert client.get("/confirm").status_code == 200
    assert client.post("/confirm", data={"email": ""}).status_code == 400


def test_signed_in_user_visiting_register_is_redirected(client, db, login_as):
    login_as(make_user())
    db.session.commit()
    assert client.get("/register").status_code == 302
