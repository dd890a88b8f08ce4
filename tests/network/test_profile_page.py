"""The profile page: what a peer wants to know, the network buttons for each state,
hidden built-in fields, accepted answers only where the viewer may read them, and the
panel slots plug-ins fill."""

from __future__ import annotations

import pytest
from markupsafe import Markup

from app.extensions import db
from app.network import connections, follows
from app.plugins import hookimpl, plugin_manager
from app.qa import acceptance
from tests.factories import make_user
from tests.network.conftest import hide_member
from tests.qa.conftest import answer, ask, make_qa_category


def page(client, username: str) -> str:
    response = client.get(f"/u/{username}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_profile_shows_the_organization_with_partner_type_and_tier(client, alice):
    html = page(client, "alice")
    assert 'href="/o/acme"' in html and "Acme Networks" in html
    assert "Managed service provider · Platinum tier" in html


def test_visitors_are_invited_to_sign_in(client, alice):
    html = page(client, "alice")
    assert "/login?next=/u/alice" in html and "to connect with Alice Archer" in html
    assert 'action="/u/alice/connect"' not in html and "/u/alice/follow" not in html


def test_buttons_follow_the_connection_state(client, sign_in, alice, bob):
    sign_in(bob)
    html = page(client, "alice")
    assert (
        'action="/u/alice/connect"' in html and '<label for="message">Add a note (optional)</label>' in html
    )
    assert 'action="/u/alice/follow"' in html and 'action="/u/alice/message"' in html
    assert 'value="/u/alice"' in html  # the request comes back here
    connections.request_connection(bob, alice)
    db.session.commit()
    html = page(client, "alice")
    assert (
        ">Pending<" in html
        and 'action="/u/alice/disconnect"' in html
        and 'action="/u/alice/connect"' not in html
    )
    sign_in(alice)
    html = page(client, "bob")
    assert "Bob Baker asked to connect with you." in html
    assert 'action="/u/bob/accept"' in html and 'action="/u/bob/decline"' in html
    connections.accept_request(alice, bob)
    db.session.commit()
    html = page(client, "bob")
    assert ">Connected<" in html and "Remove connection" in html
    assert ">1 connection</a>" in html and 'href="/u/bob/connections"' in html


def test_own_profile_links_to_my_network_instead_of_buttons(client, sign_in, alice):
    sign_in(alice)
    html = page(client, "alice")
    assert 'href="/connections"' in html and 'href="/following"' in html
    assert 'action="/u/alice/connect"' not in html and "/u/alice/follow" not in html


def test_no_connect_or_follow_for_a_suspended_member(client, sign_in, alice, suspended):
    sign_in(alice)
    html = page(client, "benched")
    assert 'action="/u/benched/connect"' not in html and "/u/benched/follow" not in html


def test_unfollow_stays_available_after_the_member_is_suspended(client, sign_in, alice, bob):
    follows.follow(alice, bob)
    db.session.commit()
    from tests.network.conftest import suspend

    suspend(bob)
    sign_in(alice)
    assert 'action="/u/bob/unfollow"' in page(client, "bob")


# --- hidden built-in fields ------------------------------------------------------------

FACTS = {"job_title": "Chief Hacker", "region": "Atlantis", "country": "Narnia",
         "languages": ["Klingon"], "specialisms": ["Quantum routing"]}  # fmt: skip


@pytest.fixture
def private_alice(alice):
    for name, value in FACTS.items():
        setattr(alice, name, value)
    hide_member(alice, fields=list(FACTS), hidden=False)
    return alice


def test_hidden_built_in_fields_are_absent_for_other_viewers(client, sign_in, private_alice, bob):
    for viewer in (None, bob):
        sign_in(viewer)
        html = page(client, "alice")
        for text in ("Chief Hacker", "Atlantis", "Narnia", "Klingon", "Quantum routing"):
            assert text not in html, (viewer, text)
        assert "Acme Networks" in html  # not a hideable field


def test_hidden_built_in_fields_are_shown_to_the_member_and_staff(client, sign_in, private_alice, moderator):
    for viewer in (private_alice, moderator):
        sign_in(viewer)
        html = page(client, "alice")
        for text in ("Chief Hacker", "Atlantis", "Narnia", "Klingon", "Quantum routing"):
            assert text in html, (viewer, text)


def test_only_the_hidden_fields_are_left_out(client, alice):
    for name, value in FACTS.items():
        setattr(alice, name, value)
    hide_member(alice, fields=["country"], hidden=False)
    html = page(client, "alice")
    assert "Narnia" not in html
    assert "Chief Hacker" in html and "Atlantis" in html and "Quantum routing" in html


# --- accepted answers ------------------------------------------------------------------


def test_accepted_answers_are_listed(client, alice, bob, db):
    qa = make_qa_category(name="Q&A", slug="qa-public")
    db.session.commit()
    question = ask(alice, qa, title="How do I renew a certification?")
    post = answer(bob, question)
    answer(bob, ask(alice, qa, title="Not accepted question here"))
    acceptance.accept_answer(alice, post)
    db.session.commit()
    html = page(client, "bob")
    section = html.split("<h2>Accepted answers</h2>", 1)[1].split("</section>", 1)[0]
    assert "How do I renew a certification?" in section
    assert "Not accepted question here" not in section


def test_accepted_answers_in_restricted_or_hidden_places_stay_private(
    client, sign_in, alice, bob, moderator, db
):
    mentor = make_user(role="mentor")
    restricted = make_qa_category(name="Mentor Q&A", slug="mentor-qa", view_policy="mentor",
                                  topic_policy="mentor", reply_policy="mentor")  # fmt: skip
    public = make_qa_category(name="Q&A", slug="qa-public")
    db.session.commit()
    secret = ask(mentor, restricted, title="Secret mentor question")
    acceptance.accept_answer(mentor, answer(moderator, secret))
    hidden_question = ask(alice, public, title="Question whose answer was hidden")
    hidden_answer = answer(moderator, hidden_question)
    acceptance.accept_answer(alice, hidden_answer)
    hidden_answer.hidden = True
    db.session.commit()
    sign_in(bob)
    html = page(client, "mod")
    assert "Secret mentor question" not in html and "Question whose answer was hidden" not in html
    assert "No accepted answers yet." in html
    sign_in(mentor)
    assert "Secret mentor question" in page(client, "mod")


# --- panel slots -----------------------------------------------------------------------


class PanelRecorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    @hookimpl
    def template_panel(self, name, context):
        if name in ("profile_main", "profile_sidebar"):
            self.calls.append((name, dict(context)))
            return Markup('<p class="test-panel">{}</p>').format(name)
        return None


def test_profile_panels_receive_the_member_and_the_viewer(app, client, sign_in, alice, bob):
    recorder = PanelRecorder()
    plugin_manager(app).register(recorder)
    sign_in(bob)
    html = page(client, "alice")
    assert '<p class="test-panel">profile_main</p>' in html
    assert '<p class="test-panel">profile_sidebar</p>' in html
    for name, context in recorder.calls:
        assert context["user"].id == alice.id and context["viewer"].id == bob.id, name
    main_at = html.index("profile_main</p>")
    assert main_at < html.index('class="profile-sidebar"')  # in the main column
