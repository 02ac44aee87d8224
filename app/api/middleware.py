"""The API's edges, where Django's defaults would answer in HTML or not at all.

For paths under ``/api/``: ``HEAD`` is answered as ``GET`` without the body (HTTP says any
``GET`` resource answers ``HEAD``); a body sent as anything but ``application/json`` is
refused with 415 before it is parsed, rather than read as JSON anyway; and an unknown path
or method gets the API's JSON error body instead of the site's HTML 404 page.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse

PREFIX = "/api/"
#: Requests that carry a body to parse.
WITH_BODY = {"POST", "PUT", "PATCH"}


class ApiEdgeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(PREFIX):
            return self.get_response(request)
        if request.method in WITH_BODY and request.body and request.content_type != "application/json":
            return _error(415, f"Send the body as application/json, not {request.content_type or 'nothing'}.")
        head = request.method == "HEAD"
        if head:
            request.method = "GET"
        response = self.get_response(request)
        if response.status_code in (404, 405) and not response.get("Content-Type", "").startswith("application/json"):
            response = _not_here(response)
        if head:
            length = len(response.content) if not response.streaming else None
            response.content = b""
            if length is not None:
                response["Content-Length"] = str(length)
        return response


def _not_here(response: HttpResponse) -> HttpResponse:
    if response.status_code == 404:
        return _error(404, "There is no such API endpoint; see /api/v1/docs.")
    allowed = response.get("Allow", "")
    answer = _error(405, f"This endpoint does not answer that method; it answers {allowed}.")
    answer["Allow"] = allowed
    return answer


def _error(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail, "errors": {}}, status=status)
