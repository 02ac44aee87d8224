"""Replication: is the replica attached, and how far behind its replay is, read on the servers
themselves (not this process's routing marks, which only see what this process probed)."""

from __future__ import annotations

from django.conf import settings
from django.db import connections

from app.platform.doctor.examination import Examination
from app.platform.doctor.report import Finding, Status

REPLICA = "replica"

LAG = """SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                 ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END"""


def replica_lag(exam: Examination) -> list[Finding]:
    if not settings.REPLICA_ROUTING:
        return [Finding(REPLICA, Status.SKIPPED, "this tier reads from one database (tier2 adds a replica)")]
    alias = settings.REPLICA_ROUTING["ALIAS"]
    with connections[alias].cursor() as cursor:
        cursor.execute(LAG)
        (lag,) = cursor.fetchone()
    lag = float(lag or 0)
    summary = f"{alias} replays {lag:.2f} s behind the primary"
    if lag >= exam["REPLICA_LAG_SECONDS"]:
        return [Finding(REPLICA, Status.PROBLEM, summary, [], "replica-lag")]
    if lag > settings.REPLICA_ROUTING["MAX_LAG_SECONDS"]:
        evidence = [f"past MAX_LAG_SECONDS ({settings.REPLICA_ROUTING['MAX_LAG_SECONDS']:g}): reads go to the primary"]
        return [Finding(REPLICA, Status.WATCH, summary, evidence, "replica-lag")]
    return [Finding(REPLICA, Status.OK, summary)]
