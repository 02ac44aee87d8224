"""Pages that belong to no single app: a trivial view the benchmarks use as the framework's floor."""

from django.http import HttpRequest, HttpResponse


def ping(request: HttpRequest) -> HttpResponse:
    """The cheapest response the full middleware stack can give: the ceiling a real page is measured against."""
    return HttpResponse("ok", content_type="text/plain")
