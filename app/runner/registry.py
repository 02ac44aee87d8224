"""Every service a tier may name in ``RUNNER_SERVICES``, by name."""

from __future__ import annotations

from app.runner.units.failover import Etcd, FailoverPgBouncer, PatroniCluster, PatroniProxy
from app.runner.units.kinds import Service
from app.runner.units.loadbalancer import LoadBalancer
from app.runner.units.media import MediaService
from app.runner.units.monitoring import Monitoring
from app.runner.units.object_store import ObjectStore
from app.runner.units.pgbouncer import PgBouncer
from app.runner.units.postgres import Postgres
from app.runner.units.redis import CacheRedis, Redis
from app.runner.units.replica import Replica, ReplicaPgBouncer
from app.runner.units.setup_steps import CollectStatic, Migrate, SeedDemo
from app.runner.units.shards import Shards
from app.runner.units.smtp import SmtpSink
from app.runner.units.web import Web
from app.runner.units.workers import JobsRelay, Scheduler, Workers

SERVICES: dict[str, type[Service]] = {
    cls.name: cls
    for cls in (
        Postgres,
        Replica,
        PgBouncer,
        ReplicaPgBouncer,
        Shards,
        Etcd,
        PatroniCluster,
        PatroniProxy,
        FailoverPgBouncer,
        Redis,
        CacheRedis,
        ObjectStore,
        SmtpSink,
        Migrate,
        CollectStatic,
        SeedDemo,
        Workers,
        MediaService,
        JobsRelay,
        Scheduler,
        Web,
        LoadBalancer,
        Monitoring,
    )
}
