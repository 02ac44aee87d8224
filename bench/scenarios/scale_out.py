"""scale-out: tier3 with 1, 2 and 3 app instances behind HAProxy, and where the curve flattens.

The same stack is started three times with ``WEB_INSTANCES`` = 1, 2, 3 (each instance 2
gunicorn processes × 1 thread, as tier3 sizes it) and loaded on two paths: the anonymous feed
(served from the shared cache) and the products API (a query per request, no cache). While each
load runs, the CPU every part of the stack uses is read from /proc (``bench/cpu.py``): when the
machine's cores are all busy, more instances only share them, and the part using the most is
the reason the curve is flat.
"""

from __future__ import annotations

import functools
import os

from bench import wrk
from bench.cpu import cores_used
from bench.report import Report
from bench.stacks import bench_stack

INSTANCES = (1, 2, 3)
#: The smoke run (``--quick``) proves the harness on two sizes.
QUICK_INSTANCES = (1, 2)
PATHS = {"cached feed": "", "products API": "api/v1/products"}
CONNECTIONS = 16
#: A step that adds less than this to the best req/s so far counts as flat.
FLAT = 0.10


def run(*, seconds: float, quick: bool = False) -> Report:
    cores = os.cpu_count() or 1
    sizes = QUICK_INSTANCES if quick else INSTANCES
    round_seconds = max(3.0, seconds / 2)
    rps: dict[str, dict[int, float]] = {name: {} for name in PATHS}
    usage: dict[str, dict[int, dict[str, float]]] = {name: {} for name in PATHS}
    rows: list[list[object]] = []
    for count in sizes:
        with bench_stack("tier3", f"scale-out-{count}", WEB_INSTANCES=str(count)) as stack:
            for path in PATHS.values():
                wrk.run(stack.url() + path, seconds=1)
            for name, path in PATHS.items():
                load, used = cores_used(
                    stack,
                    functools.partial(wrk.run, stack.url() + path, seconds=round_seconds, connections=CONNECTIONS),
                )
                rps[name][count] = load.rps
                usage[name][count] = used
                busy = sum(used.values())
                top = ", ".join(f"{part} {share:.2f}" for part, share in list(used.items())[:4])
                rows.append(
                    [f"{name}, {count} instance(s)", load.rps, load.p99_ms, load.errors + load.non_2xx, busy, top]
                )
    notes = [
        f"wrk -c{CONNECTIONS} -t2 for {round_seconds:.0f}s per run; cores used per part of the stack during it "
        f"(this machine has {cores})"
    ]
    flat_at: dict[str, int] = {}
    for name in PATHS:
        best = rps[name][sizes[0]]
        flat_at[name] = sizes[-1]
        for count in sizes[1:]:
            if rps[name][count] < best * (1 + FLAT):
                flat_at[name] = sizes[sizes.index(count) - 1]
                break
            best = rps[name][count]
        used = usage[name][flat_at[name]]
        busy = sum(used.values())
        leader = next(iter(used), "nothing")
        reason = (
            f"CPU: {busy:.2f} of {cores} cores busy, most of it in the {leader} ({used.get(leader, 0):.2f})"
            if busy >= 0.85 * cores
            else f"not CPU ({busy:.2f} of {cores} cores busy); busiest part: {leader}"
        )
        curve = " → ".join(f"{rps[name][count]:,.0f}" for count in sizes)
        notes.append(
            f"{name}: {curve} req/s with {', '.join(map(str, sizes))} instances; "
            f"flat from {flat_at[name]} instance(s) on; why: {reason}"
        )
    gain = rps["products API"][sizes[-1]] / rps["products API"][sizes[0]]
    return Report(
        scenario="scale-out",
        columns=["path, instances", "req/s", "p99 ms", "errors", "cores busy", "busiest parts (cores)"],
        rows=rows,
        ratio=gain,
        ratio_label=f"products API req/s with {sizes[-1]} instances ÷ with {sizes[0]} (on {cores} cores)",
        notes=notes,
        figures={"rps": rps, "cores": usage, "flat_at": flat_at},
        chart=[(f"{name} ×{count}", rps[name][count]) for name in PATHS for count in sizes],
        chart_unit="req/s",
    )
