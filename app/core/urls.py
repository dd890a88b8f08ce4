"""URL paths built outside a request.

Search indexing runs after commit and in the CLI, notifications are built in background
jobs: neither has a request context for ``url_for``, but both need the same paths the
pages use.
"""

from __future__ import annotations

from typing import Any

from flask import current_app


def path_for(endpoint: str, **values: Any) -> str:
    """A URL path for ``endpoint`` without a request context."""
    adapter = current_app.url_map.bind(
        "localhost", script_name=current_app.config.get("APPLICATION_ROOT") or "/"
    )
    return adapter.build(endpoint, values)
