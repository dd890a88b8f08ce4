"""Domain errors raised by services; views, sockets, the API and the CLI map them.

Services never build HTTP responses. They raise one of these and the boundary decides
how to show it: a form error, a 4xx page, a JSON error or a Socket.IO error event.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base class. ``message`` is safe to show to the user."""

    status_code = 400

    def __init__(self, message: str = "", field: str | None = None) -> None:
        super().__init__(message or self.__class__.__doc__ or "error")
        self.message = message or (self.__class__.__doc__ or "error").strip()
        self.field = field


class NotFound(DomainError):
    """Not found."""

    status_code = 404


class PermissionDenied(DomainError):
    """You are not allowed to do that."""

    status_code = 403


class Invalid(DomainError):
    """The input is not valid."""

    status_code = 400


class Conflict(DomainError):
    """That conflicts with the current state."""

    status_code = 409


class SignInRequired(DomainError):
    """Sign in to see this."""

    # A members-only space shown to a visitor: the boundary asks them to sign in
    # (and sends them back afterwards) instead of answering "Not found".
    status_code = 401
