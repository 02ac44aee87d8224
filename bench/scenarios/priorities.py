"""priorities: how long a password-reset email takes while 10,000 bulk jobs wait, tier1 vs tier2.

tier1 has one worker for every queue; tier2 gives ``critical`` a worker of its own. The
reset is requested over HTTP like a user would, and timed until the email is in the SMTP
sink. The queues' depths when it arrived show the flood was still there. Then the bulk queue's
depth is read again ``DRAIN_SECONDS`` later: the page-view jobs a second its worker's processes
run (the figure ``make capacity`` sizes workers by).
"""

from __future__ import annotations

import re
import time

import httpx

from app.runner.stack import Stack
from app.runner.units.smtp import SmtpSink
from bench.report import Report
from bench.stacks import bench_stack, probe

TIERS = ("tier1", "tier2")
#: How long the bulk queue's draining is watched after the email arrived.
DRAIN_SECONDS = 5.0


def run(*, seconds: float, quick: bool = False) -> Report:
    jobs = 1_000 if quick else 10_000
    waits: dict[str, float] = {}
    left: dict[str, int] = {}
    drained: dict[str, float] = {}
    processes: dict[str, int] = {}
    drain_seconds = 2.0 if quick else DRAIN_SECONDS
    for tier in TIERS:
        with bench_stack(tier, f"priorities-{tier}") as stack:
            probe(stack, "flood", str(jobs))
            started = time.monotonic()
            _request_reset(stack.url(), "demo@example.com")
            waits[tier] = _wait_for_mail(stack, "Password reset", timeout=120) - started
            left[tier] = _bulk_depth(stack)
            drained[tier] = _drain_rate(stack, left[tier], seconds=drain_seconds)
            processes[tier] = sum(w["concurrency"] for w in stack.ctx.settings.WORKERS if "bulk" in w["queues"])
    return Report(
        scenario="priorities",
        columns=["tier", "bulk jobs queued", "reset email after (s)", "bulk jobs still queued then"],
        rows=[[tier, jobs, waits[tier], left[tier]] for tier in TIERS],
        ratio=waits["tier1"] / waits["tier2"],
        ratio_label="seconds until the reset email: tier1 / tier2",
        notes=[
            "the reset is POSTed to /accounts/password-reset/ right after the flood is queued; target: tier2 < 2 s",
            "then the bulk queue drained at "
            + ", ".join(f"{drained[t]:,.0f} jobs/s on {t} ({processes[t]} worker processes)" for t in TIERS)
            + f" over the next {drain_seconds:.0f} s",
        ],
        figures={
            "seconds": waits,
            "bulk_left": left,
            "jobs": jobs,
            "bulk_drained_per_second": drained,
            "bulk_worker_processes": processes,
        },
        chart=[(f"{tier} reset email", waits[tier]) for tier in TIERS],
        chart_unit="s",
    )


def _request_reset(base: str, email: str) -> None:
    with httpx.Client(base_url=base, timeout=30) as client:
        page = client.get("accounts/password-reset/")
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert found, f"no CSRF token on the password-reset page ({page.status_code})"
        token = found.group(1)
        answer = client.post("accounts/password-reset/", data={"csrfmiddlewaretoken": token, "email": email})
        if answer.status_code != 302:  # the form redirects to "check your email" when it is accepted
            raise RuntimeError(f"the password reset form answered {answer.status_code}")


def _wait_for_mail(stack: Stack, subject: str, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(subject in message for message in SmtpSink.messages(stack.ctx)):
            return time.monotonic()
        time.sleep(0.02)
    raise TimeoutError(f"no '{subject}' email within {timeout:.0f}s")


def _drain_rate(stack: Stack, depth: int, seconds: float) -> float:
    """Jobs a second leaving the bulk queue from ``depth`` over ``seconds`` (0 if it was empty)."""
    began = time.monotonic()
    time.sleep(seconds)
    return max(0, depth - _bulk_depth(stack)) / (time.monotonic() - began)


def _bulk_depth(stack: Stack) -> int:
    import redis

    client = redis.Redis(port=stack.ctx.port("REDIS_PORT"))
    try:
        return client.llen("bulk")
    finally:
        client.close()
