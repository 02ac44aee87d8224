"""Queries per request, measured by fetching the list pages in-process: a statement repeated once
per row of the page is an N+1, whatever the traffic; the same samples give a latency figure on
tiers without Prometheus.

The pages are fetched through Django's whole stack (middleware included) as an anonymous
visitor, with every statement on every database alias recorded.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connections
from django.test import Client

from app.platform.doctor.examination import Examination
from app.platform.doctor.prometheus import WINDOW
from app.platform.doctor.report import Finding, Status, shorten

QUERIES = "queries per request"
PER_ROUTE = (
    f"sum by (route) (rate(milestones_db_queries_per_request_sum[{WINDOW}]))"
    f" / sum by (route) (rate(milestones_db_queries_per_request_count[{WINDOW}]))"
)


@dataclass
class PageSample:
    path: str
    status: int
    seconds: list[float] = field(default_factory=list)
    #: The statements of the last fetch, in order.
    statements: list[str] = field(default_factory=list)

    def most_repeated(self) -> tuple[str, int]:
        if not self.statements:
            return "", 0
        return Counter(normalized(s) for s in self.statements).most_common(1)[0]


def sample(paths: list[str], times: int) -> list[PageSample]:
    client = Client(HTTP_HOST=_host(), raise_request_exception=False)
    samples = []
    for path in paths:
        page = PageSample(path, 0)
        for _ in range(times):
            with recording() as statements:
                started = time.perf_counter()
                response = client.get(path, secure=bool(settings.SECURE_SSL_REDIRECT))
                page.seconds.append(time.perf_counter() - started)
            page.status = response.status_code
            # The costliest fetch: where the tier caches the page, only a miss shows its queries.
            if len(statements) >= len(page.statements):
                page.statements = statements
            if page.status >= 500:
                break  # a page that fails (its database down, say) is reported once, not waited on again
        samples.append(page)
    return samples


def _host() -> str:
    named = [h.lstrip(".") for h in settings.ALLOWED_HOSTS if h not in ("*", "")]
    return named[0] if named else "localhost"


@contextmanager
def recording() -> Iterator[list[str]]:
    statements: list[str] = []

    def record(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append(sql)
        return execute(sql, params, many, context)

    with ExitStack() as wrappers:
        for connection in connections.all(initialized_only=False):
            wrappers.enter_context(connection.execute_wrapper(record))
        yield statements


def normalized(sql: str) -> str:
    """The statement with its values taken out, so one query per row counts as one statement."""
    sql = re.sub(r"'(?:[^']|'')*'", "?", sql)
    sql = re.sub(r"\b\d+(\.\d+)?\b", "?", sql)
    sql = re.sub(r"%s|\$\d+", "?", sql)
    return re.sub(r"\(\s*\?(\s*,\s*\?)*\s*\)", "(…)", sql)


def queries_per_request(exam: Examination) -> list[Finding]:
    """Each sampled page's statements: one repeated ``N_PLUS_ONE_REPEATS`` times or more is an N+1."""
    findings = []
    for page in exam.pages:
        statement, repeats = page.most_repeated()
        count = len(page.statements)
        if page.status >= 400:
            findings.append(Finding(QUERIES, Status.SKIPPED, f"{page.path} answered {page.status}"))
        elif repeats >= exam["N_PLUS_ONE_REPEATS"]:
            findings.append(
                Finding(
                    QUERIES,
                    Status.PROBLEM,
                    f"{page.path} runs {count} queries, one statement {repeats} times",
                    [f"repeated: {shorten(statement)}"],
                    "n-plus-one",
                )
            )
        elif count >= exam["QUERIES_PER_REQUEST"]:
            findings.append(Finding(QUERIES, Status.WATCH, f"{page.path} runs {count} queries", [], "n-plus-one"))
        else:
            findings.append(Finding(QUERIES, Status.OK, f"{page.path}: {count} quer{'y' if count == 1 else 'ies'}"))
    if exam["PROMETHEUS_URL"]:
        findings.extend(_per_route(exam))
    return findings


def _per_route(exam: Examination) -> list[Finding]:
    """Real traffic's queries per request by route (every instance): the sampled pages are only
    the anonymous list pages."""
    from app.platform.doctor.prometheus import PrometheusError, query

    try:
        series = query(exam["PROMETHEUS_URL"], PER_ROUTE)
    except PrometheusError as exc:
        return [Finding(QUERIES, Status.SKIPPED, f"by route: {exc}")]
    heavy = [(labels.get("route", "?"), count) for labels, count in series if count >= exam["QUERIES_PER_REQUEST"]]
    if not heavy:
        return [Finding(QUERIES, Status.OK, f"no route averaged {exam['QUERIES_PER_REQUEST']}+ queries over {WINDOW}")]
    evidence = [f"{route}: {count:.1f} queries per request" for route, count in sorted(heavy, key=lambda r: -r[1])]
    summary = f"{len(heavy)} routes average {exam['QUERIES_PER_REQUEST']}+ queries"
    return [Finding(QUERIES, Status.WATCH, summary, evidence, "n-plus-one")]


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
