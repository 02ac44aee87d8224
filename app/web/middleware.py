"""Turn a service's refusal into a page with its message and status, never a 500."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from app.platform.errors import DomainError

#: The page's title and heading by status; the message says the rest.
TITLES = {403: "Not allowed", 404: "Not found", 429: "Slow down", 503: "Unavailable"}


class DomainErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DomainError):
            context = {"message": exception.message, "title": TITLES.get(exception.status, "Sorry")}
            response = render(request, "error.html", context, status=exception.status)
            retry_after = getattr(exception, "retry_after", None)
            if retry_after is not None:
                response["Retry-After"] = str(retry_after)
            return response
        return None
