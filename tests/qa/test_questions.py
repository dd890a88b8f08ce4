"""Asking, answering, listing and reading questions (services)."""

from __future__ import annotations

import pytest

from app.core.errors import Invalid, NotFound, PermissionDenied
from app.extensions import db
from app.forums import services as forums
from app.forums.models import Post, Topic
from app.qa import acceptance, closing, questions, votes
from app.qa.models import QATag, QATopicTag
from tests.factories import make_category
from tests.qa.conftest import answer, ask, count, first_post, grant_reputation


def test_asking_creates_a_forum_topic_with_tags(asker, qa, events):
    topic = ask(asker, qa, tags="SSO, saml sso")
    assert topic.category_id == qa.id
    assert questions.question_page(asker, topic).tags == ["saml", "sso"]
    assert [e["topic"].id for e in events.named("question_asked")] == [topic.id]


@pytest.mark.parametrize(
    "tags",
    ["", "a b c d e f", "c++ bad/tag", "-leading", "x" * 31, "naïve", "<script>", "tag;drop"],
)
def test_bad_tags_are_refused_and_nothing_is_written(asker, qa, tags):
    with pytest.raises(Invalid) as error:
        questions.ask_question(asker, qa, "A perfectly fine title", "Body", tags)
    assert error.value.field == "tags"
    db.session.rollback()
    assert (count(Topic), count(Post), count(QATag), count(QATopicTag)) == (0, 0, 0, 0)


def test_allowed_tag_characters(asker, qa):
    topic = ask(asker, qa, tags="c++ c# node.js a-b 9x")
    assert questions.question_page(asker, topic).tags == ["9x", "a-b", "c#", "c++", "node.js"]


def test_asking_in_a_category_that_is_not_qa_is_refused(asker, db):
    plain = make_category()
    db.session.commit()
    with pytest.raises(Invalid):
        questions.ask_question(asker, plain, "A fine title", "Body", "sso")
    assert count(Topic) == 0


def test_answers_are_forum_replies(asker, helper, qa):
    topic = ask(asker, qa)
    post = answer(helper, topic, "Use the ACS URL.")
    assert post.number == 2 and post.topic_id == topic.id
    assert db.session.get(Topic, topic.id).reply_count == 1


def test_get_question_refuses_plain_topics_and_private_questions(asker, mentor, private_qa, db):
    plain = forums.create_topic(asker, make_category(), "Not a question", "Body")
    secret = ask(mentor, private_qa)
    with pytest.raises(NotFound):
        questions.get_question(asker, plain.id)
    with pytest.raises(NotFound):
        questions.get_question(asker, secret.id)
    assert questions.get_question(mentor, secret.id).id == secret.id


def test_outsiders_cannot_ask_in_a_restricted_category(asker, private_qa):
    with pytest.raises((NotFound, PermissionDenied)):
        questions.ask_question(asker, private_qa, "A fine title", "Body", "sso")


def test_list_tabs(asker, helper, qa, moderator):
    unanswered = ask(asker, qa, title="Nobody answered this yet")
    unsolved = ask(asker, qa, title="Answered but unsolved")
    solved = ask(asker, qa, title="Answered and solved")
    answer(helper, unsolved)
    accepted = answer(helper, solved)
    acceptance.accept_answer(asker, accepted)
    db.session.commit()

    def ids(tab):
        return {t.id for t in questions.list_questions(helper, tab).items}

    assert ids("unanswered") == {unanswered.id}
    assert ids("unsolved") == {unanswered.id, unsolved.id}
    assert ids("solved") == {solved.id}
    assert next(t.id for t in questions.list_questions(helper, "active").items) == solved.id
    assert next(t.id for t in questions.list_questions(helper, "newest").items) == solved.id
    assert questions.list_questions(helper, "newest").solved == {solved.id}


def test_an_accepted_answer_that_is_deleted_no_longer_solves(asker, helper, qa):
    topic = ask(asker, qa)
    post = answer(helper, topic)
    acceptance.accept_answer(asker, post)
    forums.delete_post(helper, post)
    db.session.commit()
    assert questions.list_questions(asker, "solved").items == []


def test_lists_by_tag(asker, qa):
    sso = ask(asker, qa, title="About single sign-on", tags="sso")
    ask(asker, qa, title="About the API", tags="api")
    tag = db.session.query(QATag).filter_by(name="sso").one()
    assert [t.id for t in questions.list_questions(asker, "newest", tag).items] == [sso.id]


def test_lists_never_show_restricted_questions_to_outsiders(asker, mentor, qa, private_qa):
    ask(mentor, private_qa, title="Mentor secret question")
    public = ask(asker, qa, title="Public question")
    assert [t.id for t in questions.list_questions(asker).items] == [public.id]
    assert len(questions.list_questions(mentor).items) == 2


def test_answers_sort_by_votes_newest_oldest_and_activity(asker, helper, voter, qa, db):
    from app.qa import comments

    topic = ask(asker, qa)
    first = answer(helper, topic, "first")
    second = answer(voter, topic, "second")
    third = answer(helper, topic, "third")
    votes.vote(asker, second, 1)
    comments.add_comment(asker, first, "Fresh activity")
    db.session.commit()

    def order(sort):
        return [p.id for p in questions.question_page(asker, topic, sort).answers]

    assert order("votes")[0] == second.id
    assert order("oldest") == [first.id, second.id, third.id]
    assert order("newest") == [third.id, second.id, first.id]
    assert order("activity")[0] == first.id
    assert order("nonsense") == order("votes")


def test_accepted_answers_are_pinned_above_the_others(asker, helper, voter, qa):
    topic = ask(asker, qa)
    low = answer(helper, topic, "low")
    high = answer(voter, topic, "high")
    votes.vote(asker, high, 1)
    acceptance.accept_answer(asker, low)
    db.session.commit()
    page = questions.question_page(asker, topic)
    assert [p.id for p in page.accepted] == [low.id]
    assert [p.id for p in page.answers] == [high.id]


def test_closed_questions_take_no_answers_even_through_the_forum(asker, helper, moderator, qa):
    topic = ask(asker, qa)
    closing.close_question(moderator, topic, "off-topic")
    db.session.commit()
    with pytest.raises(PermissionDenied):
        questions.answer_question(helper, topic, "Late answer")
    with pytest.raises(PermissionDenied):
        forums.create_reply(helper, topic, "Late reply")
    db.session.rollback()
    assert db.session.get(Topic, topic.id).post_count == 1
    answer(moderator, topic, "Staff may still add a note")


def test_similar_questions_share_significant_words(asker, mentor, qa, private_qa):
    match = ask(asker, qa, title="Configuring SAML with Azure AD")
    ask(asker, qa, title="Webhook retries after downtime")
    ask(mentor, private_qa, title="Private SAML Azure question")
    found = questions.similar_questions(asker, "How do I set up SAML for Azure?")
    assert [t.id for t in found] == [match.id]
    assert len(questions.similar_questions(mentor, "SAML Azure")) == 2
    assert questions.similar_questions(asker, "how do I") == []
    assert questions.similar_questions(asker, "100% _%_ \\") == []


def test_similar_questions_return_at_most_five(asker, qa):
    for n in range(7):
        ask(asker, qa, title=f"Firewall rule number {n}")
    assert len(questions.similar_questions(asker, "firewall rule")) == 5


def test_privileged_members_edit_others_posts_with_a_revision(asker, helper, qa, events):
    from app.forums.models import PostRevision
    from app.qa import editing

    topic = ask(asker, qa)
    question = first_post(topic)
    with pytest.raises(PermissionDenied):
        editing.edit_qa_post(helper, question, "Better wording")
    db.session.rollback()
    grant_reputation(helper, 1000)
    db.session.commit()
    revision = editing.edit_qa_post(helper, question, "Better wording", title="A clearer title here")
    db.session.commit()
    assert revision.editor_id == helper.id and revision.old_body == "Details here."
    assert question.body == "Better wording" and topic.title == "A clearer title here"
    assert count(PostRevision) == 1
