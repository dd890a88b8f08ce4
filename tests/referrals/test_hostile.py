"""Hostile input through every text a referral carries: XSS vectors stay inert on every
page that shows them, and the naughty strings never cause a server error."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from app.core.errors import DomainError
from app.extensions import db
from app.referrals import services as referrals
from app.referrals.models import Referral
from tests.hostile import naughty_strings, page_script_vectors_in, script_vectors_in, xss_vectors
from tests.referrals.conftest import VALID

OK_STATUSES = {200, 302, 400}

if not os.environ.get("TEST_DATABASE_URL"):
    pytestmark = pytest.mark.app_config(SQLALCHEMY_DATABASE_URI="sqlite://", SEARCH_INDEX_AFTER_COMMIT=False)
else:
    pytestmark = pytest.mark.app_config(SEARCH_INDEX_AFTER_COMMIT=False)


def test_xss_vectors_in_summary_details_and_customer_are_inert(world, client, login_as, hostile):
    login_as(world.andy)
    shown = 0
    for vector in xss_vectors():
        try:
            [referral] = referrals.send_referral(
                world.andy,
                ["south"],
                **{**VALID, "summary": vector[:200], "details": vector, "customer_name": vector[:120]},
            )
            db.session.commit()
        except DomainError:
            db.session.rollback()
            continue
        shown += 1
        assert script_vectors_in(referral.details_html) == [], vector
        page = client.get(f"/referrals/{referral.id}")
        assert page.status_code == 200, vector
        assert page_script_vectors_in(page.get_data(as_text=True)) == [], vector
    assert shown > 100
    # Every summary also appears in the lists and the history: check each of their pages once.
    pages = client.get("/referrals.json?box=sent").get_json()["pages"]
    urls = [f"/referrals?box=sent&page={n}" for n in range(1, pages + 1)] + ["/o/north/referrals"]
    for url in urls:
        page = client.get(url)
        assert page.status_code == 200, url
        assert page_script_vectors_in(page.get_data(as_text=True)) == [], url


def test_xss_vectors_in_reasons_and_notes_are_inert(world, client, login_as, hostile):
    login_as(world.andy)
    for n, vector in enumerate(xss_vectors(limit=150)):
        [referral] = referrals.send_referral(world.andy, ["south"], **{**VALID, "summary": f"Referral {n}"})
        db.session.commit()
        try:
            if n % 2:
                referrals.decline(world.bob, referral, vector[:500])
            else:
                referrals.accept(world.bob, referral, vector[:1000])
                referrals.start_work(world.bob, referral)
                referrals.lose(world.bob, referral, None, vector[:1000])
            db.session.commit()
        except DomainError:
            db.session.rollback()
            continue
        page = client.get(f"/referrals/{referral.id}")
        assert page.status_code == 200
        assert page_script_vectors_in(page.get_data(as_text=True)) == [], vector


def test_naughty_strings_through_the_form_never_fail(world, client, login_as, hostile):
    login_as(world.andy)
    fields = ("summary", "details", "customer_name", "customer_region", "customer_industry", "specialisms",
              "estimated_value", "currency", "confidentiality", "expires_on", "recipient")  # fmt: skip
    for n, text in enumerate(naughty_strings()):
        field = fields[n % len(fields)]
        data = {**VALID, "recipient": "south", "action": ("send", "propose")[n % 2], field: text}
        response = client.post("/referrals/new", data=data)
        assert response.status_code in OK_STATUSES, (field, text, response.status_code)
    written = db.session.scalar(sa.select(sa.func.count()).select_from(Referral))
    assert written > 0


def test_naughty_strings_through_the_answers_never_fail(world, client, login_as, hostile):
    [referral] = referrals.send_referral(world.andy, ["south"], **VALID)
    db.session.commit()
    login_as(world.bob)
    attempts = (
        ("decline", lambda text: {"decline-reason": text}),
        ("win", lambda text: {"win-value": text, "win-note": text}),
        ("accept", lambda text: {"accept-note": text}),
    )
    for n, text in enumerate(naughty_strings()):
        word, data = attempts[n % len(attempts)]
        response = client.post(f"/referrals/{referral.id}/{word}", data=data(text))
        assert response.status_code in OK_STATUSES, (word, text, response.status_code)
        db.session.expire_all()
        if db.session.get(Referral, referral.id).status != "sent":
            [referral] = referrals.send_referral(world.andy, ["south"], **VALID)
            db.session.commit()


def test_naughty_strings_as_filters_and_ids_never_fail(world, client, login_as, hostile):
    login_as(world.andy)
    for text in naughty_strings()[:300]:
        for url in ("/referrals", "/referrals.json"):
            response = client.get(url, query_string={"box": text, "status": text, "page": text})
            assert response.status_code in {200, 400}, (url, text, response.status_code)
        assert client.get("/o/x/referrals", query_string={"q": text}).status_code == 404
