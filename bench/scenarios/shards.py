"""shards: a write-heavy team-scoped mix on 1 shard and on 2, side by side on one tier4 stack.

One stack, its two shard clusters (each behind its own PgBouncer) on the same machine. Two sets
of the same number of new teams: one set placed all on shard1 ("1 shard"), the other dealt to
shard1 and shard2 in turn ("2 shards"), through the directory before the teams have any rows.
The same writer threads (one process) run the same mix for either set, through the app's own
services, each write a transaction on the team's shard (``team_transaction``): a post, a comment
on it, an order of one item (``bench.team_writers.MixedWriters``). The arms alternate in rounds
(ABBA…), so drift on the machine hits both alike.

Measured per arm: writes acknowledged a second; the transactions that wrote on each shard and the
WAL it produced meanwhile, read from the cluster itself before and after (its transaction-id
counter and WAL position: ``pg_stat_database`` arrives seconds late from a pooled backend);
the cores each part of the stack used (``bench/cpu.py``), the writers' process included, which
is where a flat ratio is explained: a second cluster splits the database's work, and helps only
if the database was what the writes waited on.
"""

from __future__ import annotations

import os

from app.runner.units.pgbouncer import POOL_SIZE, RESERVE_POOL
from bench.cpu import OTHERS
from bench.report import Report
from bench.stacks import bench_stack, probe

SERVICES = {"postgres", "replica", "pgbouncer", "pgbouncer-replica", "shards", "redis", "cache-redis", "migrate"}
#: Teams per arm, and writer threads (writer n writes for team n mod TEAMS).
TEAMS, WRITERS, ROUNDS = 4, 8, 3
QUICK_TEAMS, QUICK_WRITERS, QUICK_ROUNDS = 2, 4, 2
ARMS = ("1 shard", "2 shards")
#: A ratio under 1 + GAIN counts as no gain (rounds differ by about that much on a shared machine).
GAIN = 0.10
#: What ``bench.probe shard-writes`` calls its own process in the cores it reports.
WRITERS_PART = "writers (this process)"


def run(*, seconds: float, quick: bool = False) -> Report:
    teams, writers, rounds = (QUICK_TEAMS, QUICK_WRITERS, QUICK_ROUNDS) if quick else (TEAMS, WRITERS, ROUNDS)
    round_seconds = max(1.0, seconds / 2) if quick else seconds
    with bench_stack("tier4", "shards", only=SERVICES) as stack:
        measured = probe(stack, "shard-writes", str(teams), str(writers), str(rounds), str(round_seconds))
    cores = os.cpu_count() or 1
    arms = {arm: _total(measured["rounds"][arm]) for arm in ARMS}
    shards = list(next(iter(arms.values()))["transactions"])
    rows = []
    for arm, total in arms.items():
        transactions = sum(total["transactions"].values()) or 1
        rows.append(
            [
                arm,
                total["writes"] / total["seconds"],
                " / ".join(str(total["kinds"].get(kind, 0)) for kind in ("post", "comment", "order")),
                *(f"{total['transactions'][alias] / transactions:.0%}" for alias in shards),
                *(total["wal_bytes"][alias] / total["seconds"] / 1024 for alias in shards),
                sum(share for part, share in total["cores"].items() if part != OTHERS),
                total["cores"].get(WRITERS_PART, 0.0),
                sum(share for part, share in total["cores"].items() if "PostgreSQL" in part),
            ]
        )
    one, two = (arms[arm]["writes"] / arms[arm]["seconds"] for arm in ARMS)
    per_round = [
        (b["writes"] / b["seconds"]) / (a["writes"] / a["seconds"])
        for a, b in zip(measured["rounds"][ARMS[0]], measured["rounds"][ARMS[1]], strict=True)
    ]
    server = measured["server"]
    notes = [
        f"{teams} new teams per arm, {writers} writer threads in one process (writer n writes for team n mod {teams}), "
        f"{rounds} rounds × {round_seconds:.0f}s per arm, alternating; each write one transaction "
        "on its team's shard: post_publish, comment_add, order_checkout in turn",
        f"both arms: the same stack and machine ({cores} cores); each thread one connection per database, "
        f"through each shard's PgBouncer (transaction mode, pool {POOL_SIZE} + {RESERVE_POOL} server connections "
        f"per shard); shards' PostgreSQL max_connections = {server['max_connections']}, fsync = {server['fsync']}, "
        f"synchronous_commit = {server['synchronous_commit']} ({server['wal_sync_method']})",
        "share: of the write transactions the shards' PostgreSQL ran during the arm (each one's transaction-id "
        "counter, pg_snapshot_xmax, before and after); WAL KB/s: pg_current_wal_lsn before and after",
        "per-round ratios: " + ", ".join(f"{ratio:.2f}" for ratio in per_round),
        _bottleneck(arms, cores, two / one if one else 0.0),
    ]
    return Report(
        scenario="shards",
        columns=[
            "arm",
            "writes/s",
            "posts / comments / orders",
            *(f"{alias} share" for alias in shards),
            *(f"{alias} WAL KB/s" for alias in shards),
            "stack's cores",
            "writers' cores",
            "PostgreSQL cores",
        ],
        rows=rows,
        ratio=two / one if one else 0.0,
        ratio_label="writes/s on 2 shards ÷ on 1 shard (same teams count, writers and machine)",
        notes=notes,
        figures={**measured, "totals": arms, "per_round_ratios": per_round},
        chart=[(f"{arm} writes/s", arms[arm]["writes"] / arms[arm]["seconds"]) for arm in ARMS],
        chart_unit="writes/s",
    )


def _total(rounds: list[dict]) -> dict:
    """One arm's rounds summed (cores: averaged over its seconds)."""
    seconds = sum(r["seconds"] for r in rounds)
    total: dict = {"writes": sum(r["writes"] for r in rounds), "seconds": seconds, "kinds": {}, "cores": {}}
    for key in ("transactions", "wal_bytes"):
        total[key] = {alias: sum(r[key][alias] for r in rounds) for alias in rounds[0][key]}
    for r in rounds:
        for kind, count in r["kinds"].items():
            total["kinds"][kind] = total["kinds"].get(kind, 0) + count
        for part, share in r["cores"].items():
            total["cores"][part] = total["cores"].get(part, 0.0) + share * r["seconds"] / seconds
    total["cores"] = dict(sorted(total["cores"].items(), key=lambda item: -item[1]))
    return total


def _bottleneck(arms: dict[str, dict], cores: int, ratio: float) -> str:
    """Where the time went in the 1-shard arm: the machine's cores, and who used them."""
    used = arms[ARMS[0]]["cores"]
    busy = sum(used.values())
    top = ", ".join(f"{part} {share:.2f}" for part, share in list(used.items())[:5])
    writers = used.get(WRITERS_PART, 0.0)
    database = sum(share for part, share in used.items() if "PostgreSQL" in part)
    per_write = f"{writers / database:.1f}× the shard's PostgreSQL CPU per write" if database else "no database CPU"
    gil = " (one Python process: at most one core's worth of Python at a time, the GIL)" if writers >= 0.6 else ""
    machine = (
        f"the machine's CPU: {busy:.2f} of {cores} cores busy"
        if busy >= 0.85 * cores
        else f"not all the machine's CPU ({busy:.2f} of {cores} cores busy)"
    )
    verdict = (
        "so a second cluster on the same cores splits only the smaller share: the database was not "
        f"what the writes waited on{gil}"
        if ratio < 1 + GAIN
        else f"and 2 shards gained {ratio - 1:.0%}: one cluster was part of what the writes waited on"
    )
    return f"why: {machine} on 1 shard ({top}); the writers' Python costs {per_write}, {verdict}"
