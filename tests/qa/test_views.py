"""Q&A pages over HTTP: every page renders, bad input answers 4xx and writes
nothing, JSON for fetch, and restricted questions never leak (lists, tags, similar
questions, JSON-LD)."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.forums.models import Topic
from app.qa import acceptance, closing
from app.qa.models import QACategory, QASetting, QATag, QAVote
from tests.qa.conftest import answer, ask, count, first_post, grant_reputation

JSON = {"Accept": "application/json"}


def json_ld(html: str) -> dict:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert match, "no JSON-LD block"
    return json.loads(match.group(1))


def test_pages_render_for_visitors(client, asker, helper, qa):
    topic = ask(asker, qa)
    answer(helper, topic)
    for url in ["/qa", "/qa?tab=unanswered", "/qa?tab=bogus", "/qa/tags", "/qa/tags/sso",
                f"/qa/q/{topic.id}-{topic.slug}", f"/qa/q/{topic.id}-{topic.slug}?sort=activity"]:  # fmt: skip
        assert client.get(url).status_code == 200, url
    assert client.get(f"/qa/q/{topic.id}").status_code == 301
    assert client.get("/qa/ask").status_code == 302  # sign in first


def test_nav_has_qa(client):
    assert 'href="/qa"' in client.get("/qa").get_data(as_text=True)


def test_ask_form_creates_a_question(client, sign_in, asker, qa):
    sign_in(asker)
    assert client.get("/qa/ask").status_code == 200
    response = client.post(
        "/qa/ask",
        data={
            "title": "How to rotate API keys?",
            "body": "Details",
            "tags": "api security",
            "category": qa.id,
        },
    )
    assert response.status_code == 302
    topic = db.session.scalar(sa.select(Topic))
    assert response.headers["Location"].endswith(f"/qa/q/{topic.id}-{topic.slug}")


@pytest.mark.parametrize(
    "data",
    [
        {"title": "Valid title here", "body": "b", "tags": "a b c d e f"},
        {"title": "Valid title here", "body": "b", "tags": "bad/tag"},
        {"title": "Valid title here", "body": "b", "tags": ""},
        {"title": "", "body": "b", "tags": "sso"},
        {"title": "Valid title here", "body": "", "tags": "sso"},
        {"title": "Valid title here", "body": "b", "tags": "sso", "category": "999"},
        {"title": "Valid title here", "body": "b", "tags": "sso", "category": "abc"},
    ],
)
def test_bad_ask_input_is_a_400_and_writes_nothing(client, sign_in, asker, qa, data):
    sign_in(asker)
    response = client.post("/qa/ask", data={"category": qa.id, **data})
    assert response.status_code == 400
    assert (count(Topic), count(QATag)) == (0, 0)


def test_ask_offers_only_qa_categories_the_actor_can_post_in(client, sign_in, asker, qa, private_qa):
    sign_in(asker)
    html = client.get("/qa/ask").get_data(as_text=True)
    assert "Q&amp;A" in html and "Mentor Q&amp;A" not in html
    response = client.post(
        "/qa/ask", data={"title": "Sneaky question", "body": "b", "tags": "x", "category": private_qa.id}
    )
    assert response.status_code == 400 and count(Topic) == 0


def test_answer_vote_accept_over_http(client, sign_in, asker, helper, qa):
    topic = ask(asker, qa)
    sign_in(helper)
    response = client.post(f"/qa/q/{topic.id}/answer", data={"body": "Use the ACS URL."})
    assert response.status_code == 302
    post = db.session.scalar(sa.select(Topic).where(Topic.id == topic.id)).highest_post_number
    assert post == 2
    sign_in(asker)
    answer_post = answer(helper, topic, "Another")
    response = client.post(f"/qa/p/{answer_post.id}/vote", data={"value": "up"}, headers=JSON)
    assert response.status_code == 200 and response.json == {
        "ok": True,
        "message": "Upvoted.",
        "score": 1,
        "vote": 1,
    }
    response = client.post(f"/qa/p/{answer_post.id}/vote", data={"value": "up"}, headers=JSON)
    assert response.status_code == 409 and "already voted" in response.json["error"]
    response = client.post(f"/qa/p/{answer_post.id}/accept", headers=JSON)
    assert response.status_code == 200 and response.json["accepted"] is True
    assert "solved" in client.get("/qa?tab=solved").get_data(as_text=True)


def test_http_errors_for_bad_votes(client, sign_in, asker, helper, qa):
    topic = ask(asker, qa)
    question = first_post(topic)
    sign_in(asker)
    assert client.post(f"/qa/p/{question.id}/vote", data={"value": "up"}, headers=JSON).status_code == 403
    sign_in(helper)
    assert client.post(f"/qa/p/{question.id}/vote", data={"value": "sideways"}).status_code == 400
    assert client.post("/qa/p/999999/vote", data={"value": "up"}).status_code == 404
    assert client.get(f"/qa/p/{question.id}/vote").status_code == 405
    assert count(QAVote) == 0


def test_accept_on_someone_elses_question_is_403(client, sign_in, asker, helper, voter, qa):
    post = answer(helper, ask(asker, qa))
    sign_in(voter)
    assert client.post(f"/qa/p/{post.id}/accept", headers=JSON).status_code == 403
    assert acceptance.accepted_answer_ids(post.topic_id) == []


def test_comment_and_close_over_http(client, sign_in, asker, helper, moderator, qa):
    topic = ask(asker, qa)
    question = first_post(topic)
    sign_in(helper)
    assert client.post(f"/qa/p/{question.id}/comments", data={"body": "x" * 601}).status_code == 400
    assert client.post(f"/qa/p/{question.id}/comments", data={"body": "Which IdP?"}).status_code == 302
    assert client.post(f"/qa/q/{topic.id}/close", data={"reason": "off-topic"}).status_code == 403
    sign_in(moderator)
    assert (
        client.post(f"/qa/q/{topic.id}/close", data={"reason": "duplicate", "duplicate_of": "x"}).status_code
        == 400
    )
    assert client.post(f"/qa/q/{topic.id}/close", data={"reason": "off-topic"}).status_code == 302
    html = client.get(f"/qa/q/{topic.id}-{topic.slug}").get_data(as_text=True)
    assert "Closed as off-topic" in html and "Reopen question" in html
    assert client.post(f"/qa/q/{topic.id}/reopen").status_code == 302
    assert closing.state_of(topic.id) is None


def test_privileged_edit_over_http(client, sign_in, asker, helper, qa):
    topic = ask(asker, qa)
    question = first_post(topic)
    sign_in(helper)
    assert client.get(f"/qa/p/{question.id}/edit").status_code == 403
    grant_reputation(helper, 1000)
    db.session.commit()
    assert client.get(f"/qa/p/{question.id}/edit").status_code == 200
    response = client.post(f"/qa/p/{question.id}/edit", data={"title": topic.title, "body": "Clearer body"})
    assert response.status_code == 302
    assert first_post(topic).body == "Clearer body"


def test_json_ld_describes_the_question_and_escapes_user_text(client, asker, helper, qa):
    topic = ask(asker, qa, title="Why </script><script>alert(1)</script> & co?", body="Body <b>&</b>")
    post = answer(helper, topic, "Answer with </script> inside")
    acceptance.accept_answer(asker, post)
    db.session.commit()
    html = client.get(f"/qa/q/{topic.id}-{topic.slug}").get_data(as_text=True)
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    assert "<" not in block and ">" not in block and "&" not in block
    data = json_ld(html)
    assert data["@type"] == "QAPage"
    assert data["mainEntity"]["name"] == topic.title
    assert data["mainEntity"]["acceptedAnswer"]["text"] == "Answer with </script> inside"
    assert data["mainEntity"]["answerCount"] == 1


def test_restricted_questions_are_invisible_to_outsiders(client, sign_in, asker, mentor, private_qa, qa):
    secret = ask(mentor, private_qa, title="Mentor secret about firewalls", tags="secret-project")
    ask(asker, qa, title="Public firewall question", tags="firewall")
    for user in (None, asker):
        sign_in(user)
        assert client.get(f"/qa/q/{secret.id}-{secret.slug}").status_code == 404
        assert "secret" not in client.get("/qa").get_data(as_text=True).lower()
        assert "secret-project" not in client.get("/qa/tags").get_data(as_text=True)
        assert client.get("/qa/tags/secret-project").status_code == 404
        found = client.get("/qa/similar.json?title=firewalls secret").json["questions"]
        assert [q["title"] for q in found] == ["Public firewall question"]
        assert client.post(f"/qa/p/{first_post(secret).id}/vote", data={"value": "up"}).status_code in (
            302,
            404,
        )
    sign_in(mentor)
    html = client.get(f"/qa/q/{secret.id}-{secret.slug}").get_data(as_text=True)
    assert json_ld(html)["mainEntity"]["name"] == secret.title
    assert "secret-project" in client.get("/qa/tags").get_data(as_text=True)


def test_similar_json_handles_junk(client):
    for title in ["", "a", "%%%%", "x" * 5000, "<script>"]:
        response = client.get("/qa/similar.json", query_string={"title": title})
        assert response.status_code == 200 and response.json == {"questions": []}


def test_follow_tag_over_http(client, sign_in, asker, helper, qa):
    ask(asker, qa, tags="sso")
    sign_in(helper)
    response = client.post("/qa/tags/sso/follow", headers=JSON)
    assert response.status_code == 200 and response.json["following"] is True
    assert "Unfollow" in client.get("/qa/tags/sso").get_data(as_text=True)


def test_admin_pages_are_admin_only(client, sign_in, asker, moderator, admin, qa, db):
    for user in (asker, moderator):
        sign_in(user)
        assert client.get("/qa/admin/settings").status_code == 403
        assert (
            client.post("/qa/admin/categories", data={"category": qa.id, "enabled": "y"}).status_code == 403
        )
    sign_in(admin)
    assert client.get("/qa/admin/settings").status_code == 200
    assert client.get("/qa/admin/categories").status_code == 200


def test_admin_saves_settings_and_rejects_bad_values(client, sign_in, admin):
    from app.qa.settings import DEFAULTS

    sign_in(admin)
    data = {**DEFAULTS, "threshold_close": 100}
    assert client.post("/qa/admin/settings", data=data).status_code == 302
    assert db.session.get(QASetting, "threshold_close").value == 100
    bad = {**DEFAULTS, "threshold_close": -5}
    assert client.post("/qa/admin/settings", data=bad).status_code == 400
    assert (
        client.post("/qa/admin/settings", data={**DEFAULTS, "threshold_edit_others": "lots"}).status_code
        == 400
    )
    assert db.session.get(QASetting, "threshold_close").value == 100


def test_admin_marks_a_category_as_qa_with_several_accepted_answers(client, sign_in, admin, db):
    from tests.factories import make_category

    category = make_category(name="Help desk", slug="help-desk")
    db.session.commit()
    sign_in(admin)
    response = client.post(
        "/qa/admin/categories", data={"category": category.id, "enabled": "y", "multiple_accepted": "y"}
    )
    assert response.status_code == 302
    assert db.session.get(QACategory, category.id).multiple_accepted is True
    client.post("/qa/admin/categories", data={"category": category.id})
    db.session.expire_all()
    assert db.session.get(QACategory, category.id) is None


def test_cli_enables_a_category(runner, db):
    from tests.factories import make_category

    category = make_category(name="Support", slug="support")
    db.session.commit()
    result = runner.invoke(args=["qa", "enable-category", "support", "--multiple-accepted"])
    assert result.exit_code == 0, result.output
    assert db.session.get(QACategory, category.id).multiple_accepted is True
    assert runner.invoke(args=["qa", "enable-category", "nope"]).exit_code != 0
    assert runner.invoke(args=["qa", "disable-category", "support"]).exit_code == 0


def test_profile_shows_reputation(client, asker):
    grant_reputation(asker, 42)
    db.session.commit()
    html = client.get(f"/u/{asker.username}").get_data(as_text=True)
    assert "42" in html and "reputation" in html
