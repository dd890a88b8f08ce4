"""Refuse request text that cannot be stored, before any view sees it.

One hook for every JSON and form endpoint rather than a check in each: a view that
forgot it would answer 500 the first time a client sent ``"\\ud800"`` (see
``app.core.textcheck``). The hook raises ``Invalid``, so the application's error
handler answers in the request's format: JSON for JSON clients, the error page
otherwise. The chat socket handler applies the same check to event data.
"""

from __future__ import annotations

from flask import Flask, request

from app.core.errors import Invalid
from app.core.textcheck import check_text

TOO_DEEP_MESSAGE = "The JSON is nested too deeply."


def check_request_text() -> None:
    """Refuse query strings, form fields and JSON bodies holding un-encodable text.

    Werkzeug decodes query strings and form bodies with replacement characters, so
    today only JSON can carry a lone surrogate; the others are checked anyway, since
    that decoding is a library default this code does not control. A JSON body nested
    deeper than Python's JSON decoder recurses raises ``RecursionError`` (not the
    ``ValueError`` that ``get_json(silent=True)`` absorbs), which is refused here too.
    """
    check_text(request.args.to_dict(flat=False))
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        check_text(request.form.to_dict(flat=False))
    if request.is_json:
        try:
            data = request.get_json(silent=True)
        except RecursionError:
            raise Invalid(TOO_DEEP_MESSAGE) from None
        check_text(data)


def init_app(app: Flask) -> None:
    app.before_request(check_request_text)
