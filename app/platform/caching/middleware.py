"""``SharePageMiddleware``: anonymous visitors' shared pages answered before the rest of the stack.

Placed after the middleware every response needs (trusted proxies, probes, the security headers
and HTTPS redirect, conditional GET, static files) and before the rest (sessions, CSRF,
authentication, messages, the view): a page the application cache holds, fresh, for a visitor
with no session is answered from one cache lookup. On its way out it stores, with a page just
shared, the headers the rest of the stack gave it, so the early answer is the same response.
What ``APP_CACHE`` names decides: ``NoCache`` answers nothing early and stores nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from app.platform.seams import seam


class SharePageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        cache = seam("APP_CACHE")
        early = cache.early_page(request)
        if early is not None:
            return early
        response = self.get_response(request)
        cache.complete_page(request, response)
        return response
