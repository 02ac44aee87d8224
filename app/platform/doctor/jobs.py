"""The job queues (depth, oldest job's age) and the outbox (committed jobs not yet handed to
the broker), read the way ``/ops/queues`` reads them."""

from __future__ import annotations

from django.conf import settings

from app.platform.doctor.examination import Examination
from app.platform.doctor.report import Finding, Status
from app.platform.jobs import InlineBackend
from app.platform.seams import seam

QUEUES = "job queues"
OUTBOX = "outbox"


def job_queues(exam: Examination) -> list[Finding]:
    if isinstance(seam("JOBS_BACKEND"), InlineBackend):
        inline = "jobs run inside the request on this tier (tier1 moves them to workers)"
        return [Finding(QUEUES, Status.SKIPPED, inline)]
    from app.platform.jobs.queues import queue_depths

    findings = []
    for queue in queue_depths():
        limits = settings.QUEUE_ALERTS.get(queue.queue, {})
        depth_limit = limits.get("depth", exam["QUEUE_DEPTH"])
        age_limit = limits.get("age_seconds", exam["QUEUE_AGE_SECONDS"])
        summary = f"{queue.queue}: {queue.depth} waiting, oldest {queue.oldest_age_seconds:.1f} s"
        if queue.depth > depth_limit or queue.oldest_age_seconds > age_limit:
            evidence = [f"limits: {depth_limit:g} jobs or {age_limit:g} s; are its workers running?"]
            findings.append(Finding(QUEUES, Status.PROBLEM, summary, evidence, "queue-backing-up"))
        else:
            findings.append(Finding(QUEUES, Status.OK, summary))
    return findings


def outbox(exam: Examination) -> list[Finding]:
    if not settings.JOBS_OUTBOX:
        return [Finding(OUTBOX, Status.SKIPPED, "this tier has no transactional outbox (tier1 adds it)")]
    from app.platform.jobs.outbox import backlog

    found = backlog()
    summary = (
        f"{found.unsent} committed jobs not yet sent (oldest {found.oldest_unsent_age_seconds:.1f} s), "
        f"{found.overdue} overdue"
    )
    if found.oldest_unsent_age_seconds > exam["OUTBOX_AGE_SECONDS"] or found.overdue:
        return [Finding(OUTBOX, Status.PROBLEM, summary, [], "outbox-backlog")]
    return [Finding(OUTBOX, Status.OK, summary)]
