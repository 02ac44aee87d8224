"""l1: hot-key reads of the application cache with tier4's in-process L1 over Redis, against
Redis alone (tier3's cache), side by side in one process (``bench.l1_reads``).

Measured: each arm's read latency (median and 99th percentile), L1's hit ratio while another
instance invalidates topics, and what L1 holds against its byte bound: as counted (entries as
stored in Redis) and as the objects take in the heap.
"""

from __future__ import annotations

from bench.report import Report
from bench.stacks import bench_stack, probe

#: L1's bound here: smaller than the 2,000 entries of 20 kB read, so the bound is what decides.
L1_MAX_BYTES = 8 * 2**20


def run(*, seconds: float, quick: bool = False) -> Report:
    reads = 4_000 if quick else max(40_000, int(seconds * 4_000))
    with bench_stack("tier4", "l1", only={"cache-redis"}, APP_CACHE_L1_MAX_BYTES=str(L1_MAX_BYTES)) as stack:
        measured = probe(stack, "l1", str(reads))
    arms = measured["arms"]
    both, l2 = arms["L1 + L2"], arms["L2 only"]
    mib = 2**20
    return Report(
        scenario="l1",
        columns=["arm", "reads", "p50 µs", "p99 µs", "mean µs", "recomputed"],
        rows=[
            [name, measured["reads"], arm["p50_us"], arm["p99_us"], arm["mean_us"], arm["recomputes"]]
            for name, arm in arms.items()
        ],
        ratio=l2["p50_us"] / both["p50_us"],
        ratio_label="hot-key read, median: L2 only ÷ L1 + L2",
        notes=[
            f"L1 hit ratio {measured['l1_hit_ratio']:.1%} ({measured['l1_hits']:,} hits, {measured['l1_misses']:,}"
            f" sent to Redis) over {measured['keys']:,} keys of {measured['entry_bytes'] // 1000} kB, Zipf-read,"
            f" while another instance invalidated {measured['invalidations_per_second']:.0f} topics a second",
            f"L1 held {measured['l1_entries']:,} entries, {measured['l1_bytes'] / mib:.1f} MiB counted against its"
            f" bound of {measured['l1_max_bytes'] / mib:.1f} MiB; {measured['l1_heap_bytes'] / mib:.1f} MiB of heap",
            f"99th percentile: L2 only ÷ L1 + L2 = {l2['p99_us'] / both['p99_us']:.2f}",
        ],
        figures=measured,
        chart=[(f"{name}, p50", arm["p50_us"]) for name, arm in arms.items()],
        chart_unit="µs",
    )
