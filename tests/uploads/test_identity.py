"""Who is who: every post's author line shows the avatar, organization, partner type and
tier, with a user card; directory cards are compact and show pictures and logos."""

from __future__ import annotations

import re

import pytest

from app.extensions import db
from app.uploads import services
from app.uploads.identity import avatar_colour, initials
from tests.factories import make_category, make_org, make_post, make_topic, make_user
from tests.uploads.conftest import image_bytes


@pytest.fixture
def partner(db):
    org = make_org(name="Acme Networks", slug="acme", partner_type="msp", tier="platinum")
    user = make_user(username="ada", display_name="Ada Lovelace", organization=org, job_title="Architect")
    db.session.commit()
    return user


def _card(html: str) -> str:
    match = re.search(r'<details class="usercard">.*?</details>', html, re.S)
    assert match, "no user card on the page"
    return match.group(0)


def test_a_forum_post_shows_its_authors_organization_partner_type_and_tier(client, partner):
    topic = make_topic(author=partner, category=make_category())
    db.session.commit()
    html = client.get(f"/t/{topic.id}-{topic.slug}").get_data(as_text=True)
    line = re.search(r'<span class="author-line">.*?</span>\s*</span>', html, re.S).group(0)
    assert "Ada Lovelace" in line
    assert 'href="/o/acme"' in line and "Acme Networks" in line
    assert "Managed service provider" in line
    assert "Platinum" in line and "tier-platinum" in line


def test_the_user_card_names_organization_partner_type_and_tier_and_no_badges_yet(client, partner):
    topic = make_topic(author=partner, category=make_category())
    db.session.commit()
    card = _card(client.get(f"/t/{topic.id}-{topic.slug}").get_data(as_text=True))
    # The summary, a keyboard-reachable toggle, is named by its (visually hidden) text.
    assert '<span class="visually-hidden">About Ada Lovelace</span></summary>' in card
    assert "Organization" in card and "Partner type" in card and "Tier" in card
    assert "Architect" in card and "@ada" in card
    assert "badge" not in card.lower()


def test_an_author_without_an_avatar_gets_initials_in_a_colour_of_their_own(client, partner):
    topic = make_topic(author=partner, category=make_category())
    db.session.commit()
    html = client.get(f"/t/{topic.id}-{topic.slug}").get_data(as_text=True)
    assert f'avatar-initials avatar-c{avatar_colour(partner)}" aria-hidden="true">AL</span>' in html


def test_an_author_with_an_avatar_shows_the_picture(client, partner):
    upload = services.set_avatar(partner, partner, "me.png", image_bytes("PNG"))
    topic = make_topic(author=partner, category=make_category())
    db.session.commit()
    html = client.get(f"/t/{topic.id}-{topic.slug}").get_data(as_text=True)
    assert f'src="/uploads/{upload.id}/avatar.webp"' in html


def test_an_author_in_no_organization_shows_no_empty_chips(client):
    loner = make_user(display_name="Solo Person")
    topic = make_topic(author=loner, category=make_category())
    db.session.commit()
    html = client.get(f"/t/{topic.id}-{topic.slug}").get_data(as_text=True)
    assert "Not in a partner organization." in _card(html)
    assert "author-org" not in html


def test_a_qa_answer_shows_its_authors_organization_and_tier(client, partner, db):
    from app.qa.questions import answer_question, ask_question
    from tests.qa.conftest import make_qa_category

    topic = ask_question(
        make_user(), make_qa_category(name="Q&A", slug="qa-here"), "How do I?", "Details", ["howto"]
    )
    answer_question(partner, topic, "Like this.")
    db.session.commit()
    html = client.get(f"/qa/q/{topic.id}-{topic.slug}").get_data(as_text=True)
    answer = html[html.index("Like this.") :]
    assert "Acme Networks" in answer and "Platinum" in answer and "Managed service provider" in answer


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Ada Lovelace", "AL"),
        ("ada", "A"),
        ("Jean-Luc de la Tour", "JT"),
        ("  ", "?"),
        ("Ωmega Ψ", "ΩΨ"),
        ("@@ !!", "?"),
    ],
)
def test_initials_take_the_first_and_last_words(name, expected):
    assert initials(name) == expected


def test_hostile_display_names_are_escaped_in_the_author_line_and_card(client, hostile):
    from tests.hostile import naughty_strings, page_script_vectors_in

    names = [n for n in naughty_strings() if "<" in n or "&" in n][:25]
    category = make_category()
    topic = make_topic(author=make_user(display_name=names[0][:80]), category=category)
    for n, name in enumerate(names[1:]):
        make_post(topic, author=make_user(display_name=name[:80] or f"n{n}"))
    db.session.commit()
    html = client.get(f"/t/{topic.id}-{topic.slug}?page=1").get_data(as_text=True)
    assert page_script_vectors_in(html) == []


def test_directory_cards_show_pictures_logos_and_chips(client, partner, db):
    from tests.directory.conftest import refresh

    upload = services.set_avatar(partner, partner, "me.png", image_bytes("PNG"))
    logo = services.set_logo(make_user(role="admin"), partner.organization, "logo.png", image_bytes("PNG"))
    db.session.commit()
    refresh()
    people = client.get("/directory").get_data(as_text=True)
    assert f"/uploads/{upload.id}/avatar.webp" in people
    assert "person-card" in people and "tier-platinum" in people
    orgs = client.get("/directory?show=orgs").get_data(as_text=True)
    assert f"/uploads/{logo.id}/logo.webp" in orgs
