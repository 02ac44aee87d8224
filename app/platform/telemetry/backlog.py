"""The work waiting, measured when Prometheus scrapes (``/metrics``): each queue's depth and the
age of its oldest job, and the outbox's jobs not yet handed to the broker.

These are facts about the broker and the database, not about one process, so they are read at
scrape time instead of counted: every instance reports the same values (alerts take the max).
A broker or database that does not answer makes ``milestones_backlog_up`` 0, not a failed scrape.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)


class BacklogCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        from app.platform.jobs.outbox import backlog
        from app.platform.jobs.queues import queue_depths

        up = GaugeMetricFamily("milestones_backlog_up", "1 when the queues and the outbox could be read.")
        try:
            depths = queue_depths()
            outbox = backlog()
        except Exception as exc:  # the broker or the database is down: say so, keep the scrape
            logger.warning("backlog metrics unavailable: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        depth = GaugeMetricFamily("milestones_queue_depth", "Jobs waiting in each queue.", labels=["queue"])
        age = GaugeMetricFamily(
            "milestones_queue_oldest_age_seconds", "How long the oldest waiting job has waited.", labels=["queue"]
        )
        backing_up = GaugeMetricFamily(
            "milestones_queue_backing_up",
            "1 while a queue is past its limits (QUEUE_ALERTS: depth, or its oldest job's age).",
            labels=["queue"],
        )
        for queue in depths:
            depth.add_metric([queue.queue], queue.depth)
            age.add_metric([queue.queue], queue.oldest_age_seconds)
            backing_up.add_metric([queue.queue], 1 if queue.backing_up else 0)
        yield depth
        yield age
        yield backing_up
        yield GaugeMetricFamily(
            "milestones_outbox_unsent", "Committed jobs not yet handed to the broker.", value=outbox.unsent
        )
        yield GaugeMetricFamily(
            "milestones_outbox_oldest_unsent_age_seconds",
            "How long the oldest unsent job has waited for the relay.",
            value=outbox.oldest_unsent_age_seconds,
        )
        yield GaugeMetricFamily(
            "milestones_outbox_overdue", "Jobs handed over but unfinished past the re-send bound.", value=outbox.overdue
        )
