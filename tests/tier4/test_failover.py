"""The failover drill: the leader of a private Patroni cluster dies under a checkout load, and no
acknowledged order is lost.

The clusters are the runner's own units (app/runner/units/failover.py), started in a folder and on
ports of this test's, and stopped after: one etcd; the control database's cluster (two Patroni
members, HAProxy and PgBouncer in front), which the drill fails over; and a shard's (one member and
its HAProxy) in the same etcd under its own scope, which must not notice.
"""

from __future__ import annotations

import importlib
import itertools
import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import psycopg
import pytest
from django.conf import settings

from app.runner import processes
from app.runner.processes import free_port
from app.runner.units.failover import (
    FAILOVER_BOUND,
    Etcd,
    FailoverPgBouncer,
    PatroniCluster,
    PatroniMember,
    PatroniProxy,
    shard_scope,
)
from app.runner.units.kinds import Context
from config.env import BASE_DIR, FAILOVER_WIDTH
from tests.conftest import stack_folder

pytestmark = pytest.mark.stack

ORDER_WRITERS = 3


@dataclass
class Failover:
    ctx: Context
    cluster: PatroniCluster
    proxy: PatroniProxy
    pooler: FailoverPgBouncer
    #: Another cluster in the same etcd (a shard's), with its HAProxy.
    neighbour: PatroniCluster
    neighbour_proxy: PatroniProxy


@pytest.fixture
def failover() -> Iterator[Failover]:
    folder = stack_folder("failover")
    env = dict(os.environ, MILESTONES_VAR=str(folder), FAILOVER_PORT=str(free_port(width=FAILOVER_WIDTH)))
    ctx = Context(
        tier=settings.TIER,
        settings=importlib.import_module(os.environ["DJANGO_SETTINGS_MODULE"]),
        base_dir=BASE_DIR,
        var_dir=folder,
        env=env,
    )
    etcd, cluster, proxy, pooler = Etcd(), PatroniCluster(), PatroniProxy(), FailoverPgBouncer()
    neighbour = PatroniCluster(members=1, scope=shard_scope(1))
    neighbour_proxy = PatroniProxy(members=1, scope=shard_scope(1))
    try:
        etcd.start(ctx)
        for unit in (cluster, proxy, pooler, neighbour, neighbour_proxy):
            unit.start(ctx)
        yield Failover(ctx, cluster, proxy, pooler, neighbour, neighbour_proxy)
    finally:
        for unit in (neighbour_proxy, neighbour, pooler, proxy, cluster, etcd):
            unit.stop(ctx)


class Writer(threading.Thread):
    """Inserts rows through the pooler, one transaction each, and records those whose COMMIT
    returned: an order's after waiting for the synchronous standby, any other row's at once."""

    def __init__(self, dsn: str, ids: Iterator[int], *, synchronous: bool, stopping: threading.Event) -> None:
        super().__init__(daemon=True)
        self.dsn, self.ids, self.synchronous, self.stopping = dsn, ids, synchronous, stopping
        #: (row id, when its COMMIT returned, the PostgreSQL port that answered)
        self.acknowledged: list[tuple[int, float, int]] = []
        self.errors = 0

    def run(self) -> None:
        connection: psycopg.Connection | None = None
        while not self.stopping.is_set():
            row = next(self.ids)
            try:
                if connection is None:
                    # No server-side prepared statements: PgBouncer 1.18 in transaction mode cannot keep them.
                    connection = psycopg.connect(self.dsn, autocommit=True, connect_timeout=2, prepare_threshold=None)
                with connection.transaction():
                    if self.synchronous:
                        connection.execute("SET LOCAL synchronous_commit = on")
                    cursor = connection.execute(
                        "INSERT INTO orders (id, synchronous) VALUES (%s, %s) RETURNING inet_server_port()",
                        [row, self.synchronous],
                    )
                    (port,) = cursor.fetchone() or (0,)
                self.acknowledged.append((row, time.monotonic(), port))
            except psycopg.Error:
                # Its fate is unknown (the COMMIT may or may not have happened): it is not counted.
                self.errors += 1
                if connection is not None:
                    connection.close()
                connection = None
                time.sleep(0.1)
        if connection is not None:
            connection.close()


def kill_member(ctx: Context, member: PatroniMember) -> None:
    """The member's machine dies: Patroni and its PostgreSQL killed at once, Patroni first."""
    patroni = processes.read_pid(member.pidfile(ctx))
    postmaster = member.postmaster_pid(ctx)
    assert patroni is not None, f"{member.name}'s Patroni is not running"
    assert postmaster is not None, f"{member.name}'s PostgreSQL is not running"
    os.kill(patroni, signal.SIGKILL)
    os.kill(postmaster, signal.SIGKILL)


def member_dsn(ctx: Context, member: PatroniMember) -> str:
    """Straight to the member's PostgreSQL, past HAProxy."""
    return f"host=127.0.0.1 port={member.pg_port(ctx)} user=postgres dbname=postgres"


def patroni_metrics(ctx: Context, member: PatroniMember) -> dict[str, float]:
    """The member's own /metrics (what Prometheus scrapes for the failover alerts), parsed as
    Prometheus parses them, by name, all labelled with the member's scope."""
    from prometheus_client.parser import text_string_to_metric_families

    body = httpx.get(member.rest_url(ctx, "metrics"), timeout=5).text
    families = {family.name: family.samples for family in text_string_to_metric_families(body)}
    assert {sample.labels.get("scope") for samples in families.values() for sample in samples} == {member.scope.name}
    # By family: the parser calls a counter's sample `…_total`, where Prometheus keeps the name as sent.
    return {name: samples[0].value for name, samples in families.items() if samples}


def member_row(failover: Failover, name: str) -> dict:
    members = failover.cluster.cluster(failover.ctx).get("members", [])
    return next((member for member in members if member["name"] == name), {})


def test_the_leader_dies_under_orders_a_standby_takes_over_and_the_old_leader_rejoins_rewound(failover):
    """SIGKILL the leader's Patroni and its PostgreSQL together, under writers that commit orders
    synchronously (and other rows asynchronously) through PgBouncer and HAProxy's write port: the
    standby is promoted and writes succeed again within ``FAILOVER_BOUND`` seconds, with no manual step;
    every acknowledged order is on the new leader; and the old leader, started again, is rewound
    by Patroni (pg_rewind) and streams from the new one as its standby.

    Both processes die, as they do with their machine: with only PostgreSQL killed, its Patroni
    (alive, still renewing the leader key) would restart it in place, and nothing would fail over.

    A shard's cluster shares the etcd under its own scope: it keeps its leader, on its timeline,
    and takes writes throughout; neither cluster's members appear in the other's.
    """
    ctx, cluster = failover.ctx, failover.cluster
    neighbour_before = failover.neighbour.cluster(ctx)
    assert {m["name"] for m in neighbour_before["members"]} == {"shard1-1"}
    assert {m["name"] for m in cluster.cluster(ctx)["members"]} == {"control-1", "control-2"}
    # What the failover alerts read: a leader holding the key, and a synchronous standby.
    leader_before = cluster.leader(ctx)
    assert leader_before is not None
    standby_before = next(member for member in cluster.servers() if member.name != leader_before.name)
    leading = patroni_metrics(ctx, leader_before)
    assert (leading["patroni_primary"], leading["patroni_cluster_unlocked"]) == (1, 0)
    assert patroni_metrics(ctx, standby_before)["patroni_sync_standby"] == 1
    dsn = failover.pooler.dsn(ctx)
    with psycopg.connect(failover.proxy.dsn(ctx), autocommit=True) as connection:
        connection.execute("CREATE TABLE orders (id bigint PRIMARY KEY, synchronous boolean NOT NULL)")

    stopping = threading.Event()
    writers = [
        Writer(dsn, itertools.count(number, ORDER_WRITERS + 1), synchronous=number < ORDER_WRITERS, stopping=stopping)
        for number in range(ORDER_WRITERS + 1)
    ]
    for writer in writers:
        writer.start()
    try:
        time.sleep(3)
        assert all(writer.acknowledged for writer in writers), "the writers commit before the drill"

        old_leader = cluster.leader(ctx)
        assert old_leader is not None
        killed_at = time.monotonic()
        kill_member(ctx, old_leader)

        def written_elsewhere() -> list[float]:
            return [
                at
                for writer in writers
                for _, at, port in list(writer.acknowledged)
                if at > killed_at and port != old_leader.pg_port(ctx)
            ]

        processes.wait_until(
            lambda: bool(written_elsewhere()), timeout=FAILOVER_BOUND + 25, what="a write after failover"
        )
        recovered_in = min(written_elsewhere()) - killed_at
        time.sleep(2)  # writes go on on the new leader
    finally:
        stopping.set()
        for writer in writers:
            writer.join(timeout=10)

    new_leader = cluster.leader(ctx)
    assert new_leader is not None
    assert new_leader.name != old_leader.name
    with psycopg.connect(member_dsn(ctx, new_leader), autocommit=True) as connection:
        present = {row for (row,) in connection.execute("SELECT id FROM orders")}
    orders = [row for writer in writers if writer.synchronous for row, _, _ in writer.acknowledged]
    others = [row for writer in writers if not writer.synchronous for row, _, _ in writer.acknowledged]
    lost_orders = sorted(set(orders) - present)
    lost_others = len(set(others) - present)
    print(
        f"\nfailover drill: writes again after {recovered_in:.1f}s (bound {FAILOVER_BOUND}s); "
        f"{len(orders)} orders acknowledged, {len(lost_orders)} lost; "
        f"{len(others)} asynchronous rows acknowledged, {lost_others} lost; "
        f"{sum(writer.errors for writer in writers)} transactions failed (their writers tried again)"
    )
    assert recovered_in <= FAILOVER_BOUND
    assert not lost_orders, f"acknowledged orders missing on the new leader: {lost_orders[:20]}"

    rejoin_from = old_leader.log(ctx).stat().st_size
    old_leader.start(ctx)
    new_timeline = member_row(failover, new_leader.name).get("timeline")

    def streaming() -> bool:
        row = member_row(failover, old_leader.name)
        if row.get("role") not in ("replica", "sync_standby") or row.get("timeline") != new_timeline:
            return False
        try:
            with psycopg.connect(member_dsn(ctx, old_leader), autocommit=True, connect_timeout=2) as connection:
                (status,) = connection.execute("SELECT status FROM pg_stat_wal_receiver").fetchone() or ("",)
        except psycopg.Error:
            return False
        return status == "streaming"

    processes.wait_until(streaming, timeout=60, what=f"{old_leader.name} streaming from {new_leader.name}")
    with old_leader.log(ctx).open("rb") as log:
        log.seek(rejoin_from)
        rejoined = log.read().decode(errors="replace")
    assert "running pg_rewind from" in rejoined, rejoined[-3000:]
    assert "pg_rewind exit code=0" in rejoined, rejoined[-3000:]

    # DatabaseFailedOver's series: the new leader's timeline is past the old one's.
    assert patroni_metrics(ctx, new_leader)["patroni_postgres_timeline"] > leading["patroni_postgres_timeline"]
    # The standby streams through a slot named after it, unique across every cluster in the etcd.
    with psycopg.connect(member_dsn(ctx, new_leader), autocommit=True) as connection:
        slots = {name for (name,) in connection.execute("SELECT slot_name FROM pg_replication_slots")}
    assert slots == {old_leader.name.replace("-", "_")}
    # The shard's cluster went on as it was: same leader, same timeline, still taking writes.
    neighbour_after = failover.neighbour.cluster(ctx)
    assert [(m["name"], m["role"], m.get("timeline")) for m in neighbour_after["members"]] == [
        (m["name"], m["role"], m.get("timeline")) for m in neighbour_before["members"]
    ]
    with psycopg.connect(failover.neighbour_proxy.dsn(ctx), autocommit=True) as connection:
        connection.execute("CREATE TABLE still_here ()")
