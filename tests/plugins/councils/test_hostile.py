"""Hostile applications: every statement from the corpora is stored as text or refused
with a message, and the chair's page shows none of it as markup."""

from __future__ import annotations

from datetime import timedelta

from app.core.errors import Invalid
from app.plugins.councils import services
from tests.factories import make_org, make_user
from tests.hostile import naughty_strings, page_script_vectors_in, xss_vectors


def test_hostile_statements_never_become_markup_on_the_chairs_page(db, client, login_as, council, chair):
    today = services.today()
    council.applications_open_from, council.applications_open_until = today, today + timedelta(days=3)
    db.session.commit()
    stored = 0
    for text in xss_vectors(limit=40) + naughty_strings()[:40]:
        applicant = make_user(organization=make_org())
        db.session.commit()
        try:
            services.apply(applicant, council, text)
            db.session.commit()
            stored += 1
        except Invalid:
            db.session.rollback()
    assert stored > 0
    page = login_as(chair).get(f"/councils/{council.id}/applications").get_data(as_text=True)
    assert page_script_vectors_in(page) == []
