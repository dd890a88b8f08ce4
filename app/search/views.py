"""``/search`` (page) and ``/search.json``: the same service, two renderings."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template, request, url_for
from flask_login import current_user

from app.core.errors import DomainError
from app.core.params import page_number
from app.search import services

bp = Blueprint("search", __name__)
FILTER_ARGS = ("category", "tag", "organization", "author", "date_from", "date_to")


def _arguments() -> dict[str, Any]:
    args = request.args
    kinds = [k for k in args.getlist("kind") if k][:10]
    return {
        "query": (args.get("q") or "")[:10_000],
        "kinds": kinds,
        "filters": {name: args.get(name) for name in FILTER_ARGS if args.get(name)},
        "page": page_number(args.get("page"), maximum=services.MAX_PAGE),
        "order": args.get("order") or "relevance",
    }


def _page_url(page: int) -> str:
    values = request.args.to_dict(flat=False)
    values["page"] = [str(page)]
    return url_for("search.search_page", **values)


@bp.get("/search")
def search_page():
    arguments = _arguments()
    result, error = None, None
    try:
        result = services.search(current_user, **arguments)
    except DomainError as exc:
        error = exc.message
    return render_template(
        "search/results.html",
        result=result,
        error=error,
        args=arguments,
        kind_labels=services.kind_labels(),
        page_url=_page_url,
    ), (400 if error else 200)


@bp.get("/search.json")
def search_json():
    arguments = _arguments()
    try:
        result = services.search(current_user, **arguments)
    except DomainError as exc:
        return jsonify(error=exc.message, field=exc.field), exc.status_code
    return jsonify(
        query=result.query,
        total=result.total,
        page=result.page,
        per_page=result.per_page,
        pages=result.pages,
        hits=[
            {
                "kind": hit.kind,
                "title": hit.title,
                "url": hit.url,
                "snippet_html": hit.snippet,
                "created_at": hit.created_at.isoformat() if hit.created_at else None,
                "meta": hit.meta,
            }
            for hit in result.hits
        ],
        facets=result.facets,
    )
