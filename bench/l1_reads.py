"""Hot-key reads of the application cache with and without L1, side by side in one process
(``bench.probe l1``, run by ``make bench S=l1`` with tier4's settings and a real cache Redis).

The reads follow a Zipf distribution over ``KEYS`` entries the size of a feed page, as a popular
site's pages are read: a few very hot, a long tail. Each entry depends on one of ``TOPICS`` topics;
a second cache instance (another app instance, as far as Redis can tell) invalidates a random
topic ``INVALIDATIONS_PER_SECOND`` times a second throughout, so L1 has to hear of the writes.
The two arms, ``LayeredCache`` (L1 + L2) and ``SharedCache`` (L2 only), read in alternating
blocks so that whatever else the machine does hits both alike.
"""

from __future__ import annotations

import random
import statistics
import threading
import time
import tracemalloc
from functools import partial
from typing import Any

from app.platform.caching.layered import LayeredCache
from app.platform.caching.shared import SharedCache

KEYS = 2_000
TOPICS = 50
ZIPF_S = 1.1
ENTRY_BYTES = 20_000
BLOCK = 500
INVALIDATIONS_PER_SECOND = 2


def hot_key_latency(reads: int) -> dict[str, Any]:
    """Each arm's read latency, and L1's hit ratio and memory, with L1 bounded as the settings say
    (``APP_CACHE_L1_MAX_BYTES``)."""
    rng = random.Random(7)
    weights = [1 / (rank + 1) ** ZIPF_S for rank in range(KEYS)]
    keys = rng.choices(range(KEYS), weights=weights, k=reads)
    layered, shared = LayeredCache(), SharedCache()
    layered.reset_stats()
    _wait_until_live(layered)
    arms: dict[str, SharedCache] = {"L1 + L2": layered, "L2 only": shared}
    for name, cache in arms.items():  # every entry in L2 already: the arms measure reads, not computing
        for key in range(KEYS):
            cache.value(_key(name, key), _topics(key), partial(_entry, key))
    writes = _Invalidations(LayeredCache())
    writes.start()
    before = layered.l1_state()
    timings: dict[str, list[float]] = {name: [] for name in arms}
    recomputes = dict.fromkeys(arms, 0)
    try:
        for start in range(0, reads, BLOCK):
            for name, cache in arms.items():
                for key in keys[start : start + BLOCK]:
                    began = time.perf_counter()
                    cache.value(_key(name, key), _topics(key), partial(_recomputed, recomputes, name, key))
                    timings[name].append((time.perf_counter() - began) * 1e6)
    finally:
        writes.stop()
    state = layered.l1_state()
    hits, misses = state["hits"] - before["hits"], state["misses"] - before["misses"]
    return {
        "reads": reads,
        "keys": KEYS,
        "entry_bytes": ENTRY_BYTES,
        "invalidations_per_second": writes.rate(),
        "arms": {
            name: {
                "p50_us": statistics.median(samples),
                "p99_us": statistics.quantiles(samples, n=100)[98],
                "mean_us": statistics.fmean(samples),
                "recomputes": recomputes[name],
            }
            for name, samples in timings.items()
        },
        # L1 lookups while the arms read (a refresh under the lock looks a second time).
        "l1_hits": hits,
        "l1_misses": misses,
        "l1_hit_ratio": hits / max(1, hits + misses),
        "l1_entries": state["entries"],
        "l1_bytes": state["bytes"],
        "l1_max_bytes": layered.l1_max_bytes,
        "l1_heap_bytes": _heap_held(layered, keys),
    }


def _key(arm: str, key: int) -> str:
    """Each arm reads entries of its own, so each recomputes what the invalidations cost it."""
    return f"l1-bench:{arm}:{key}"


def _topics(key: int) -> tuple[str, ...]:
    return (f"l1-bench-topic:{key % TOPICS}",)


def _entry(key: int) -> dict[str, Any]:
    """A value shaped like a cached page's: mostly one string of ``ENTRY_BYTES``."""
    return {"key": key, "html": ("<li>post</li>" * (ENTRY_BYTES // 13))[:ENTRY_BYTES], "etag": f"{key:032x}"}


def _recomputed(recomputes: dict[str, int], name: str, key: int) -> dict[str, Any]:
    recomputes[name] += 1  # an invalidated entry: computed again, as a page would be
    return _entry(key)


def _wait_until_live(cache: LayeredCache) -> None:
    cache.value("l1-bench:warm-up", ("l1-bench:warm-up",), lambda: 0)
    deadline = time.monotonic() + 10
    while not cache.l1_state()["live"]:
        if time.monotonic() > deadline:
            raise RuntimeError("the L1's subscriber never subscribed")
        time.sleep(0.01)


def _heap_held(cache: LayeredCache, keys: list[int]) -> int:
    """What L1's contents take in this process's heap (tracemalloc), refilled from L2 after being
    emptied: the bound counts entries as stored in Redis, this is what the objects cost."""
    tracemalloc.start()
    try:
        cache.forget_here()
        _wait_until_live(cache)
        before = tracemalloc.get_traced_memory()[0]
        for key in keys[:20_000]:
            cache.value(_key("L1 + L2", key), _topics(key), partial(_entry, key))
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


class _Invalidations(threading.Thread):
    """Another instance's writes: a random topic invalidated at a steady rate."""

    def __init__(self, cache: LayeredCache) -> None:
        super().__init__(daemon=True)
        self.cache = cache
        self.sent = 0
        self._stop_event = threading.Event()
        self._began = time.monotonic()
        self._ended = 0.0

    def run(self) -> None:
        rng = random.Random(11)
        while not self._stop_event.wait(1 / INVALIDATIONS_PER_SECOND):
            self.cache.invalidate([f"l1-bench-topic:{rng.randrange(TOPICS)}"])
            self.sent += 1

    def stop(self) -> None:
        self._stop_event.set()
        self.join()
        self._ended = time.monotonic()

    def rate(self) -> float:
        return self.sent / max(1e-9, (self._ended or time.monotonic()) - self._began)
