"""The plan as text: a row per number of users, then what set each number and where each figure came from."""

from __future__ import annotations

from bench.capacity.figures import Source
from bench.capacity.model import (
    INSTANCE_PROCESSES,
    L1_MAX_BYTES,
    MAX_CONNECTIONS,
    Assumptions,
    Measured,
    Plan,
    Resource,
)

GIB, MIB = 2**30, 2**20


def users_label(users: int) -> str:
    """100000 → 100K, 10000000 → 10M (anything else as digits)."""
    for size, suffix in ((1_000_000, "M"), (1_000, "K")):
        if users >= size and users % size == 0:
            return f"{users // size:,}{suffix}"
    return f"{users:,}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(row: list[str]) -> str:
        # The first and last columns are words (left-aligned), the others numbers (right-aligned).
        last = len(row) - 1
        cells = (c.ljust(w) if i in (0, last) else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
        return "  ".join(cells).rstrip()

    return [line(header), "  ".join("-" * w for w in widths), *(line(row) for row in rows)]


def bottleneck(resource: Resource) -> str:
    if resource.outgrown < 1:
        return f"none yet: every floor holds (nearest: {resource.name}, {resource.outgrown:.0%} of its floor)"
    return f"{resource.name} ({resource.outgrown:,.1f}× its floor)"


def _why(resource: Resource) -> str:
    at = f"{resource.load / resource.target:.2f} needed at {resource.target:.0%}"
    if resource.set_by_floor:
        return f"floor {resource.floor} (the load: {at})"
    return f"the load: {at}"


def render(plans: list[Plan], assumptions: Assumptions, measured: Measured, sources: list[Source]) -> str:
    a = assumptions
    lines = [
        "Capacity plan: the peak from the assumptions, each unit's capacity from measured figures",
        "",
        "Assumptions (make capacity USERS= ACTIVE_SHARE= PEAK_FACTOR= REQUESTS_PER_MINUTE= WRITE_SHARE=):",
        f"  {a.active_share:.1%} of users active in an average minute, × {a.peak_factor:g} in the busiest; "
        f"{a.requests_per_minute:g} requests a minute each; {a.write_share:.0%} of requests write",
        f"  every unit planned to {a.target_utilisation:.0%} of its measured capacity (the critical queue to "
        f"{a.critical_utilisation:.0%}); {a.cache_hit_ratio:.0%} of reads answered by the cache",
        f"  database servers of {a.database_cores} cores, each core doing what one did here; Redis servers of "
        f"{a.redis_bytes / GIB:.0f} GiB",
        f"  jobs per write: {', '.join(f'{q} {n:g}' for q, n in a.jobs_per_write.items())}; "
        f"{a.cache_entries_per_active_user:g} hot cache entries per active user",
        "",
    ]
    rows = [
        [
            users_label(p.users),
            f"{p.active_at_peak:,.0f}",
            f"{p.requests_per_second:,.0f}",
            f"{p.writes_per_second:,.0f}",
            str(p.instances.units),
            "/".join(str(w.units) for w in p.workers.values()),
            f"{p.client_connections:,} → {p.server_connections.units}",
            f"{p.shards.units} × (1 + {p.replicas_per_shard.units})",
            f"{p.redis_bytes / GIB:,.1f} GiB",
            bottleneck(p.bottleneck),
        ]
        for p in plans
    ]
    lines += _table(
        [
            "users",
            "active",
            "req/s",
            "writes/s",
            "app instances",
            "workers c/d/b",
            "DB conns/shard",
            "shards",
            "Redis",
            "bottleneck",
        ],
        rows,
    )
    lines += [
        "  active: users active in the busiest minute; workers: critical/default/bulk; DB conns: the client",
        "  connections each shard's PgBouncer takes → the server connections it keeps to PostgreSQL; shards:",
        "  N × (1 primary + replicas); bottleneck: the resource the load needs most times its floor, at the",
        f"  target utilisation. Each instance also holds its L1: {L1_MAX_BYTES / MIB:.0f} MiB bound × "
        f"{INSTANCE_PROCESSES} processes × {measured.l1_heap_factor:.2f} (heap ÷ counted) = "
        f"{L1_MAX_BYTES * INSTANCE_PROCESSES * measured.l1_heap_factor / MIB:.0f} MiB of memory.",
    ]
    for p in plans:
        lines += ["", f"{users_label(p.users)} users: what set each number"]
        for resource in p.resources:
            lines.append(
                f"  {resource.name:<30} {resource.units:>5}  {resource.utilisation:>4.0%} busy  {_why(resource)}"
            )
        lines.append(
            f"  per shard: {p.wal_bytes_per_second_per_shard / MIB:.2f} MiB/s of WAL "
            f"({measured.wal_bytes_per_write / 1024:.1f} KiB a write); "
            + (
                f"{p.server_connections.units} server connections is over PostgreSQL's max_connections "
                f"({MAX_CONNECTIONS}): more shards, not a bigger pool"
                if p.server_connections.units > MAX_CONNECTIONS
                else f"{p.server_connections.units} server connections, within max_connections ({MAX_CONNECTIONS})"
            )
        )
    lines += ["", "One unit's capacity at 100% (busy above is the peak's share of it):"]
    lines += [f"  {resource.name:<30} {resource.limit}" for resource in plans[0].resources]
    lines.append("")
    lines.append("Where they came from:")
    for source in sources:
        where = (
            f"this machine's bench/results/{source.scenario}.json"
            if source.origin == "bench results"
            else f"the baseline ({source.reason})"
        )
        figures = ", ".join(f"{name} {_figure(value)}" for name, value in source.figures.items())
        lines.append(f"  {source.scenario:<13} {where}, measured {source.measured_at} on {source.machine}")
        lines.append(f"  {'':<13} {figures}")
    lines += [
        "",
        "Limits: measured on one small machine shared with other work; CPU seconds per request, write, query",
        "and job assumed to scale linearly with cores and servers; disk, data size, network, locks and reads",
        'across shards not modelled (README: "Capacity planning").',
    ]
    return "\n".join(lines)


def _figure(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
