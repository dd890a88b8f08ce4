"""Forum pages: topic lists, categories, topics, posting, editing, history, admin.

Views translate HTTP into service calls and commit once. A ``DomainError`` from a
form submission rolls back and re-renders the form with the message (400); NotFound
and PermissionDenied fall through to the app's error pages (404/403).
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required
from werkzeug.routing import BuildError
from wtforms import SelectChoice

from app.core import params
from app.core.errors import DomainError, Invalid, NotFound
from app.core.pagecache import cache_page
from app.core.permissions import can, is_staff, require
from app.extensions import db, limiter
from app.forums import fragments, reading, services
from app.forums.diff import word_diff
from app.forums.forms import EditPostForm, EmptyForm, NewTopicAnyForm, ReplyForm, TopicForm
from app.forums.models import Category, Post, Topic
from app.web import form_error, form_status, safe_next_url

bp = Blueprint("forums", __name__)


def _actor() -> Any:
    return current_user._get_current_object()


def _posting_key() -> str:
    """Rate-limit posting per account (every browser of a member shares one budget);
    fall back to the address for visitors."""
    return f"user:{current_user.id}" if current_user.is_authenticated else get_remote_address()


posting_limit = limiter.shared_limit(
    lambda: current_app.config["POST_RATE_LIMIT"],
    scope="forum-posting",
    key_func=_posting_key,
    methods=["POST"],
)


def optional_url(endpoint: str, **values: Any) -> str | None:
    """``url_for`` that answers None for endpoints another feature has not built yet."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


@bp.context_processor
def _forum_helpers() -> dict:
    return {"can": can, "actor": _actor(), "optional_url": optional_url}


@bp.url_value_preprocessor
def _remember_generation(endpoint: str | None, values: dict | None) -> None:
    """Read the page-cache generation before anything queries the database (this
    runs before every ``before_request`` and before the user is loaded), so cached
    fragments are keyed by a generation no older than the data they show."""
    fragments.remember_generation()


def _display_form(form_class: type) -> Any:
    """A form for display on a read page. Visitors cannot submit these forms, so theirs
    carry no CSRF token: building one would start a session for every reader and make
    the page uncacheable."""
    if current_user.is_authenticated:
        return form_class()
    return form_class(meta={"csrf": False})


def _page_arg() -> int:
    return params.page_number(request.args.get("page"))


def _id_arg(name: str) -> int | None:
    """An id that only pre-fills a form (``?quote=``, ``?category=``): a malformed one
    is ignored, as an unknown one is."""
    try:
        return params.parse_id(request.args.get(name), name=name)
    except Invalid:
        return None


def _cfg(name: str) -> int:
    return int(current_app.config[name])


def _post_url(post: Post, **values: Any) -> str:
    topic = post.topic
    page = services.post_page(_actor(), post, _cfg("POSTS_PER_PAGE"))
    return url_for(
        "forums.topic",
        topic_id=topic.id,
        slug=topic.slug,
        page=page if page > 1 else None,
        _anchor=f"post-{post.number}",
        **values,
    )


def _back_to(post: Post):
    return redirect(_post_url(post))


# --- topic lists -------------------------------------------------------------------


def _topic_list(page, heading: str, endpoint: str, **extra: Any):
    return render_template(
        "forums/latest.html",
        page=page,
        rows=fragments.topic_rows(_actor(), page.items),
        heading=heading,
        endpoint=endpoint,
        **extra,
    )


def _latest_rows(actor: Any, page_number: int, per_page: int) -> tuple[list, int, int]:
    """The latest list as rendered rows, its page number and total: the same for
    every viewer of one visibility class until the next write."""
    page = services.latest_topics(actor, page_number, per_page)
    return fragments.topic_rows(actor, page.items), page.page, page.total


@bp.get("/")
@cache_page
def latest():
    actor = _actor()
    page_number, per_page = max(_page_arg(), 1), _cfg("TOPICS_PER_PAGE")
    # The list query's inputs are the visible categories and staff-ness: key by them.
    visible = frozenset(services.visible_category_ids(actor))
    rows, page_number, total = fragments.cached(
        ("latest", page_number, per_page, visible, is_staff(actor)),
        lambda: _latest_rows(actor, page_number, per_page),
    )
    page = reading.Page(
        rows, page_number, per_page, total, extra={"read_state": reading.topic_read_state(actor, rows)}
    )
    return render_template(
        "forums/latest.html", page=page, rows=rows, heading="Latest topics", endpoint="forums.latest"
    )


@bp.get("/new")
@login_required
def new_topics():
    page = services.new_topics(_actor(), _page_arg(), _cfg("TOPICS_PER_PAGE"))
    return _topic_list(page, "New topics", "forums.new_topics")


@bp.get("/unread")
@login_required
def unread_topics():
    page = services.unread_topics(_actor(), _page_arg(), _cfg("TOPICS_PER_PAGE"))
    return _topic_list(page, "Unread topics", "forums.unread_topics")


@bp.get("/categories")
@cache_page
def categories():
    tree = services.category_tree(_actor())
    ids = {c.id for top, children in tree for c in [top, *children]}
    counts = services.topic_counts(_actor(), ids)
    return render_template("forums/categories.html", tree=tree, counts=counts)


@bp.get("/c/<slug>")
@cache_page
def category(slug: str):
    actor = _actor()
    cat = services.get_category_by_slug(actor, slug)
    page = services.category_topics(actor, cat, _page_arg(), _cfg("TOPICS_PER_PAGE"))
    children = [child for child in cat.children if can(actor, "category.view", child)]
    return render_template(
        "forums/category.html",
        category=cat,
        children=children,
        page=page,
        rows=fragments.topic_rows(actor, page.items),
        counts=services.topic_counts(actor, {c.id for c in children}),
        watching=services.is_watching_category(actor, cat),
        form=_display_form(EmptyForm),
    )


@bp.post("/c/<slug>/watch")
@login_required
def watch_category(slug: str):
    actor = _actor()
    cat = services.get_category_by_slug(actor, slug)
    watching = services.toggle_category_watch(actor, cat)
    db.session.commit()
    flash("You are watching this category." if watching else "You stopped watching this category.", "info")
    # The welcome page follows categories too and wants its list back (local paths only).
    return redirect(safe_next_url(request.form.get("next"), url_for("forums.category", slug=cat.slug)))


# --- new topics --------------------------------------------------------------------


def _create_topic(form, category: Category | None, template: str, **context: Any):
    if form.validate_on_submit():
        try:
            if category is None:
                category = services.get_category(_actor(), form.category.data)
            topic = services.create_topic(_actor(), category, form.title.data, form.body.data)
            services.mark_read(_actor(), topic, 1)
            db.session.commit()
        except DomainError as error:
            if isinstance(error, NotFound) and category is None:
                db.session.rollback()
                form.category.errors = ["Choose a category you can post in."]
            else:
                form_error(form, error)
        else:
            return redirect(url_for("forums.topic", topic_id=topic.id, slug=topic.slug))
    status = form_status()
    return render_template(template, form=form, category=category, **context), status


@bp.route("/c/<slug>/new", methods=["GET", "POST"])
@login_required
@posting_limit
def new_topic(slug: str):
    actor = _actor()
    cat = services.get_category_by_slug(actor, slug)
    require(actor, "topic.create", cat)
    return _create_topic(TopicForm(), cat, "forums/new_topic.html")


@bp.route("/new-topic", methods=["GET", "POST"])
@login_required
@posting_limit
def new_topic_any():
    actor = _actor()
    form = NewTopicAnyForm()
    choices = [
        SelectChoice(c.id, c.full_name)
        for c in services.visible_categories(actor)
        if can(actor, "topic.create", c)
    ]
    form.category.choices = choices
    if request.method == "GET" and _id_arg("category"):
        form.category.data = _id_arg("category")
    return _create_topic(form, None, "forums/new_topic.html", choose_category=True)


# --- topic page --------------------------------------------------------------------


def _reply_form_for(topic: Topic) -> ReplyForm:
    """The reply form, pre-filled from ``?quote=`` or ``?reply_to=`` when given."""
    form = _display_form(ReplyForm)
    actor = _actor()
    quote_id = _id_arg("quote")
    reply_id = _id_arg("reply_to") or quote_id
    if reply_id and request.method == "GET":
        try:
            target = services.get_reply_target(actor, topic, reply_id)
        except DomainError:
            target = None
        if target is not None:
            form.reply_to.data = str(target.id)
            if quote_id and target.deleted_at is None:
                form.body.data = services.quote_for_reply(target)
    return form


def _post_urls(topic: Topic, page_number: int) -> dict[str, fragments.UrlPattern | None]:
    """Every per-post URL of the topic page, each built once (``url_for`` per post
    and action was a tenth of the page's time)."""
    page = page_number if page_number > 1 else None
    topic_values = {"topic_id": topic.id, "slug": topic.slug, "page": page}
    pattern = fragments.UrlPattern
    return {
        "restore": pattern("forums.restore_post", "post_id"),
        "reply": pattern("forums.topic", "reply_to", **topic_values, _anchor="reply"),
        "quote": pattern("forums.topic", "quote", **topic_values, _anchor="reply"),
        "like": pattern("forums.like_post", "post_id"),
        "edit": pattern("forums.edit_post", "post_id"),
        "delete": pattern("forums.delete_post", "post_id"),
        "history": pattern("forums.post_history", "post_id"),
        "flag": pattern.optional("moderation.flag_post", "post_id"),
        "hide": pattern.optional("moderation.hide_post", "post_id"),
        "unhide": pattern.optional("moderation.unhide_post", "post_id"),
    }


def _render_topic(topic: Topic, page_number: int, form: ReplyForm, status: int = 200):
    actor = _actor()
    # Authors and replied-to posts are loaded by fragments.post_heads, and only for
    # posts whose header is not cached.
    page = services.topic_posts(actor, topic, page_number, _cfg("POSTS_PER_PAGE"), eager=False)
    reply_target = None
    try:
        candidate_id = params.parse_id(form.reply_to.data, name="reply_to")
    except Invalid:
        candidate_id = None
    if candidate_id:
        candidate = db.session.get(Post, candidate_id)
        # Only a post of this very topic: a forged id must not reveal another topic's post.
        if candidate is not None and candidate.topic_id == topic.id:
            reply_target = candidate
    action_form = _display_form(EmptyForm)
    html = render_template(
        "forums/topic.html",
        topic=topic,
        page=page,
        form=form,
        action_form=action_form,
        # Built once per page rather than per post: the hidden CSRF field, the action
        # URLs, and the cached header/body of each post.
        csrf_field=action_form.hidden_tag(),
        post_urls=_post_urls(topic, page.page),
        post_heads=fragments.post_heads(actor, page.items),
        reply_target=reply_target,
        can_reply=topic.deleted_at is None and can(actor, "topic.reply", topic),
        watching=services.is_watching_topic(actor, topic),
    )
    # Mark read after rendering: committing first would expire the loaded posts.
    if page.items and request.method == "GET":
        services.mark_read(actor, topic, max(post.number for post in page.items))
        db.session.commit()
    return html, status


@bp.get("/t/<int:topic_id>")
@bp.get("/t/<int:topic_id>-<slug>")
@cache_page
def topic(topic_id: int, slug: str | None = None):
    t = services.get_topic(_actor(), topic_id)
    if slug != t.slug:
        args = {k: v for k, v in request.args.items() if k in ("page", "quote", "reply_to")}
        return redirect(url_for("forums.topic", topic_id=t.id, slug=t.slug, **args), 301)
    return _render_topic(t, _page_arg(), _reply_form_for(t))


@bp.post("/t/<int:topic_id>/reply")
@login_required
@posting_limit
def reply(topic_id: int):
    actor = _actor()
    t = services.get_topic(actor, topic_id)
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            try:
                target_id = params.parse_id((form.reply_to.data or "").strip(), name="reply_to")
            except Invalid:
                raise Invalid("You can only reply to a post in this topic.", field="body") from None
            target = services.get_reply_target(actor, t, target_id) if target_id is not None else None
            post = services.create_reply(actor, t, form.body.data, reply_to=target)
            services.mark_read(actor, t, post.number)
            db.session.commit()
        except DomainError as error:
            if isinstance(error, NotFound):  # only the reply target can be missing here
                error = Invalid("The post you replied to is not in this topic.", field="body")
            form_error(form, error)
        else:
            return _back_to(post)
    return _render_topic(t, 10**6, form, 400)


@bp.post("/t/<int:topic_id>/watch")
@login_required
def watch_topic(topic_id: int):
    actor = _actor()
    t = services.get_topic(actor, topic_id)
    watching = services.toggle_topic_watch(actor, t)
    db.session.commit()
    flash("You are watching this topic." if watching else "You stopped watching this topic.", "info")
    return redirect(url_for("forums.topic", topic_id=t.id, slug=t.slug))


@bp.get("/t/<int:topic_id>/unread")
def jump_unread(topic_id: int):
    actor = _actor()
    t = services.get_topic(actor, topic_id)
    post = services.first_unread_post(actor, t)
    if post is None:
        return redirect(url_for("forums.topic", topic_id=t.id, slug=t.slug))
    return _back_to(post)


# --- posts -------------------------------------------------------------------------


@bp.get("/p/<int:post_id>")
def post_link(post_id: int):
    return _back_to(services.get_post(_actor(), post_id))


@bp.route("/p/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit_post(post_id: int):
    actor = _actor()
    post = services.get_post(actor, post_id)
    require(actor, "post.view", post, hide=True)
    require(actor, "post.edit", post)
    form = EditPostForm()
    if request.method == "GET":
        form.body.data = post.body
        form.title.data = post.topic.title if post.number == 1 else None
    if form.validate_on_submit():
        try:
            title = form.title.data if post.number == 1 else None
            services.edit_post(actor, post, form.body.data, title=title)
            db.session.commit()
        except DomainError as error:
            form_error(form, error)
        else:
            return _back_to(post)
    status = form_status()
    return render_template("forums/edit_post.html", form=form, post=post), status


@bp.get("/p/<int:post_id>/history")
def post_history(post_id: int):
    actor = _actor()
    post = services.get_post(actor, post_id)
    revisions = services.post_revisions(actor, post)
    entries = [
        {
            "revision": revision,
            "body_diff": word_diff(revision.old_body, revision.new_body),
            "title_diff": word_diff(revision.old_title or "", revision.new_title or "")
            if revision.new_title is not None
            else None,
        }
        for revision in reversed(revisions)
    ]
    return render_template("forums/history.html", post=post, entries=entries)


def _post_action(post_id: int, action) -> Any:
    actor = _actor()
    post = services.get_post(actor, post_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        raise Invalid("The form expired; please try again.")
    try:
        result = action(actor, post)
        db.session.commit()
    except DomainError:
        db.session.rollback()
        raise
    return post, result


@bp.post("/p/<int:post_id>/delete")
@login_required
def delete_post(post_id: int):
    post, _ = _post_action(post_id, services.delete_post)
    flash("Post deleted." if post.number > 1 else "Topic deleted.", "info")
    return _back_to(post)


@bp.post("/p/<int:post_id>/restore")
@login_required
def restore_post(post_id: int):
    post, _ = _post_action(post_id, services.restore_post)
    flash("Post restored.", "info")
    return _back_to(post)


@bp.post("/p/<int:post_id>/like")
@login_required
def like_post(post_id: int):
    post, liked = _post_action(post_id, services.toggle_like)
    if request.accept_mimetypes.best == "application/json":
        return jsonify(liked=liked, like_count=post.like_count)
    return _back_to(post)


# Admin pages and the editor's JSON endpoints live in their own modules on the same
# blueprint.
from app.forums import admin_views, editor_views  # noqa: E402, F401
