"""Errors that services raise for the caller to show, never to turn into a 500."""

from __future__ import annotations


class DomainError(Exception):
    """A request the product refuses, with the field it concerns and an HTTP status to report."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotAuthenticated(DomainError):
    """Credentials that do not check out."""

    status = 401


class NotFound(DomainError):
    status = 404


class PermissionDenied(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409


class Unprocessable(DomainError):
    """Well-formed, but not something the product can do (e.g. an idempotency key reused for another request)."""

    status = 422


class RateLimited(DomainError):
    """Too many requests of one kind from one client: try again in ``retry_after`` seconds."""

    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(DomainError):
    """Something the request needs is down, and the product will not go on without it."""

    status = 503

    def __init__(self, message: str, *, retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = retry_after
