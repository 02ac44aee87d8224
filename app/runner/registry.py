"""Every service a tier may name in ``RUNNER_SERVICES``, by name."""

from __future__ import annotations

from app.runner.loadbalancer import LoadBalancer
from app.runner.pgbouncer import PgBouncer
from app.runner.replica import Replica, ReplicaPgBouncer
from app.runner.services import (
    CollectStatic,
    JobsRelay,
    Migrate,
    Postgres,
    Redis,
    SeedDemo,
    Service,
    SmtpSink,
    Web,
    Workers,
)

SERVICES: dict[str, type[Service]] = {
    cls.name: cls
    for cls in (
        Postgres,
        Replica,
        PgBouncer,
        ReplicaPgBouncer,
        Redis,
        SmtpSink,
        Migrate,
        CollectStatic,
        SeedDemo,
        Workers,
        JobsRelay,
        Web,
        LoadBalancer,
    )
}
