"""Background jobs behind one seam.

Domain code declares a job with ``@job(queue=...)`` and calls ``enqueue(job, **ids)``.
The backend named by ``settings.JOBS_BACKEND`` decides what that means, and domain code
never learns which: tier0's ``InlineBackend`` runs the job right after the surrounding
transaction commits, inside the request; from tier1 ``app.platform.jobs.outbox.OutboxBackend``
writes the job down in that same transaction and hands it to Celery workers once it has
committed, so a rolled-back checkout sends nothing and a committed one is never lost.

Delivery is at least once, so every tracked job is recorded in ``JobRun`` under a fresh
``delivery_id``: running the same delivery twice does the work once. A job runs outside
any transaction (its own ``atomic`` blocks are its business), so a slow receiver at the
other end of a webhook or an SMTP connection never holds a lock anyone else waits on.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from app.platform import tenancy
from app.platform.db.routing import primary
from app.platform.seams import seam

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """A function that may run outside the request, and where it should run."""

    func: Callable[..., Any]
    name: str
    queue: str
    max_retries: int
    #: Untracked jobs make themselves idempotent (e.g. an event id with a unique constraint)
    #: and skip the ``JobRun`` bookkeeping, which would cost more than the job. They are
    #: best effort: a broker that loses its messages loses them.
    tracked: bool
    #: Seconds one attempt may take. Workers stop an attempt past it, and until then no
    #: second copy of the same delivery starts (the attempt's lease).
    timeout: float

    def __call__(self, **kwargs: Any) -> Any:
        return self.func(**kwargs)


#: A lease outlasts the job's ``timeout`` by this much: longer than workers let an attempt run
#: past its timeout before killing it (``celery_jobs.HARD_LIMIT_GRACE``), so no attempt outlives it.
LEASE_MARGIN_SECONDS = 15

#: Every declared job by name, so a worker can find the function a message names.
registry: dict[str, Job] = {}


def job(
    *, queue: str = "default", max_retries: int = 5, tracked: bool = True, timeout: float = 60
) -> Callable[[Callable[..., Any]], Job]:
    """Declare a background job. Arguments must be JSON values (ids, not model instances)."""

    from django.conf import settings

    if queue not in settings.JOB_QUEUES:
        raise ImproperlyConfigured(f"@job(queue={queue!r}): the queues are {', '.join(settings.JOB_QUEUES)}")

    def decorate(func: Callable[..., Any]) -> Job:
        declared = Job(
            func=func,
            name=f"{func.__module__}.{func.__name__}",
            queue=queue,
            max_retries=max_retries,
            tracked=tracked,
            timeout=timeout,
        )
        registry[declared.name] = declared
        return declared

    return decorate


@dataclass(frozen=True)
class Call:
    """One delivery of a job: the job, its arguments, and the id that makes a repeat a no-op."""

    job: Job
    kwargs: dict[str, Any]
    delivery_id: str
    #: The team whose data the job works on (``app.platform.tenancy``), ``None`` for no team.
    team_id: int | None = None


class JobsBackend(Protocol):
    def enqueue(self, calls: list[Call], using: str | None) -> None:
        """Arrange for the calls to run once the current transaction on ``using`` commits."""

    def resend(self, runs: Iterable[Any]) -> None:
        """Run these failed deliveries again, under their own delivery ids."""


def enqueue(job: Job, *, using: str | None = None, team_id: int | None = None, **kwargs: Any) -> str:
    """Run ``job(**kwargs)`` once the current transaction on ``using`` commits, for ``team_id``
    when the work belongs to a team's data. Returns the delivery id."""
    return enqueue_all([(job, kwargs)], using=using, team_id=team_id)[0]


def enqueue_all(
    calls: Iterable[tuple[Job, dict[str, Any]]], *, using: str | None = None, team_id: int | None = None
) -> list[str]:
    """Several side effects of one change, handed over together: from tier1 that is one write
    to the outbox instead of one per job. Returns their delivery ids, in order."""
    prepared = [Call(job, kwargs, uuid.uuid4().hex, team_id) for job, kwargs in calls]
    for call in prepared:
        json.dumps(call.kwargs)  # fail here, at every tier, on arguments a broker could not carry
    backend: JobsBackend = seam("JOBS_BACKEND")
    backend.enqueue(prepared, using)
    return [call.delivery_id for call in prepared]


def execute(
    name: str,
    kwargs: dict[str, Any],
    delivery_id: str,
    *,
    team_id: int | None = None,
    final_attempt: bool = True,
    retry_in: float = 0,
) -> None:
    """Run one delivery of a job, its reads on the primary database.

    A job usually reads what the request that enqueued it has just written, which a
    replica may not have replayed yet (tier2's router; elsewhere this changes nothing).
    ``retry_in``: when this attempt is not the last, the seconds until the retry falls due.
    ``team_id``: the team it works for, set as the tenancy context while it runs.
    """
    if team_id is not None:
        logger.info("job %s delivery %s for team %s", name, delivery_id, team_id)
    with primary(), tenancy.team(team_id):
        _execute(name, kwargs, delivery_id, final_attempt=final_attempt, retry_in=retry_in)


def _execute(name: str, kwargs: dict[str, Any], delivery_id: str, *, final_attempt: bool, retry_in: float) -> None:
    """Claim the delivery, run it with no transaction open, record how it ended.

    Raises the job's exception after recording it, so a caller that retries can retry.
    """
    declared = registry[name]
    if not declared.tracked:
        declared.func(**kwargs)
        return
    token = _claim(declared, kwargs, delivery_id)
    if token is None:
        return
    try:
        declared.func(**kwargs)
    except Exception as exc:
        retrying = not final_attempt
        _finish(
            delivery_id,
            token,
            status="retrying" if retrying else "failed",
            error=f"{type(exc).__name__}: {exc}"[:2000],
            due=timezone.now() + dt.timedelta(seconds=retry_in) if retrying else None,
        )
        raise
    _finish(delivery_id, token, status="succeeded")


def _claim(declared: Job, kwargs: dict[str, Any], delivery_id: str) -> str | None:
    """Take the delivery's lease in one short committed write; ``None`` if it is done or running elsewhere.

    A lease instead of a row lock held for the whole job: a lock needs an open
    transaction, and a transaction open across a slow network call holds a pooled server
    connection (tier2) or SQLite's write lock (tier0) for as long as the peer likes. An
    attempt whose process died leaves a lease that expires; on the same host a dead
    holder's lease is broken at once, so a crashed worker's redelivered job runs straight away.
    """
    from app.platform.models import JobRun

    now = timezone.now()
    token = uuid.uuid4().hex
    lease = {
        "status": JobRun.Status.RUNNING,
        "lease_token": token,
        "lease_until": now + dt.timedelta(seconds=declared.timeout + LEASE_MARGIN_SECONDS),
        "lease_holder": _holder(),
        "updated_at": now,
    }
    claimable = ~Q(status__in=[JobRun.Status.RUNNING, JobRun.Status.SUCCEEDED]) | Q(
        status=JobRun.Status.RUNNING, lease_until__lt=now
    )
    runs = JobRun.objects.filter(delivery_id=delivery_id)
    if runs.filter(claimable).update(attempts=F("attempts") + 1, **lease):
        return token
    run, created = runs.get_or_create(
        delivery_id=delivery_id,
        defaults={
            "name": declared.name,
            "queue": declared.queue,
            "arguments": kwargs,
            "attempts": 1,
            "team_id": tenancy.current_team_id(),
            **lease,
        },
    )
    if created:
        return token
    if run.status == JobRun.Status.RUNNING and _holder_is_gone(run.lease_holder):
        broken = runs.filter(lease_token=run.lease_token).update(attempts=F("attempts") + 1, **lease)
        if broken:
            logger.warning("job %s delivery %s: its last attempt died; running it again", run.name, delivery_id)
            return token
    logger.info("job %s delivery %s is %s; skipping this copy", run.name, delivery_id, run.status)
    return None


def _finish(delivery_id: str, token: str, *, status: str, error: str = "", due: dt.datetime | None = None) -> None:
    """Record how the attempt ended, unless its lease was taken over in the meantime."""
    from app.platform.models import JobRun

    ended = {"status": status, "last_error": error, "lease_until": None, "updated_at": timezone.now()}
    if due is not None:
        ended["sent_at"] = due  # the retry's message falls due then; the sweeper counts from there
    if not JobRun.objects.filter(delivery_id=delivery_id, lease_token=token).update(**ended):
        logger.warning("delivery %s ended (%s) after another attempt took it over", delivery_id, status)


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _holder_is_gone(holder: str) -> bool:
    """Whether ``host:pid`` names a process on this host that no longer exists."""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def resubmit(run_ids: list[int]) -> int:
    """Send failed deliveries again, under their original delivery ids; returns how many."""
    from app.platform.models import JobRun

    runs = list(JobRun.objects.filter(pk__in=run_ids, status=JobRun.Status.FAILED, name__in=list(registry)))
    backend: JobsBackend = seam("JOBS_BACKEND")
    backend.resend(runs)
    return len(runs)


class InlineBackend:
    """tier0: run the job in the calling process, right after commit.

    After commit, so SQLite's write lock is released before a job talks to anything
    outside. A failing job must not turn the user's successful checkout into an error
    page, so the failure is logged and left in ``JobRun`` as ``failed`` for an operator.
    """

    def enqueue(self, calls: list[Call], using: str | None) -> None:
        for call in calls:
            run = partial(self.run, call.job.name, call.kwargs, call.delivery_id, call.team_id)
            transaction.on_commit(run, using=using)

    def resend(self, runs: Iterable[Any]) -> None:
        for run in runs:
            self.run(run.name, run.arguments, run.delivery_id, run.team_id)

    @staticmethod
    def run(name: str, kwargs: dict[str, Any], delivery_id: str, team_id: int | None = None) -> None:
        try:
            execute(name, kwargs, delivery_id, team_id=team_id)
        except Exception:
            logger.exception("job %s delivery %s failed", name, delivery_id)
