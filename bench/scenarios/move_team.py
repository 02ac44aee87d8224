"""move-team: a team of 100,000+ rows moved to the other shard while it takes writes (tier4).

Measured: the rows moved a second (copy, catch-up passes, verification, the source's copy
deleted), the write pause (from the directory entry marked ``moving`` to the switch), and the
writes that were acknowledged against those that arrived: lost and duplicated must be 0.
"""

from __future__ import annotations

from bench.report import Report
from bench.stacks import bench_stack, probe

SERVICES = {"postgres", "replica", "pgbouncer", "pgbouncer-replica", "shards", "redis", "cache-redis", "migrate"}
WRITERS = 3


def run(*, seconds: float, quick: bool = False) -> Report:
    rows = 10_000 if quick else 150_000
    with bench_stack("tier4", "move-team", only=SERVICES) as stack:
        moved = probe(stack, "move-team", str(rows), str(WRITERS))
    safe = moved["lost"] == 0 and moved["duplicated"] == 0
    return Report(
        scenario="move-team",
        columns=["move_team under load", "value"],
        rows=[
            ["rows moved", moved["rows"]],
            ["seconds to the switch", round(moved["switched_after"], 1)],
            ["seconds to the source's copy deleted", round(moved["seconds"], 1)],
            ["rows/s (to the switch)", round(moved["rows_per_second"])],
            ["catch-up passes", moved["passes"]],
            ["write pause (ms)", round(moved["pause_ms"])],
            [f"writes acknowledged ({WRITERS} writers)", moved["acknowledged"]],
            ["writes refused during the pause (503, retried)", moved["refused"]],
            ["writes lost", moved["lost"]],
            ["writes duplicated", moved["duplicated"]],
        ],
        ratio=moved["pause_ms"] / 1000 / moved["switched_after"] if moved["switched_after"] else 0.0,
        ratio_label="write pause ÷ the move up to the switch",
        notes=[
            ("nothing lost or duplicated" if safe else "WRITES LOST OR DUPLICATED")
            + f"; goal: a team of ≥ 100,000 rows ({'met' if moved['rows'] >= 100_000 else 'smoke size'})",
        ],
        figures=moved,
    )
