"""What a request that failed unexpectedly answers (``handler500``).

One kind of failure is not unexpected: a server the request needs that does not answer
(``app.platform.outages``: the database, the sessions' Redis). The user gets a 503 with a
message and ``Retry-After``, not "something went wrong", wherever it was raised: in a view, or
in a middleware reading the session or the signed-in user. Under ``/api/`` both answers are the
API's JSON error body. Django has logged the exception and told error tracking (Sentry) before
this view runs.
"""

from __future__ import annotations

import sys

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views import defaults

from app.platform.outages import outage

API_PREFIX = "/api/"
API_SERVER_ERROR = "Something went wrong on our side; we have been told. Please try again in a moment."


def server_error(request: HttpRequest) -> HttpResponse:
    error = sys.exc_info()[1]
    api = request.path.startswith(API_PREFIX)
    down = outage(error) if error is not None else None
    if down is not None:
        if api:
            response: HttpResponse = JsonResponse({"detail": down.message, "errors": {}}, status=503)
        else:
            # No request context: the navigation would read the signed-in user and their teams
            # from the servers that are not answering.
            response = HttpResponse(render_to_string("unavailable.html", {"message": down.message}), status=503)
        response["Retry-After"] = str(down.retry_after)
        return response
    if api:
        return JsonResponse({"detail": API_SERVER_ERROR, "errors": {}}, status=500)
    return defaults.server_error(request)
