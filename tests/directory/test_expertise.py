"""The expert finder: ranking by accepted answers and upvotes on a tag, specialisms,
category privacy and who is left out."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.core.db import utcnow
from app.core.errors import Invalid, NotFound
from app.directory import expertise
from app.extensions import db
from app.qa import acceptance, votes
from tests.directory.conftest import hide, refresh
from tests.factories import make_user
from tests.qa.conftest import answer, ask, first_post, grant_reputation, make_qa_category


@pytest.fixture
def qa(db):
    category = make_qa_category(name="Q&A", slug="qa-cat")
    db.session.commit()
    return category


@pytest.fixture
def cast(db):
    """An asker, three answerers and three voters."""
    people = {name: make_user(username=name, display_name=name.title()) for name in
              ("asker", "ann", "ben", "cat", "v1", "v2", "v3")}  # fmt: skip
    db.session.commit()
    return people


def upvote(voters, post) -> None:
    for voter in voters:
        votes.vote(voter, post, 1)
    db.session.commit()


def accept(asker, post) -> None:
    acceptance.accept_answer(asker, post)
    db.session.commit()


def ranking(reader, tag="sso") -> list[tuple[str, int, int]]:
    _, experts = expertise.experts_for_tag(reader, tag)
    return [(e.user.username, e.accepted, e.upvotes) for e in experts]


def test_members_rank_by_accepted_answers_and_upvotes(cast, qa):
    first = ask(cast["asker"], qa, title="How do I set up SSO for partners?", tags="sso")
    second = ask(cast["asker"], qa, title="Where do SAML certificates live?", tags="sso saml")
    ann_1, ben_1 = answer(cast["ann"], first), answer(cast["ben"], first)
    cat_2 = answer(cast["cat"], second)
    accept(cast["asker"], ann_1)
    upvote([cast["v1"], cast["v2"]], ben_1)
    upvote([cast["v3"]], cat_2)
    # accepted = 15 points, an upvote = 10 (the Q&A defaults): Ben's two upvotes beat Ann's acceptance
    assert ranking(None) == [("ben", 0, 2), ("ann", 1, 0), ("cat", 0, 1)]
    _, experts = expertise.experts_for_tag(None, "sso")
    assert [e.score for e in experts] == [20, 15, 10]
    assert ranking(None, "saml") == [("cat", 0, 1)]


def test_only_answers_count_not_questions_or_downvotes(cast, qa):
    question = ask(cast["asker"], qa, title="How do I set up SSO for partners?", tags="sso")
    reply = answer(cast["ann"], question)
    grant_reputation(cast["v1"], 100)
    votes.vote(cast["v1"], reply, -1)
    votes.vote(cast["v2"], first_post(question), 1)
    db.session.commit()
    assert ranking(None) == [("ann", 0, 0)]


def test_restricted_categories_do_not_count_for_readers_who_cannot_see_them(cast, qa):
    private = make_qa_category(name="Mentors", slug="mentors", view_policy="mentor", topic_policy="mentor",
                               reply_policy="mentor")  # fmt: skip
    mentor = make_user(role="mentor", username="mentor", display_name="Mentor")
    expert = make_user(role="mentor", username="expert", display_name="Expert")
    db.session.commit()
    answer(cast["ann"], ask(cast["asker"], qa, title="How do I set up SSO for partners?", tags="sso"))
    secret_q = ask(mentor, private, title="Internal SSO escalation process?", tags="sso")
    accept(mentor, answer(expert, secret_q))
    assert ranking(None) == [("ann", 0, 0)]
    assert ranking(cast["v1"]) == [("ann", 0, 0)]
    assert ranking(mentor) == [("expert", 1, 0), ("ann", 0, 0)]


def test_a_tag_used_only_in_a_restricted_category_is_not_found(cast):
    private = make_qa_category(name="Staff", slug="staff-qa", view_policy="moderator,admin",
                               topic_policy="moderator,admin", reply_policy="moderator,admin")  # fmt: skip
    moderator = make_user(role="moderator", username="modx", display_name="Modx")
    db.session.commit()
    ask(moderator, private, title="Secret escalation path for outages?", tags="escalation")
    with pytest.raises(NotFound):
        expertise.experts_for_tag(None, "escalation")
    assert expertise.experts_for_tag(moderator, "escalation")[0].name == "escalation"


def test_hidden_suspended_and_deleted_contributions_are_left_out(cast, qa):
    question = ask(cast["asker"], qa, title="How do I set up SSO for partners?", tags="sso")
    for name in ("ann", "ben", "cat"):
        answer(cast[name], question)
    hide(cast["ann"], member=True)
    cast["ben"].suspended_until = utcnow() + timedelta(days=1)
    db.session.commit()
    assert ranking(None) == [("cat", 0, 0)]


def test_specialism_joins_tag_experts_and_members_who_list_it(cast, qa):
    question = ask(cast["asker"], qa, title="Best way to segment a network?", tags="networking")
    reply = answer(cast["ann"], question)
    upvote([cast["v1"]], reply)
    lister = make_user(username="lister", display_name="Lister", specialisms=["Networking"])
    hider = make_user(username="hider", display_name="Hider", specialisms=["networking"])
    hide(hider, fields_hidden=("specialisms",))
    refresh()
    subject, experts = expertise.experts_for_specialism(None, "networking")
    assert subject == "networking"
    assert [(e.user.username, e.lists_specialism) for e in experts] == [("ann", False), ("lister", True)]
    assert lister.id and hider.id


def test_multi_word_specialisms_use_the_hyphenated_tag(cast, qa):
    question = ask(cast["asker"], qa, title="Cloud licensing for resellers?", tags="cloud-licensing")
    answer(cast["ann"], question)
    _, experts = expertise.experts_for_specialism(None, "Cloud licensing")
    assert [e.user.username for e in experts] == ["ann"]


@pytest.mark.parametrize("tag", ["", "Not A Tag", "x" * 31, "<script>"])
def test_bad_tag_names_are_invalid(db, tag):
    with pytest.raises(Invalid):
        expertise.experts_for_tag(None, tag)


def test_unknown_tag_is_not_found(db):
    with pytest.raises(NotFound):
        expertise.experts_for_tag(None, "nosuchtag")


@pytest.mark.parametrize("specialism", ["", "   ", "x" * 61, "bad\x00value"])
def test_bad_specialisms_are_invalid(db, specialism):
    with pytest.raises(Invalid):
        expertise.experts_for_specialism(None, specialism)


# --- the page ----------------------------------------------------------------------------------------


def test_expert_page(client, cast, qa):
    question = ask(cast["asker"], qa, title="How do I set up SSO for partners?", tags="sso")
    accept(cast["asker"], answer(cast["ann"], question))
    assert client.get("/directory/experts").status_code == 200
    html = client.get("/directory/experts?tag=sso").get_data(as_text=True)
    assert "Experts on “sso”" in html and 'href="/u/ann"' in html
    assert 'href="/qa/tags/sso"' in html
    html = client.get("/directory/experts?specialism=sso").get_data(as_text=True)
    assert 'href="/u/ann"' in html


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("tag=nosuch", 404),
        ("tag=Bad%20Tag", 400),
        ("tag=sso&specialism=sso", 400),
        ("specialism=" + "x" * 61, 400),
        ("colour=red", 400),
    ],
)
def test_bad_expert_queries(client, db, query, status):
    assert client.get(f"/directory/experts?{query}").status_code == status


def test_directory_links_to_the_expert_finder(client, db):
    assert 'href="/directory/experts"' in client.get("/directory").get_data(as_text=True)


def test_tag_pages_link_to_their_experts(client, cast, qa):
    ask(cast["asker"], qa, title="How do I set up SSO for partners?", tags="sso")
    assert 'href="/directory/experts?tag=sso"' in client.get("/qa/tags/sso").get_data(as_text=True)
