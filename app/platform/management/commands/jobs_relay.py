"""``manage.py jobs_relay``: the outbox's relay and sweeper, as one long-running process (tier1 and up)."""

from __future__ import annotations

import logging
import signal
from typing import Any

from django.core.management.base import BaseCommand

from app.platform.jobs.broker import broker_client
from app.platform.jobs.outbox import Relay, job_queues
from app.platform.jobs.queues import oldest_enqueued_at


class Command(BaseCommand):
    help = "Send committed jobs the broker never got, and send again jobs it lost (runs until stopped)."

    def handle(self, *args: Any, **options: Any) -> None:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

        def oldest_waiting() -> dict[str, float | None]:
            with broker_client(connect_timeout=1, read_timeout=2) as client:
                return oldest_enqueued_at(client, job_queues())

        relay = Relay(oldest_waiting)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: relay.stop.set())
        self.stdout.write("relay: watching the outbox", ending="\n")
        self.stdout.flush()
        relay.run()
        self.stdout.write("relay: stopped")
