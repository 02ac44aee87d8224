"""``manage.py queues``: depth and oldest-job age of each job queue and of the outbox (exit 1 if backing up)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from app.platform.jobs.queues import queue_depths


class Command(BaseCommand):
    help = "Show each job queue's depth and oldest job, and the outbox's unsent jobs; exit 1 when a queue backs up."

    def handle(self, *args: Any, **options: Any) -> None:
        if not getattr(settings, "CELERY_BROKER_URL", ""):
            self.stdout.write(f"{settings.TIER} runs jobs inline, in the request: there are no queues to watch.")
            return
        depths = queue_depths()
        self.stdout.write(f"{'queue':<10} {'depth':>8} {'oldest (s)':>11}")
        for d in depths:
            flag = "  BACKING UP" if d.backing_up else ""
            self.stdout.write(f"{d.queue:<10} {d.depth:>8} {d.oldest_age_seconds:>11.1f}{flag}")
        if settings.JOBS_OUTBOX:
            from app.platform.jobs.outbox import backlog

            held = backlog()
            self.stdout.write(
                f"{'outbox':<10} {held.unsent:>8} {held.oldest_unsent_age_seconds:>11.1f}"
                f"  (not yet sent; {held.overdue} sent over {settings.JOBS_OUTBOX['REDELIVER_AFTER_SECONDS']:g} s"
                " ago and unfinished: queued behind others, or lost and about to be sent again)"
            )
        if any(d.backing_up for d in depths):
            raise SystemExit(1)
