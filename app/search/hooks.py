"""Search's listeners on the domain events: each queues the keys to re-index.

Listeners run inside the service's transaction and only add ``search_pending`` rows
(see :mod:`app.search.indexing`); the index itself is written after commit.
"""

from __future__ import annotations

from typing import Any

from app.plugins import hookimpl
from app.search.indexing import enqueue, enqueue_document, enqueue_removal, retry_pending_index_writes
from app.search.services import search


def _post_key(post: Any) -> str:
    # The opening post lives in the topic document; its state (hidden, deleted) is the
    # topic's state, which every reply's principals depend on: re-index the whole tree.
    return f"tree:{post.topic_id}" if post.number == 1 else f"post:{post.id}"


@hookimpl
def search_document_changed(document: dict) -> None:
    enqueue_document(document)


@hookimpl
def search_document_removed(kind: str, ident: Any) -> None:
    enqueue_removal(kind, ident)


@hookimpl
def topic_created(topic: Any, actor: Any) -> None:
    enqueue(f"topic:{topic.id}")


@hookimpl
def post_created(post: Any, actor: Any) -> None:
    enqueue(f"topic:{post.topic_id}" if post.number == 1 else f"post:{post.id}")


@hookimpl
def post_edited(post: Any, actor: Any, revision: Any) -> None:
    # An opening post's edit may change the title every reply document repeats.
    enqueue(_post_key(post))


@hookimpl
def post_deleted(post: Any, actor: Any) -> None:
    enqueue(_post_key(post))


@hookimpl
def post_restored(post: Any, actor: Any) -> None:
    enqueue(_post_key(post))


@hookimpl
def post_hidden(post: Any, actor: Any, reason: str) -> None:
    enqueue(_post_key(post))


@hookimpl
def post_unhidden(post: Any, actor: Any) -> None:
    enqueue(_post_key(post))


@hookimpl
def topic_moderated(topic: Any, actor: Any, action: str, reason: str) -> None:
    if action not in ("lock", "unlock", "pin", "unpin"):
        enqueue(f"tree:{topic.id}")  # move, hide, and anything new: state may have changed


@hookimpl
def question_asked(topic: Any, actor: Any, tags: list) -> None:
    enqueue(f"tree:{topic.id}")


@hookimpl
def search_similar(actor: Any, text: str, kinds: list[str], limit: int) -> list[str] | None:
    """Similar documents for a feature that must not import search (Q&A's "similar
    questions" on the ask form): an any-word match, best first."""
    result = search(actor, text, kinds=list(kinds), per_page=limit, match="any")
    return [hit.key for hit in result.hits] or None


@hookimpl
def user_registered(user: Any) -> None:
    enqueue(f"user:{user.id}")


@hookimpl
def user_confirmed(user: Any) -> None:
    enqueue(f"user:{user.id}")


@hookimpl
def user_suspended(user: Any, actor: Any, until: Any, reason: str) -> None:
    enqueue(f"user:{user.id}")


@hookimpl
def user_unsuspended(user: Any, actor: Any, reason: str) -> None:
    enqueue(f"user:{user.id}")


@hookimpl
def profile_updated(user: Any, actor: Any) -> None:
    enqueue(f"user:{user.id}")


@hookimpl
def organization_created(organization: Any, actor: Any) -> None:
    enqueue(f"org:{organization.id}")


@hookimpl
def organization_updated(organization: Any, actor: Any) -> None:
    # Member documents mention their organization's name.
    enqueue(f"org:{organization.id}", *(f"user:{member.id}" for member in organization.members))


@hookimpl
def category_updated(category: Any, actor: Any) -> None:
    enqueue(f"category:{category.id}")


@hookimpl
def periodic_jobs(app: Any) -> list[dict]:
    # Index writes that failed (or never ran: a process killed after its commit) are
    # retried by the worker, off the request path.
    return [
        {
            "name": "search.retry-index-writes",
            "func": retry_pending_index_writes,
            "every": max(float(app.config.get("SEARCH_RETRY_SECONDS", 30)), 1.0),
            "description": "Write queued search index changes a failure or a crash left behind",
        }
    ]
