"""tier3's monitoring on this machine: the exporters Debian ships for PostgreSQL, Redis and the
machine itself (node), HAProxy's built-in one, ours for PgBouncer, the app's own ``/metrics`` and
the workers' exposition ports; a Prometheus (Debian's) scraping all of them and evaluating
``deploy/monitoring/alerts.yml``; and an Alertmanager (Debian's) mailing what fires to the
operators (the stack's SMTP sink here).

Every exporter takes a port from a block that starts at ``EXPORTER_PORT`` (its ``slot`` below);
``METRICS_SLOTS`` fixes who gets which, so addresses are the same on every run. Prometheus' own
configuration is written at each start from the stack's services (``scrape_targets``): a new
app instance or worker is scraped as soon as it is started.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from app.runner import processes
from app.runner.units.kinds import Context, Daemon, Group
from config.env import shard_ports

#: Offsets from ``EXPORTER_PORT``: HAProxy's exporter, then one per database server, pooler and
#: Redis, then the workers in the order of the tier's ``WORKERS``.
METRICS_SLOTS = {
    "loadbalancer": 0,
    "postgres": 1,
    "replica": 2,
    "pgbouncer": 3,
    "pgbouncer-replica": 4,
    "redis": 5,
    "cache-redis": 6,
    "node": 7,
}
FIRST_WORKER_SLOT = 8
#: tier4: shard N's PostgreSQL exporter on FIRST_SHARD_SLOT + 2(N - 1), its PgBouncer's on the
#: slot after (four shards, as ``SHARD_PORT``'s block holds).
FIRST_SHARD_SLOT = 16
#: How many ports the block holds (``PORT_RANGES`` in app.runner.stack reserves them together).
SLOTS = 24
SCRAPE_SECONDS = 5
#: The alert rules Prometheus evaluates (unit-tested by alerts.test.yml beside them).
ALERT_RULES = Path("deploy") / "monitoring" / "alerts.yml"


def exporter_port(ctx: Context, slot: int) -> int:
    return ctx.port("EXPORTER_PORT") + slot


def worker_slot(ctx: Context, worker_name: str) -> int:
    names = [f"worker-{w['name']}" for w in ctx.settings.WORKERS]
    return FIRST_WORKER_SLOT + names.index(worker_name)


def fresh_metrics_folder(ctx: Context, daemon: Daemon) -> Path:
    """An empty folder for one process group's metric files (prometheus-client's multiprocess
    mode): what an earlier run left would be added to this run's counts."""
    folder = ctx.var_dir / "metrics" / daemon.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    daemon.hand_over(ctx, folder)
    return folder


class Exporter(Daemon):
    """An exporter for one server of the stack (``watches``), which it reads on ``port_name``."""

    watches = ""
    job = ""

    def __init__(self, watches: str = "", port_name: str = "") -> None:
        self.watches = watches or self.watches
        self.name = f"{self.watches}-exporter"
        self.port_name = port_name

    def port(self, ctx: Context) -> int:
        return exporter_port(ctx, METRICS_SLOTS[self.watches])

    def ports(self, ctx: Context) -> list[int]:
        return [self.port(ctx)]

    def watched_port(self, ctx: Context) -> int:
        """The port of the server it reads."""
        return ctx.port(self.port_name)

    def ready(self, ctx: Context) -> bool:
        return processes.http_ok(f"http://127.0.0.1:{self.port(ctx)}/metrics")

    def environment(self, ctx: Context) -> dict[str, str]:
        # Their own variables only: the pgbouncer exporter reads PGBOUNCER_PORT, PORT and HOST
        # from the environment, names the stack uses for other things.
        return {name: value for name, value in ctx.env.items() if name in {"PATH", "LANG", "TZ"}}

    def address(self, ctx: Context) -> str:
        return f"http://127.0.0.1:{self.port(ctx)}/metrics ({self.watches})"


class PostgresExporter(Exporter):
    binary = "/usr/bin/prometheus-postgres-exporter"
    package = "prometheus-postgres-exporter"
    job = "postgres"

    def command(self, ctx: Context) -> list[str]:
        return [self.binary or "", f"--web.listen-address=127.0.0.1:{self.port(ctx)}"]

    def environment(self, ctx: Context) -> dict[str, str]:
        source = f"postgresql://postgres@127.0.0.1:{self.watched_port(ctx)}/postgres?sslmode=disable"
        return {**super().environment(ctx), "DATA_SOURCE_NAME": source}


class RedisExporter(Exporter):
    binary = "/usr/bin/prometheus-redis-exporter"
    package = "prometheus-redis-exporter"
    job = "redis"

    def command(self, ctx: Context) -> list[str]:
        return [
            self.binary or "",
            "-redis.addr",
            f"redis://127.0.0.1:{self.watched_port(ctx)}",
            "-web.listen-address",
            f"127.0.0.1:{self.port(ctx)}",
        ]


class PgBouncerExporter(Exporter):
    """PgBouncer's pools and counters, read from its admin console at each scrape
    (``app.platform.telemetry.pgbouncer_exporter``: Debian's exporter cannot read PgBouncer 1.18)."""

    job = "pgbouncer"

    def command(self, ctx: Context) -> list[str]:
        console = f"host=127.0.0.1 port={self.watched_port(ctx)} user=postgres dbname=pgbouncer"
        module = "app.platform.telemetry.pgbouncer_exporter"
        return [ctx.python, "-m", module, "--pgbouncer", console, "--listen", f"127.0.0.1:{self.port(ctx)}"]


class NodeExporter(Exporter):
    """The machine: filesystems (DiskSpaceLow), CPU, memory and load, and nothing else."""

    watches = "node"
    binary = "/usr/bin/prometheus-node-exporter"
    package = "prometheus-node-exporter"
    job = "node"

    def command(self, ctx: Context) -> list[str]:
        return [
            self.binary or "",
            f"--web.listen-address=127.0.0.1:{self.port(ctx)}",
            "--collector.disable-defaults",
            "--collector.filesystem",
            "--collector.cpu",
            "--collector.meminfo",
            "--collector.loadavg",
        ]


#: Which exporter watches which of the tier's services, and the port it reads that service on.
EXPORTERS = [
    ("postgres", PostgresExporter, "PG_PORT"),
    ("replica", PostgresExporter, "REPLICA_PORT"),
    ("pgbouncer", PgBouncerExporter, "PGBOUNCER_PORT"),
    ("pgbouncer-replica", PgBouncerExporter, "REPLICA_PGBOUNCER_PORT"),
    ("redis", RedisExporter, "REDIS_PORT"),
    ("cache-redis", RedisExporter, "CACHE_REDIS_PORT"),
]


class ShardPostgresExporter(PostgresExporter):
    """tier4: shard N's PostgreSQL, as the ``postgres`` job's instance ``shardN``."""

    def __init__(self, alias: str, number: int) -> None:
        super().__init__(alias)
        self.number = number

    def port(self, ctx: Context) -> int:
        return exporter_port(ctx, FIRST_SHARD_SLOT + 2 * (self.number - 1))

    def watched_port(self, ctx: Context) -> int:
        return shard_ports(self.number, ctx.port("SHARD_PORT"))[0]


class ShardPgBouncerExporter(PgBouncerExporter):
    """tier4: shard N's PgBouncer, as the ``pgbouncer`` job's instance ``shardN-pgbouncer``."""

    def __init__(self, alias: str, number: int) -> None:
        super().__init__(f"{alias}-pgbouncer")
        self.number = number

    def port(self, ctx: Context) -> int:
        return exporter_port(ctx, FIRST_SHARD_SLOT + 2 * (self.number - 1) + 1)

    def watched_port(self, ctx: Context) -> int:
        return shard_ports(self.number, ctx.port("SHARD_PORT"))[1]


class Exporters(Group):
    """An exporter for each database server, pooler and Redis the tier runs (tier4: each shard's too)."""

    name = "exporters"

    def members(self, ctx: Context) -> list[Daemon]:
        from app.runner.units.shards import shard_aliases

        services = ctx.settings.RUNNER_SERVICES
        watching: list[Daemon] = [
            kind(watches, port_name) for watches, kind, port_name in EXPORTERS if watches in services
        ]
        if "shards" in services:
            for number, alias in enumerate(shard_aliases(ctx), start=1):
                watching += [ShardPostgresExporter(alias, number), ShardPgBouncerExporter(alias, number)]
        return [NodeExporter(), *watching]


def scrape_targets(ctx: Context) -> dict[str, list[dict[str, Any]]]:
    """Prometheus' jobs: each a list of static targets with an ``instance`` label naming the process."""
    from app.runner.units.failover import Etcd, PatroniCluster
    from app.runner.units.web import Web

    services = ctx.settings.RUNNER_SERVICES
    jobs: dict[str, list[dict[str, Any]]] = {}

    def target(job: str, port: int, name: str) -> None:
        jobs.setdefault(job, []).append({"targets": [f"127.0.0.1:{port}"], "labels": {"instance": name}})

    for instance in Web().instances(ctx):
        target("app", instance.port(ctx), instance.name)
    if "workers" in services:
        for worker in ctx.settings.WORKERS:
            name = f"worker-{worker['name']}"
            target("workers", exporter_port(ctx, worker_slot(ctx, name)), name)
    if "loadbalancer" in services:
        target("haproxy", exporter_port(ctx, METRICS_SLOTS["loadbalancer"]), "loadbalancer")
    for exporter in Exporters().members(ctx):
        assert isinstance(exporter, Exporter)
        target(exporter.job, exporter.port(ctx), exporter.watches)
    # Patroni and etcd serve their own /metrics (each Patroni's with its cluster's scope label).
    if "etcd" in services:
        target("etcd", Etcd().client_port(ctx), "etcd")
    if "patroni" in services:
        for member in PatroniCluster().servers():
            target("patroni", member.rest_port(ctx), member.name)
    target("prometheus", ctx.port("PROMETHEUS_PORT"), "prometheus")
    return jobs


class ConfiguredServer(Daemon):
    """Prometheus and Alertmanager alike: a configuration written at each start (JSON, which is
    YAML, so the standard library writes it) and data in ``var/<name>``; ready on ``/-/ready``."""

    port_name = ""
    config_name = ""

    def folder(self, ctx: Context) -> Path:
        return ctx.var_dir / self.name

    def config_file(self, ctx: Context) -> Path:
        return self.folder(ctx) / self.config_name

    def ports(self, ctx: Context) -> list[int]:
        return [ctx.port(self.port_name)]

    def config(self, ctx: Context) -> dict[str, Any]:
        raise NotImplementedError

    def prepare(self, ctx: Context) -> None:
        (self.folder(ctx) / "data").mkdir(parents=True, exist_ok=True)
        self.config_file(ctx).write_text(json.dumps(self.config(ctx), indent=2) + "\n")

    def url(self, ctx: Context) -> str:
        return f"http://127.0.0.1:{ctx.port(self.port_name)}"

    def ready(self, ctx: Context) -> bool:
        return processes.http_ok(f"{self.url(ctx)}/-/ready")


class Prometheus(ConfiguredServer):
    """Debian's Prometheus, scraping every target of the stack every few seconds, its data in
    ``var/prometheus``; its UI and API at ``PROMETHEUS_PORT``."""

    name = "prometheus"
    binary = "/usr/bin/prometheus"
    package = "prometheus"
    port_name = "PROMETHEUS_PORT"
    config_name = "prometheus.yml"

    def config(self, ctx: Context) -> dict[str, Any]:
        manager = f"127.0.0.1:{ctx.port('ALERTMANAGER_PORT')}"
        alerting = {"alerting": {"alertmanagers": [{"static_configs": [{"targets": [manager]}]}]}}
        return {
            "global": {"scrape_interval": f"{SCRAPE_SECONDS}s", "evaluation_interval": f"{SCRAPE_SECONDS}s"},
            "rule_files": [str(ctx.base_dir / ALERT_RULES)],
            **alerting,
            "scrape_configs": [
                {"job_name": job, "static_configs": targets} for job, targets in scrape_targets(ctx).items()
            ],
        }

    def command(self, ctx: Context) -> list[str]:
        folder = self.folder(ctx)
        return [
            self.binary or "",
            f"--config.file={self.config_file(ctx)}",
            f"--web.listen-address=127.0.0.1:{ctx.port('PROMETHEUS_PORT')}",
            f"--storage.tsdb.path={folder / 'data'}",
            "--storage.tsdb.retention.time=7d",
            # POST /-/reload after the configuration changes (a new instance, a new rule file).
            "--web.enable-lifecycle",
        ]

    def address(self, ctx: Context) -> str:
        return f"{self.url(ctx)}/ (targets: {self.url(ctx)}/targets)"


class Alertmanager(ConfiguredServer):
    """Debian's Alertmanager: groups what Prometheus fires and mails it to ``ALERT_EMAIL``, through
    the stack's SMTP server (the SMTP sink here; your provider in production), resolved alerts too.
    A single instance: its clustering is off (``--cluster.listen-address=``)."""

    name = "alertmanager"
    binary = "/usr/bin/prometheus-alertmanager"
    package = "prometheus-alertmanager"
    port_name = "ALERTMANAGER_PORT"
    config_name = "alertmanager.yml"

    def config(self, ctx: Context) -> dict[str, Any]:
        email = {
            "to": ctx.env.get("ALERT_EMAIL", "operators@localhost"),
            "from": ctx.env.get("ALERT_FROM_EMAIL", "alertmanager@localhost"),
            "smarthost": f"{ctx.env.get('EMAIL_HOST', '127.0.0.1')}:{ctx.port('SMTP_PORT')}",
            "require_tls": False,
            "send_resolved": True,
        }
        return {
            "route": {
                "receiver": "operators",
                "group_by": ["alertname"],
                # The first notice of a group goes out after this; more of the same wait group_interval.
                "group_wait": "5s",
                "group_interval": "1m",
                "repeat_interval": "4h",
            },
            "receivers": [{"name": "operators", "email_configs": [email]}],
        }

    def command(self, ctx: Context) -> list[str]:
        folder = self.folder(ctx)
        return [
            self.binary or "",
            f"--config.file={self.config_file(ctx)}",
            f"--storage.path={folder / 'data'}",
            f"--web.listen-address=127.0.0.1:{ctx.port('ALERTMANAGER_PORT')}",
            "--cluster.listen-address=",
        ]

    def address(self, ctx: Context) -> str:
        return f"{self.url(ctx)}/ (mails {ctx.env.get('ALERT_EMAIL', 'operators@localhost')})"


class Monitoring(Group):
    """The whole of it, in the order it starts: the exporters, Alertmanager, then Prometheus
    (which needs Alertmanager's address and finds every exporter up at its first scrape)."""

    name = "monitoring"

    def members(self, ctx: Context) -> list[Daemon]:
        return [*Exporters().members(ctx), Alertmanager(), Prometheus()]
