"""PgBouncer's pools and counters as Prometheus metrics: ``python -m
app.platform.telemetry.pgbouncer_exporter --pgbouncer "<dsn of its admin console>" --listen 127.0.0.1:9127``.

Debian 12's ``prometheus-pgbouncer-exporter`` (1.7) reads ``SHOW STATS`` columns that PgBouncer
1.8 renamed (``total_requests``) and exits at start against Debian's own PgBouncer 1.18, and the
PyPI release pins a prometheus-client and a psycopg2 from 2020; so this one is ours, small, on
the libraries the app already has. Metric names follow the Prometheus community's
``pgbouncer_exporter``, so its dashboards and alerts fit.

Each scrape opens its own short connection to the admin console (``user=postgres
dbname=pgbouncer``, simple query protocol: the console knows no other), so a restarted PgBouncer
is read again at the next scrape; one that does not answer makes ``pgbouncer_up`` 0.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Iterator, Sequence
from typing import Any

import psycopg
from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

#: ``SHOW POOLS`` column → (metric, help), per database and user.
POOLS = {
    "cl_active": ("pgbouncer_pools_client_active_connections", "Clients paired with a server connection."),
    "cl_waiting": ("pgbouncer_pools_client_waiting_connections", "Clients waiting for a server connection."),
    "sv_active": ("pgbouncer_pools_server_active_connections", "Server connections paired with a client."),
    "sv_idle": ("pgbouncer_pools_server_idle_connections", "Server connections idle and ready."),
    "sv_used": ("pgbouncer_pools_server_used_connections", "Server connections idle past server_check_delay."),
    "sv_login": ("pgbouncer_pools_server_login_connections", "Server connections logging in."),
}
#: ``SHOW STATS`` column → (metric, help, scale to base units), per database; all counters.
STATS = {
    "total_xact_count": ("pgbouncer_stats_sql_transactions_pooled", "Transactions pooled.", 1),
    "total_query_count": ("pgbouncer_stats_queries_pooled", "Queries pooled.", 1),
    "total_xact_time": ("pgbouncer_stats_sql_transactions_duration_seconds", "Time in transactions.", 1e-6),
    "total_query_time": ("pgbouncer_stats_queries_duration_seconds", "Time in queries.", 1e-6),
    "total_wait_time": ("pgbouncer_stats_client_wait_seconds", "Time clients waited for a server.", 1e-6),
}


def _rows(connection: psycopg.Connection, command: str) -> list[dict[str, Any]]:
    cursor = connection.execute(command)
    names = [column.name for column in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


class PgBouncerCollector(Collector):
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("pgbouncer_up", "1 when PgBouncer's admin console answered this scrape.")
        try:
            with psycopg.connect(self.dsn, autocommit=True, prepare_threshold=None, connect_timeout=2) as console:
                pools, stats = _rows(console, "SHOW POOLS"), _rows(console, "SHOW STATS")
                config = {row["key"]: row["value"] for row in _rows(console, "SHOW CONFIG")}
        except psycopg.Error as exc:
            print(f"pgbouncer exporter: {exc}".strip(), file=sys.stderr, flush=True)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        for column, (name, text) in POOLS.items():
            gauge = GaugeMetricFamily(name, text, labels=["database", "user"])
            for row in pools:
                gauge.add_metric([row["database"], row["user"]], float(row.get(column) or 0))
            yield gauge
        waited = GaugeMetricFamily(
            "pgbouncer_pools_client_maxwait_seconds",
            "How long the oldest waiting client has waited.",
            labels=["database", "user"],
        )
        for row in pools:
            waited.add_metric(
                [row["database"], row["user"]], float(row["maxwait"]) + float(row.get("maxwait_us") or 0) / 1e6
            )
        yield waited
        for column, (name, text, scale) in STATS.items():
            counter = CounterMetricFamily(name, text, labels=["database"])
            for row in stats:
                counter.add_metric([row["database"]], float(row.get(column) or 0) * scale)
            yield counter
        for key, name in (("max_client_conn", "max_client_connections"), ("default_pool_size", "default_pool_size")):
            if key in config:
                yield GaugeMetricFamily(
                    f"pgbouncer_config_{name}", f"PgBouncer's {key} setting.", value=float(config[key])
                )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pgbouncer", required=True, help="libpq connection string of PgBouncer's admin console")
    parser.add_argument("--listen", default="127.0.0.1:9127", help="address:port to serve /metrics on")
    options = parser.parse_args(argv)
    address, _, port = options.listen.rpartition(":")
    registry = CollectorRegistry()
    registry.register(PgBouncerCollector(options.pgbouncer))
    start_http_server(int(port), addr=address or "127.0.0.1", registry=registry)
    print(f"pgbouncer exporter: http://{options.listen}/metrics", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
