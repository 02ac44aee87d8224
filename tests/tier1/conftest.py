"""Real Celery workers (and an SMTP sink) reading the test database, for tier1's delivery tests."""

from __future__ import annotations

import gzip
import os
import shutil
import signal
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from app.platform.jobs import outbox
from app.runner import processes
from app.runner.processes import free_port
from app.runner.stack import Stack
from app.runner.units.smtp import SmtpSink
from tests.conftest import stack_folder


@dataclass
class SentryIngest:
    """A stand-in for Sentry's ingest endpoint on 127.0.0.1: it keeps every envelope it is sent."""

    dsn: str = ""
    envelopes: list[str] = field(default_factory=list)

    def events_mentioning(self, text: str) -> list[str]:
        return [e for e in self.envelopes if '"type":"event"' in e.replace(" ", "") and text in e]


@pytest.fixture(scope="session")
def sentry_ingest():
    ingest = SentryIngest()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            encoding = self.headers.get("Content-Encoding", "")
            if encoding == "gzip":
                body = gzip.decompress(body)
            elif encoding == "deflate":
                body = zlib.decompress(body)
            elif encoding == "br":
                import brotli

                body = brotli.decompress(body)
            ingest.envelopes.append(body.decode(errors="replace"))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ingest.dsn = f"http://publickey@127.0.0.1:{server.server_address[1]}/1"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield ingest
    server.shutdown()


#: Seconds after which the relay in the ``workers`` stack sends again a job that was sent but never finished.
REDELIVER_AFTER = 3


@pytest.fixture(scope="module")
def workers(django_db_setup, django_db_blocker, sentry_ingest):
    """The tier's workers, the outbox relay and an SMTP sink, pointed at the test database,
    reporting to ``sentry_ingest``."""
    with django_db_blocker.unblock():
        database = connection.settings_dict["NAME"]
    environ = dict(
        os.environ,
        MILESTONES_VAR=str(stack_folder("workers")),
        PG_DB=database,
        SMTP_PORT=str(free_port()),
        JOBS_RETRY_BACKOFF_SECONDS="0.2",
        # The relay's sweeper re-sends a lost job this soon, so tests of lost jobs finish quickly.
        JOBS_REDELIVER_AFTER_SECONDS=str(REDELIVER_AFTER),
        SENTRY_DSN=sentry_ingest.dsn,
    )
    stack = Stack(settings.TIER, environ=environ)
    # Where the tier has the media service (tier3), the invoices and thumbnails are its work.
    stack.up(only={"smtp", "workers", "relay"} | ({"media"} & set(settings.RUNNER_SERVICES)))
    yield stack
    stack.down(quiet=True)


@pytest.fixture
def scheduler(workers):
    """Celery beat, sending the tier's periodic jobs, for one test only: its ticks would land in
    the queues other tests count."""
    unit = workers.service("scheduler")
    unit.start(workers.ctx)
    yield unit
    unit.stop(workers.ctx)


def eventually(probe: Callable[[], object], *, timeout: float = 20, what: str = "condition") -> object:
    """Poll until ``probe()`` is truthy; jobs run in other processes, so tests wait for their effects."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def mails(stack: Stack) -> list[str]:
    return SmtpSink.messages(stack.ctx)


def children_of(pid: int) -> list[int]:
    """The worker's pool processes: the ones a crash (or the OOM killer) would take down mid-job."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.fixture
def drained(workers):
    """After the test, wait until every job it caused has finished, so none runs into the next
    test's data (or into the teardown that empties the tables)."""
    yield
    import redis
    from django.conf import settings as current

    from app.platform.models import JobRun

    client = redis.Redis.from_url(current.CELERY_BROKER_URL)
    unfinished = [JobRun.Status.PENDING, JobRun.Status.RUNNING, JobRun.Status.RETRYING]

    def idle() -> bool:
        queues = (*settings.JOB_QUEUES, *settings.SERVICE_QUEUES)
        queued = sum(client.llen(queue) for queue in queues) + client.hlen("unacked")
        return queued == 0 and not JobRun.objects.filter(status__in=unfinished).exists()

    eventually(idle, timeout=30, what="the workers to finish this test's jobs")
    time.sleep(0.3)
    eventually(idle, timeout=30, what="the workers to finish this test's jobs")
    client.close()


@pytest.fixture
def broker(tier_services):
    """The tier's own Redis, to crash: SIGKILL, optionally its files wiped, then started again.

    Always running again when the test ends, so later tests find it as they expect.
    """
    service = tier_services.service("redis")
    ctx = tier_services.ctx

    def crash(*, wipe: bool) -> None:
        pid = processes.read_pid(service.pidfile(ctx))
        os.kill(pid, signal.SIGKILL)
        # Its last thread closes the listening socket a moment after the process is reported gone.
        port = ctx.port("REDIS_PORT")
        eventually(lambda: not processes.alive(pid) and not processes.port_open(port), what="redis to die")
        if wipe:  # a broker whose disk was lost, or one that keeps nothing: the outbox alone must do
            shutil.rmtree(ctx.var_dir / "redis", ignore_errors=True)

    def start() -> None:
        service.start(ctx)

    yield crash, start
    if processes.read_pid(service.pidfile(ctx)) is None:
        service.start(ctx)
    outbox._broker_down_until = 0.0
    _page_view_buffer_reset()


def _page_view_buffer_reset() -> None:
    """This process's page-view buffer stops trying Redis for a while after a failure: not past a test."""
    from app.analytics.recorders import BufferedRecorder
    from app.platform.seams import seam

    recorder = seam("PAGE_VIEWS")
    if isinstance(recorder, BufferedRecorder):
        recorder.buffer.reset()
