"""What a member sees around a question (issue 19): a missing privilege is explained
next to the vote arrows, and comment boxes stay folded until asked for."""

from __future__ import annotations

import re

from app.qa.settings import setting
from tests.qa.conftest import answer, ask, grant_reputation


def _question_page(client, topic) -> str:
    response = client.get(f"/qa/q/{topic.id}-{topic.slug}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_member_below_the_downvote_threshold_is_told_why_there_is_no_downvote(
    client, sign_in, asker, helper, voter, qa
):
    topic = ask(asker, qa)
    reply = answer(helper, topic)
    sign_in(voter)
    html = _question_page(client, topic)
    needed = setting("threshold_downvote")
    assert f'id="downvote-why-{reply.id}">Voting down needs {needed} reputation</small>' in html
    # The arrow is there but switched off, and points at the reason.
    assert re.search(
        rf'<button type="button"[^>]* disabled[^>]* aria-describedby="downvote-why-{reply.id}"', html
    )


def test_a_member_with_the_privilege_gets_a_working_downvote_and_no_excuse(
    client, sign_in, asker, helper, voter, qa
):
    topic = ask(asker, qa)
    answer(helper, topic)
    grant_reputation(voter, setting("threshold_downvote"))
    sign_in(voter)
    html = _question_page(client, topic)
    assert "Voting down needs" not in html
    assert 'aria-label="Downvote">▼</button>' in html
    assert 'disabled aria-label="Downvote"' not in html


def test_visitors_see_no_vote_excuse(client, asker, helper, qa):
    topic = ask(asker, qa)
    answer(helper, topic)
    assert "Voting down needs" not in _question_page(client, topic)


def test_comment_boxes_are_folded_until_asked_for(client, sign_in, asker, helper, voter, qa):
    topic = ask(asker, qa)
    reply = answer(helper, topic)
    sign_in(voter)
    html = _question_page(client, topic)
    # Every comment form on the page sits inside a closed drawer (no "open" attribute).
    forms = re.findall(r'<form method="post" action="/qa/p/(\d+)/comments"', html)
    drawers = re.findall(
        r'<details class="qa-comment-drawer">\s*<summary>Add a comment</summary>\s*<form', html
    )
    assert str(reply.id) in forms and len(forms) == len(drawers) >= 2
