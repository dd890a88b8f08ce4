"""Q&A pages under ``/qa``: lists, tags, ask, the question page, and the POST actions.

Views translate HTTP into service calls and commit once. Buttons (vote, accept,
close, follow) are plain POST forms that also answer JSON when the request sends
``Accept: application/json`` (``static/js/qa.js`` uses that); a ``DomainError`` rolls
back and becomes the error page or ``{"error": ...}`` with its status code.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms import SelectChoice

from app.core.errors import DomainError, Invalid, PermissionDenied
from app.core.params import page_number
from app.core.permissions import can, is_staff
from app.extensions import db
from app.forums import services as forums
from app.forums.models import Post
from app.forums.views import posting_limit
from app.qa import acceptance, closing, comments, editing, questions, reputation, tags, votes
from app.qa.categories import askable_categories
from app.qa.forms import AnswerForm, AskForm, CloseForm, CommentForm, EditForm, EmptyForm, TagDescriptionForm
from app.qa.jsonld import dumps_for_script, qa_page_json
from app.qa.notices import question_url
from app.qa.settings import setting
from app.web import form_error, form_status, wants_json

bp = Blueprint("qa", __name__, url_prefix="/qa")
PER_PAGE = 30


def _actor() -> Any:
    return current_user._get_current_object()


@bp.context_processor
def _qa_helpers() -> dict:
    return {"can": can, "actor": _actor(), "question_url": question_url}


def _page_arg() -> int:
    return page_number(request.args.get("page"))


def _check_csrf() -> None:
    if not EmptyForm().validate_on_submit():
        raise Invalid("The form expired; please try again.")


def _done(message: str, target: str, **payload: Any):
    """JSON for fetch, otherwise a flash and a redirect back to the page."""
    if wants_json():
        return jsonify(ok=True, message=message, **payload)
    flash(message, "info")
    return redirect(target)


def _commit_or_raise(action, *args: Any) -> Any:
    try:
        result = action(*args)
        db.session.commit()
    except DomainError:
        db.session.rollback()
        raise
    return result


# --- lists -------------------------------------------------------------------------


@bp.get("")
def index():
    tab = request.args.get("tab", "newest")
    result = questions.list_questions(_actor(), tab, None, _page_arg(), PER_PAGE)
    return render_template("qa/index.html", result=result, tab=tab, tag=None, tabs=questions.TABS)


@bp.get("/tags")
def tag_index():
    return render_template("qa/tags.html", counts=tags.tag_counts(_actor()))


@bp.get("/tags/<name>")
def tag_page(name: str):
    actor = _actor()
    tag = tags.get_tag(actor, name)
    tab = request.args.get("tab", "newest")
    result = questions.list_questions(actor, tab, tag, _page_arg(), PER_PAGE)
    return render_template(
        "qa/index.html",
        result=result,
        tab=tab,
        tag=tag,
        tabs=questions.TABS,
        following=tags.is_following(actor, tag),
        action_form=EmptyForm(),
    )


@bp.post("/tags/<name>/follow")
@login_required
def follow_tag(name: str):
    actor = _actor()
    tag = tags.get_tag(actor, name)
    _check_csrf()
    following = _commit_or_raise(tags.toggle_follow, actor, tag)
    message = f"You follow “{tag.name}”." if following else f"You stopped following “{tag.name}”."
    return _done(message, url_for("qa.tag_page", name=tag.name), following=following)


@bp.route("/tags/<name>/edit", methods=["GET", "POST"])
@login_required
def edit_tag(name: str):
    actor = _actor()
    tag = tags.get_tag(actor, name)
    if not is_staff(actor):
        abort(403)
    form = TagDescriptionForm()
    if request.method == "GET":
        form.description.data = tag.description
    if form.validate_on_submit():
        try:
            tags.update_description(actor, tag, form.description.data or "")
            db.session.commit()
        except DomainError as error:
            form_error(form, error)
        else:
            flash("Tag description saved.", "info")
            return redirect(url_for("qa.tag_page", name=tag.name))
    status = form_status()
    return render_template("qa/edit_tag.html", form=form, tag=tag), status


# --- asking --------------------------------------------------------------------------


@bp.route("/ask", methods=["GET", "POST"])
@login_required
@posting_limit
def ask():
    actor = _actor()
    form = AskForm()
    categories = askable_categories(actor)
    form.category.choices = [SelectChoice(c.id, c.name) for c in categories]
    if form.validate_on_submit():
        chosen = next((c for c in categories if c.id == form.category.data), None)
        try:
            if chosen is None:
                raise Invalid("Choose a Q&A category you can post in.", field="category")
            topic = questions.ask_question(actor, chosen, form.title.data, form.body.data, form.tags.data)
            forums.mark_read(actor, topic, 1)
            db.session.commit()
        except DomainError as error:
            form_error(form, error)
        else:
            return redirect(url_for("qa.question", topic_id=topic.id, slug=topic.slug))
    status = form_status()
    return render_template("qa/ask.html", form=form, categories=categories), status


@bp.get("/tags/suggest.json")
def suggest_tags():
    """The editor's #tag autocomplete: visible tags starting with ``q``."""
    found = tags.suggest_tags(_actor(), request.args.get("q", "")[:40])
    return jsonify(tags=[{"name": tag.name, "count": count} for tag, count in found])


@bp.get("/similar.json")
def similar():
    found = questions.similar_questions(_actor(), request.args.get("title", ""))
    return jsonify(
        questions=[
            {
                "id": t.id,
                "title": t.title,
                "url": url_for("qa.question", topic_id=t.id, slug=t.slug),
                "answers": t.reply_count,
            }
            for t in found
        ]
    )


# --- the question page ---------------------------------------------------------------


def _render_question(topic, answer_form: AnswerForm, status: int = 200):
    actor = _actor()
    sort = request.args.get("sort", "votes")
    page = questions.question_page(actor, topic, sort)
    state = closing.state_of(topic.id)
    authors = {p.author_id for p in [page.question, *page.accepted, *page.answers]}
    canonical = url_for("qa.question", topic_id=topic.id, slug=topic.slug, _external=True)
    html = render_template(
        "qa/question.html",
        page=page,
        topic=topic,
        state=state,
        duplicate_target=closing.duplicate_target(actor, state),
        duplicates=closing.duplicates_of(actor, topic),
        reputations=reputation.reputations(authors),
        answer_form=answer_form,
        comment_form=CommentForm(formdata=None),
        close_form=CloseForm(formdata=None),
        action_form=EmptyForm(),
        can_answer=topic.deleted_at is None and can(actor, "topic.reply", topic),
        may_accept=acceptance.may_accept(actor, topic),
        may_close=closing.may_close(actor, topic),
        may_downvote=reputation.has_privilege(actor, "threshold_downvote"),
        downvote_threshold=setting("threshold_downvote"),
        may_comment=comments.may_comment,
        may_edit=editing.may_edit,
        sorts=questions.ANSWER_SORTS,
        json_ld=dumps_for_script(qa_page_json(page, canonical)),
    )
    if request.method == "GET":
        numbers = [p.number for p in [page.question, *page.accepted, *page.answers]]
        forums.mark_read(actor, topic, max(numbers))
        db.session.commit()
    return html, status


@bp.get("/q/<int:topic_id>")
@bp.get("/q/<int:topic_id>-<slug>")
def question(topic_id: int, slug: str | None = None):
    topic = questions.get_question(_actor(), topic_id)
    if slug != topic.slug:
        sort = request.args.get("sort")
        return redirect(url_for("qa.question", topic_id=topic.id, slug=topic.slug, sort=sort), 301)
    return _render_question(topic, AnswerForm(formdata=None))


@bp.post("/q/<int:topic_id>/answer")
@login_required
@posting_limit
def answer(topic_id: int):
    actor = _actor()
    topic = questions.get_question(actor, topic_id)
    form = AnswerForm()
    if form.validate_on_submit():
        try:
            post = questions.answer_question(actor, topic, form.body.data)
            forums.mark_read(actor, topic, post.number)
            db.session.commit()
        except DomainError as error:
            form_error(form, error)
        else:
            return redirect(question_url(topic, f"answer-{post.id}"))
    return _render_question(topic, form, 400)


# --- actions on posts ----------------------------------------------------------------


def _qa_post(post_id: int) -> Post:
    post = forums.get_post(_actor(), post_id)
    questions.get_question(_actor(), post.topic_id)
    return post


@bp.post("/p/<int:post_id>/vote")
@login_required
def vote(post_id: int):
    actor = _actor()
    post = _qa_post(post_id)
    _check_csrf()
    value = votes.parse_value(request.form.get("value"))
    score = _commit_or_raise(votes.vote, actor, post, value)
    labels = {1: "Upvoted.", -1: "Downvoted.", 0: "Vote removed."}
    anchor = "question" if post.number == 1 else f"answer-{post.id}"
    return _done(labels[value], question_url(post.topic, anchor), score=score, vote=value)


@bp.post("/p/<int:post_id>/accept")
@login_required
def accept(post_id: int):
    actor = _actor()
    post = _qa_post(post_id)
    _check_csrf()
    _commit_or_raise(acceptance.accept_answer, actor, post)
    return _done("Answer accepted.", question_url(post.topic, f"answer-{post.id}"), accepted=True)


@bp.post("/p/<int:post_id>/unaccept")
@login_required
def unaccept(post_id: int):
    actor = _actor()
    post = _qa_post(post_id)
    _check_csrf()
    _commit_or_raise(acceptance.unaccept_answer, actor, post)
    return _done("Answer no longer accepted.", question_url(post.topic, f"answer-{post.id}"), accepted=False)


@bp.post("/p/<int:post_id>/comments")
@login_required
@posting_limit
def comment(post_id: int):
    actor = _actor()
    post = _qa_post(post_id)
    form = CommentForm()
    if not form.validate_on_submit():
        message = next(iter(form.errors.values()), ["The comment is not valid."])[0]
        raise Invalid(str(message), field="body")
    created = _commit_or_raise(comments.add_comment, actor, post, form.body.data)
    return _done(
        "Comment added.",
        question_url(post.topic, f"comment-{created.id}"),
        id=created.id,
        html=created.body_html,
    )


@bp.post("/comments/<int:comment_id>/delete")
@login_required
def delete_comment(comment_id: int):
    actor = _actor()
    found = comments.get_comment(actor, comment_id)
    post = db.session.get(Post, found.post_id)
    _check_csrf()
    _commit_or_raise(comments.delete_comment, actor, found)
    return _done("Comment deleted.", question_url(post.topic))


@bp.route("/p/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit(post_id: int):
    actor = _actor()
    post = _qa_post(post_id)
    if not editing.may_edit(actor, post):
        raise PermissionDenied(
            f"Editing other people's posts needs {setting('threshold_edit_others')} reputation."
        )
    form = EditForm()
    if request.method == "GET":
        form.body.data = post.body
        form.title.data = post.topic.title if post.number == 1 else None
    if form.validate_on_submit():
        try:
            title = form.title.data if post.number == 1 else None
            editing.edit_qa_post(actor, post, form.body.data, title=title)
            db.session.commit()
        except DomainError as error:
            form_error(form, error)
        else:
            anchor = "question" if post.number == 1 else f"answer-{post.id}"
            return redirect(question_url(post.topic, anchor))
    status = form_status()
    return render_template("qa/edit.html", form=form, post=post), status


# --- closing -------------------------------------------------------------------------


@bp.post("/q/<int:topic_id>/close")
@login_required
def close(topic_id: int):
    actor = _actor()
    topic = questions.get_question(actor, topic_id)
    form = CloseForm()
    if not form.validate_on_submit():
        raise Invalid("Close as a duplicate (with the question number) or as off-topic.", field="reason")
    _commit_or_raise(closing.close_question, actor, topic, form.reason.data, form.duplicate_of.data)
    return _done("Question closed.", question_url(topic), closed=True)


@bp.post("/q/<int:topic_id>/reopen")
@login_required
def reopen(topic_id: int):
    actor = _actor()
    topic = questions.get_question(actor, topic_id)
    _check_csrf()
    _commit_or_raise(closing.reopen_question, actor, topic)
    return _done("Question reopened.", question_url(topic), closed=False)


from app.qa import admin_views  # noqa: E402, F401 - admin pages on the same blueprint
