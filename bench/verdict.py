"""Whether a tier holds a load, strains under it or breaks, and which figure says so.

A load is judged by what its users feel (latency, failed requests) and by the work it leaves
behind (jobs waiting in a queue). Each figure has two bounds: within the first it *holds*, past
the second it *breaks*, between them it *strains*. The verdict is the worst of the figures', and
its reason names the figures that set it, with their values ("p95 1.9 s", "errors 7%",
"queue age 40 s"), so the edge of what a tier holds says why it is there.
"""

from __future__ import annotations

from dataclasses import dataclass

from config.settings.base import DOCTOR

HOLDS, STRAINS, BREAKS = "holds", "strains", "breaks"
VERDICTS = (HOLDS, STRAINS, BREAKS)

#: p95 of every request, in seconds. Holds within the scaling doctor's latency problem line
#: (``DOCTOR["P95_SECONDS"]``, 0.5 s: past it the doctor names slow requests as a problem).
P95_HOLDS_SECONDS: float = DOCTOR["P95_SECONDS"]
#: Breaks past 2 s: four times the doctor's line, where most visitors are waiting seconds for
#: every page, and where a closed loop of users (Locust's, and real ones) is paced by the server,
#: no longer by their own reading.
P95_BREAKS_SECONDS = 2.0
#: Failed requests (5xx, refused, timed out, a form that did not go through). Holds within 1%,
#: ``make loadtest``'s default threshold; breaks past 5%, one request in twenty.
ERRORS_HOLD = 0.01
ERRORS_BREAK = 0.05
#: The oldest job waiting in a queue users wait on (an order's email, an invoice, a password
#: reset; the ``bulk`` queue's background work may wait and is not judged). Holds within 5 s,
#: tier2's alert age for the ``critical`` queue; breaks past the doctor's backing-up line
#: (``DOCTOR["QUEUE_AGE_SECONDS"]``, 60 s), where the workers are not keeping up at all.
QUEUE_AGE_HOLDS_SECONDS = 5.0
QUEUE_AGE_BREAKS_SECONDS: float = DOCTOR["QUEUE_AGE_SECONDS"]
#: Queues whose backlog is not judged: background work that is allowed to wait (tier2 alerts on
#: ``bulk`` only after 15 minutes).
UNJUDGED_QUEUES = frozenset({"bulk"})


@dataclass(frozen=True)
class Judged:
    verdict: str
    #: The figures that set the verdict (empty when it holds).
    reason: str


def judge(*, requests: int, p95_seconds: float, error_rate: float, queue_age_seconds: float | None) -> Judged:
    """The verdict on one load and its reason (``queue_age_seconds`` is ``None`` without queues)."""
    if requests == 0:
        return Judged(BREAKS, "no request answered")
    level = {HOLDS: 0, STRAINS: 1, BREAKS: 2}
    figures: list[tuple[str, str]] = [
        (_band(p95_seconds, P95_HOLDS_SECONDS, P95_BREAKS_SECONDS), f"p95 {_duration(p95_seconds)}"),
        (_band(error_rate, ERRORS_HOLD, ERRORS_BREAK), f"errors {_share(error_rate)}"),
    ]
    if queue_age_seconds is not None:
        figures.append(
            (
                _band(queue_age_seconds, QUEUE_AGE_HOLDS_SECONDS, QUEUE_AGE_BREAKS_SECONDS),
                f"queue age {queue_age_seconds:.0f} s",
            )
        )
    worst = max((verdict for verdict, _ in figures), key=level.__getitem__)
    if worst == HOLDS:
        return Judged(HOLDS, "")
    return Judged(worst, ", ".join(text for verdict, text in figures if verdict == worst))


def _band(value: float, holds: float, breaks: float) -> str:
    return HOLDS if value <= holds else STRAINS if value <= breaks else BREAKS


def _duration(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds >= 1 else f"{seconds * 1000:.0f} ms"


def _share(rate: float) -> str:
    return f"{rate:.0%}" if rate >= 0.1 else f"{rate:.1%}"
