"""Tags (counts, follows, descriptions), closing and reopening, and comments."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.core.errors import Conflict, Invalid, NotFound, PermissionDenied
from app.extensions import db
from app.notifications.models import Notification
from app.qa import closing, comments, tags
from app.qa.models import QAComment, QAQuestionState, QATag
from tests.qa.conftest import answer, ask, count, first_post, grant_reputation


def notes(user) -> list[str]:
    return list(db.session.scalars(sa.select(Notification.message).where(Notification.user_id == user.id)))


def tag(name: str) -> QATag:
    return db.session.scalar(sa.select(QATag).where(QATag.name == name))


# --- tags ----------------------------------------------------------------------------


def test_tag_counts_never_include_questions_the_viewer_cannot_see(asker, mentor, qa, private_qa):
    ask(asker, qa, title="Public SSO question", tags="sso")
    ask(mentor, private_qa, title="Private SSO question", tags="sso secret-project")
    public = {t.name: n for t, n in tags.tag_counts(asker)}
    assert public == {"sso": 1}
    assert "secret-project" not in public
    assert {t.name: n for t, n in tags.tag_counts(mentor)} == {"sso": 2, "secret-project": 1}


def test_a_tag_used_only_in_private_questions_is_not_found_by_outsiders(asker, mentor, private_qa):
    ask(mentor, private_qa, tags="secret-project")
    with pytest.raises(NotFound):
        tags.get_tag(asker, "secret-project")
    assert tags.get_tag(mentor, "secret-project").name == "secret-project"


def test_followers_hear_about_new_questions_they_can_see(asker, helper, voter, mentor, qa, private_qa):
    ask(asker, qa, title="First SSO question", tags="sso")
    sso = tag("sso")
    tags.toggle_follow(helper, sso)
    tags.toggle_follow(mentor, sso)
    db.session.commit()
    ask(voter, qa, title="Second SSO question", tags="sso api")
    ask(mentor, private_qa, title="Mentor-only SSO question", tags="sso")
    assert notes(helper) == ["Carol asked “Second SSO question” (sso, api)"]
    assert len(notes(mentor)) == 1
    assert tags.toggle_follow(helper, sso) is False


def test_only_staff_describe_tags(asker, moderator, qa):
    ask(asker, qa, tags="sso")
    with pytest.raises(PermissionDenied):
        tags.update_description(asker, tag("sso"), "Single sign-on")
    tags.update_description(moderator, tag("sso"), "  Single   sign-on ")
    assert tag("sso").description == "Single sign-on"
    with pytest.raises(Invalid):
        tags.update_description(moderator, tag("sso"), "x" * 501)


# --- closing -------------------------------------------------------------------------


def test_moderators_close_as_duplicate_with_links_both_ways(asker, helper, moderator, qa):
    original = ask(asker, qa, title="The original question")
    copy = ask(helper, qa, title="The same question again")
    closing.close_question(moderator, copy, "duplicate", original.id)
    db.session.commit()
    assert closing.duplicate_target(helper, closing.state_of(copy.id)).id == original.id
    assert [t.id for t in closing.duplicates_of(helper, original)] == [copy.id]


def test_members_need_the_close_threshold(asker, helper, qa):
    topic = ask(asker, qa)
    with pytest.raises(PermissionDenied, match="reputation"):
        closing.close_question(helper, topic, "off-topic")
    db.session.rollback()
    assert count(QAQuestionState) == 0
    grant_reputation(helper, 250)
    db.session.commit()
    closing.close_question(helper, topic, "off-topic")
    closing.reopen_question(helper, topic)
    assert closing.state_of(topic.id) is None


def test_bad_close_requests(asker, mentor, moderator, qa, private_qa):
    topic = ask(asker, qa)
    secret = ask(mentor, private_qa, title="Private target question")
    with pytest.raises(Invalid):
        closing.close_question(moderator, topic, "because")
    with pytest.raises(Invalid):
        closing.close_question(moderator, topic, "duplicate", topic.id)
    with pytest.raises(Invalid):
        closing.close_question(moderator, topic, "duplicate", None)
    with pytest.raises(Invalid):
        closing.close_question(moderator, topic, "duplicate", 999999)
    grant_reputation(asker, 250)
    with pytest.raises(Invalid):
        closing.close_question(asker, topic, "duplicate", secret.id)
    db.session.rollback()
    assert count(QAQuestionState) == 0
    closing.close_question(moderator, topic, "off-topic")
    with pytest.raises(Conflict):
        closing.close_question(moderator, topic, "off-topic")


def test_duplicate_links_hide_private_questions(asker, mentor, moderator, qa, private_qa):
    public = ask(asker, qa, title="Public original")
    secret = ask(mentor, private_qa, title="Private copy")
    closing.close_question(moderator, secret, "duplicate", public.id)
    db.session.commit()
    assert closing.duplicates_of(asker, public) == []
    assert [t.id for t in closing.duplicates_of(mentor, public)] == [secret.id]


# --- comments ------------------------------------------------------------------------


def test_comments_notify_the_post_author(asker, helper, qa):
    post = answer(helper, ask(asker, qa))
    comment = comments.add_comment(asker, post, "Could you add **an example**?")
    db.session.commit()
    assert "<strong>an example</strong>" in comment.body_html
    assert any("commented on your answer" in m for m in notes(helper))
    assert comments.comments_for([post.id])[post.id] == [comment]


@pytest.mark.parametrize("body", ["", "   ", "x" * 601, "bad\x00byte"])
def test_bad_comments_are_refused_and_nothing_written(asker, qa, body):
    question = first_post(ask(asker, qa))
    with pytest.raises(Invalid):
        comments.add_comment(asker, question, body)
    db.session.rollback()
    assert count(QAComment) == 0


def test_comment_html_is_sanitized(asker, qa):
    question = first_post(ask(asker, qa))
    comment = comments.add_comment(asker, question, "<script>alert(1)</script> [x](javascript:alert(1))")
    assert "<script" not in comment.body_html and "href" not in comment.body_html


def test_only_the_author_or_staff_delete_comments(asker, helper, moderator, qa):
    question = first_post(ask(asker, qa))
    comment = comments.add_comment(asker, question, "Note to self")
    with pytest.raises(PermissionDenied):
        comments.delete_comment(helper, comment)
    comments.delete_comment(moderator, comment)
    db.session.commit()
    assert comments.comments_for([question.id])[question.id] == []


def test_outsiders_cannot_comment_on_restricted_questions(helper, mentor, private_qa):
    question = first_post(ask(mentor, private_qa))
    with pytest.raises(NotFound):
        comments.add_comment(helper, question, "Hello")


def test_the_asker_is_notified_of_a_new_answer_once(asker, helper, qa):
    answer(helper, ask(asker, qa, title="Who can help with SSO?"))
    assert notes(asker) == ["Bob answered your question “Who can help with SSO?”"]


def test_the_asker_is_emailed_about_a_new_answer(app, asker, helper, qa):
    from app.notifications.mail import outbox_messages

    answer(helper, ask(asker, qa, title="Who can help with SSO?"))
    mails = [m for m in outbox_messages(app) if m["To"] == asker.email]
    assert len(mails) == 1 and "answered your question" in mails[0]["Subject"]
