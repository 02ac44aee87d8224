"""What a load does to a stack besides latency: its database connections and its job queues' backlog.

Sampled from outside the app during a load, twice a second, keeping each figure's peak:

* **database connections**: client backends in ``pg_stat_activity`` on every PostgreSQL server of
  the tier (the primary, the replica, tier4's shards), the busiest server's count being the one
  that meets ``max_connections``; a tier on SQLite has none to count;
* **queue age**: the oldest waiting job's age in each of the tier's queues, read from the broker
  the way ``/ops/queues`` and ``manage.py queues`` read it (``app.platform.jobs.queues``: the
  ``enqueued_at`` header of each list's last message), with its depth; a tier running jobs inline
  has no queue.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import psycopg

from app.platform.jobs.queues import oldest_enqueued_at
from app.runner.stack import Stack
from app.runner.units.postgres import Postgres
from bench.sampler import Sampler
from bench.sql import one

#: Seconds between samples: often enough to catch a queue's peak in a rung of tens of seconds,
#: seldom enough that the sampler's own queries are nothing beside the load's.
INTERVAL = 0.5
CLIENT_BACKENDS = "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"


@dataclass
class Peaks:
    """The highest each figure reached during one load (``None``: the tier has no such thing)."""

    #: Client connections of each PostgreSQL server, by the runner's name for it.
    connections: dict[str, int] | None = None
    #: The oldest waiting job's age in each queue, in seconds, and each queue's deepest.
    queue_age: dict[str, float] | None = None
    queue_depth: dict[str, int] | None = None
    #: Samples that failed (a server refusing connections under the load is a finding, not a crash).
    errors: list[str] = field(default_factory=list)

    @property
    def busiest_server(self) -> int | None:
        return max(self.connections.values(), default=0) if self.connections is not None else None


def postgres_servers(stack: Stack) -> dict[str, str]:
    """Every PostgreSQL server the tier runs, by name → a DSN for its ``postgres`` database."""
    return {
        daemon.name: daemon.dsn(stack.ctx, "postgres") for daemon in stack.daemons() if isinstance(daemon, Postgres)
    }


def job_queues(stack: Stack) -> list[str]:
    """The queues the tier's workers and services consume; none where jobs run inline (tier0)."""
    settings = stack.ctx.settings
    if not getattr(settings, "CELERY_BROKER_URL", ""):
        return []
    return [*settings.JOB_QUEUES, *getattr(settings, "SERVICE_QUEUES", ())]


class PressureSampler(Sampler):
    """``start()`` before a load, ``stop()`` after it, then ``peaks``."""

    def __init__(self, stack: Stack) -> None:
        self.servers = postgres_servers(stack)
        self.queues = job_queues(stack)
        self.broker_port = stack.ctx.port("REDIS_PORT") if self.queues else 0
        self.connections = dict.fromkeys(self.servers, 0)
        self.queue_age = dict.fromkeys(self.queues, 0.0)
        self.queue_depth = dict.fromkeys(self.queues, 0)
        self.errors: list[str] = []
        super().__init__()

    @property
    def peaks(self) -> Peaks:
        return Peaks(
            connections=dict(self.connections) if self.servers else None,
            queue_age=dict(self.queue_age) if self.queues else None,
            queue_depth=dict(self.queue_depth) if self.queues else None,
            errors=list(self.errors),
        )

    def sample(self) -> None:
        import redis

        # Opened before the load: once a server is full, a new connection would be refused too.
        connections = {name: psycopg.connect(dsn, autocommit=True) for name, dsn in self.servers.items()}
        broker = redis.Redis(port=self.broker_port, socket_connect_timeout=1, socket_timeout=2) if self.queues else None
        try:
            while not self.stopping:
                self._count_connections(connections)
                if broker is not None:
                    self._read_queues(broker)
                time.sleep(INTERVAL)
        finally:
            for connection in connections.values():
                connection.close()
            if broker is not None:
                broker.close()

    def _count_connections(self, connections: dict[str, psycopg.Connection[Any]]) -> None:
        for name, connection in connections.items():
            try:
                (count,) = one(connection.execute(CLIENT_BACKENDS))
            except psycopg.Error as exc:
                self.errors.append(f"{name}: {exc}")
                continue
            # Not counting the sampler's own connection.
            self.connections[name] = max(self.connections[name], int(count) - 1)

    def _read_queues(self, broker: Any) -> None:
        import redis

        try:
            now = time.time()
            oldest = oldest_enqueued_at(broker, self.queues)
            for queue in self.queues:
                depth = int(broker.llen(queue))
                enqueued = oldest[queue]
                age = max(0.0, now - enqueued) if enqueued is not None else 0.0
                self.queue_age[queue] = max(self.queue_age[queue], round(age, 1))
                self.queue_depth[queue] = max(self.queue_depth[queue], depth)
        except redis.RedisError as exc:
            self.errors.append(f"broker: {exc}")
