"""replica: a read-heavy mix against tier2; where the queries run, how far behind the replica is,
and whether anyone failed to read their own write.

Virtual users are threads, each a seeded user with its own API token and cookie jar (as a
browser has), pausing 1.5–4.5 s between actions as a person reading a page does. Most actions are
reads (the feed, a post, the products); some add a comment and at once read the post back,
which must show it (a read-your-writes violation otherwise). Both read-your-writes rules run,
on a stack each, at two mixes: ``window`` keeps a writer on the primary for ``PIN_SECONDS``,
``lsn`` until the replica has replayed the writer's WAL position. Queries per server come from
pg_stat_statements on the primary and on the standby (reset before the load; the app's
statements only). Lag is sampled every 100 ms: the primary's current
WAL position, then the time until the standby has replayed it.
"""

from __future__ import annotations

import random
import statistics
import threading
import time
from dataclasses import dataclass, field

import httpx
import psycopg

from app.runner.stack import Stack
from app.runner.units.postgres import Postgres
from app.runner.units.replica import Replica
from bench.report import Report
from bench.sampler import Sampler
from bench.sql import one
from bench.stacks import bench_stack, probe

USERS = 50  # every user the demo data seeds
THINK_SECONDS = (1.5, 4.5)
#: Statements on the app's own tables (Django quotes table names), not monitoring, health
#: checks or the foreign-key checks PostgreSQL runs inside an INSERT (``… FOR KEY SHARE OF x``):
#: reads (SELECT) and writes (everything else) counted apart.
APP_QUERIES = r"""
SELECT coalesce(sum(calls) FILTER (WHERE query ~* '^\s*SELECT'), 0),
       coalesce(sum(calls) FILTER (WHERE query !~* '^\s*SELECT'), 0)
FROM pg_stat_statements
WHERE query ~ '"(accounts|teams|posts|shop|analytics|platform|auth|django)_'
  AND query !~ 'FOR KEY SHARE OF x$'
"""


@dataclass
class Tally:
    reads: int = 0
    writes: int = 0
    errors: int = 0
    violations: int = 0
    latencies: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float, ok: bool) -> None:
        with self.lock:
            setattr(self, kind, getattr(self, kind) + 1)
            self.latencies.append(seconds)
            self.errors += 0 if ok else 1


#: Read/write mixes by share of requests, as the chance that an action is a write (a write is
#: two requests, the comment and its read-back): 1/9 makes writes 10% of requests, 1/19 5%.
MIXES = {"90/10": 1 / 9, "95/5": 1 / 19}
#: The share of reads the replica must serve under the "lsn" rule, per mix.
TARGETS = {"90/10": 0.80, "95/5": 0.88}
RULES = ("window", "lsn")


def run(*, seconds: float, quick: bool = False) -> Report:
    # Writes are few, so a measured run lasts at least 30 s to see enough of them.
    duration = max(seconds, 3) if quick else max(seconds, 30)
    results: dict[str, dict[str, dict]] = {}
    for rule in RULES:
        with bench_stack("tier2", f"replica-{rule}", REPLICA_READ_YOUR_WRITES=rule) as stack:
            results[rule] = {mix: _measure(stack, share, duration, quick) for mix, share in MIXES.items()}
    rows = []
    for mix in MIXES:
        for rule in RULES:
            r = results[rule][mix]
            rows.append(
                [
                    f"{mix}, {rule}",
                    r["queries"]["replica"]["reads"],
                    r["queries"]["primary"]["reads"],
                    f"{r['share']:.1%}",
                    f"{r['violations']} / {r['writes']}",
                    r["errors"],
                ]
            )
    lsn = results["lsn"]
    misses = [
        f"{mix} {lsn[mix]['share']:.1%} < {goal:.0%}" for mix, goal in TARGETS.items() if lsn[mix]["share"] < goal
    ]
    lags = [r["lag_ms"] for rule in RULES for r in results[rule].values()]
    return Report(
        scenario="replica",
        columns=["mix, rule", "replica SELECTs", "primary SELECTs", "replica share", "RYW violations", "errors"],
        rows=rows,
        ratio=lsn["90/10"]["share"],
        ratio_label="share of the app's reads served by the replica at 90/10, by WAL position (target ≥ 0.80)",
        notes=[
            f"{USERS} users for {duration:.0f}s per mix and rule, each writer reading its comment back at once; "
            "window = a writer's reads stay on the primary for PIN_SECONDS, lsn = until the replica has "
            "replayed the primary's WAL position after the write",
            "targets for lsn: "
            + ", ".join(f"{mix} ≥ {goal:.0%}" for mix, goal in TARGETS.items())
            + (": met" if not misses else "; missed: " + ", ".join(misses)),
            "replication lag p50/p99 per run (ms): " + ", ".join(f"{lag['p50']:.1f}/{lag['p99']:.1f}" for lag in lags),
            "the app's statements only: not the router's position checks (SELECT pg_current_wal_lsn() after a "
            "write, pg_last_wal_replay_lsn() for a read carrying one) nor the health probes",
        ],
        figures=results,
        chart=[(f"{mix} {rule}", results[rule][mix]["share"]) for mix in MIXES for rule in RULES],
        chart_unit="share of reads on the replica",
    )


def _measure(stack: Stack, write_share: float, duration: float, quick: bool) -> dict:
    """One mix on a running stack: fresh statement counters, users for ``duration``, the tallies."""
    base = stack.url().rstrip("/")
    posts = [p["id"] for p in httpx.get(base + "/api/v1/feed", timeout=30).json()["items"]]
    tokens = probe(stack, "tokens", str(USERS))
    # A token's first use stamps last_used_at (a write, then at most once a minute): do it
    # before measuring, as in a steady state.
    for token in tokens:
        httpx.get(base + "/api/v1/auth/tokens", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    time.sleep(1.5)
    servers = {"primary": stack.unit(Postgres), "replica": stack.unit(Replica)}
    dsns = {name: server.dsn(stack.ctx, "milestones") for name, server in servers.items()}
    for dsn in dsns.values():
        _statements(dsn, reset=True)
    tally, stop = Tally(), threading.Event()
    lag = _LagSampler(*(server.dsn(stack.ctx, "postgres") for server in servers.values()))
    # A smoke run is a handful of actions, too few to be sure one of them writes: there the
    # first user writes first, so read-your-writes is exercised every time.
    users = [
        threading.Thread(target=_user, args=(base, posts, token, tally, stop, write_share, quick and n == 0))
        for n, token in enumerate(tokens)
    ]
    lag.start()
    for user in users:
        user.start()
    time.sleep(duration)
    stop.set()
    for user in users:
        user.join()
    lag.stop()
    queries = {name: _statements(dsn) for name, dsn in dsns.items()}
    reads_total = sum(q["reads"] for q in queries.values()) or 1
    lags = sorted(lag.samples) or [0.0]
    return {
        "queries": queries,
        "share": queries["replica"]["reads"] / reads_total,
        "requests": tally.reads + tally.writes,
        "reads": tally.reads,
        "writes": tally.writes,
        "errors": tally.errors,
        "violations": tally.violations,
        "lag_ms": {"p50": _percentile(lags, 50) * 1000, "p99": _percentile(lags, 99) * 1000, "max": lags[-1] * 1000},
    }


def _user(
    base: str,
    posts: list[int],
    token: str,
    tally: Tally,
    stop: threading.Event,
    write_share: float,
    write_first: bool = False,
) -> None:
    rng = random.Random()
    headers = {"Authorization": f"Bearer {token}"}
    # Idle connections are dropped before gunicorn's 2 s keep-alive ends, so a request never
    # races the server closing the connection it is sent on (browsers retry those; httpx does not).
    limits = httpx.Limits(keepalive_expiry=1.0)
    # verify=False: plain HTTP on loopback; skips loading CA certificates for each of many clients.
    with httpx.Client(base_url=base, timeout=30, headers=headers, limits=limits, verify=False) as client:  # noqa: S501
        if write_first:
            _write_and_read_back(client, rng.choice(posts), f"bench {rng.getrandbits(64):x}", tally)
        while not stop.wait(rng.uniform(*THINK_SECONDS)):
            try:
                _act(client, rng, posts, tally, write_share)
            except httpx.TransportError:
                tally.add("reads", 0.0, ok=False)


def _act(client: httpx.Client, rng: random.Random, posts: list[int], tally: Tally, write_share: float) -> None:
    """One action of a user: usually a read, sometimes a comment read straight back."""
    if rng.random() < write_share:
        _write_and_read_back(client, rng.choice(posts), f"bench {rng.getrandbits(64):x}", tally)
        return
    path = rng.choice(
        [
            "/api/v1/feed",
            f"/api/v1/feed?page={rng.randint(1, 3)}",
            f"/api/v1/posts/{rng.choice(posts)}",
            "/api/v1/products",
        ]
    )
    started = time.perf_counter()
    response = client.get(path)
    tally.add("reads", time.perf_counter() - started, response.status_code == 200)


def _write_and_read_back(client: httpx.Client, post: int, body: str, tally: Tally) -> None:
    """Comment, then read the post back at once: the comment must be there."""
    started = time.perf_counter()
    created = client.post(f"/api/v1/posts/{post}/comments", json={"body": body})
    tally.add("writes", time.perf_counter() - started, created.status_code == 201)
    started = time.perf_counter()
    back = client.get(f"/api/v1/posts/{post}")
    tally.add("reads", time.perf_counter() - started, back.status_code == 200)
    if created.status_code == 201 and body not in {c["body"] for c in back.json().get("comments", [])}:
        with tally.lock:
            tally.violations += 1


def _statements(dsn: str, *, reset: bool = False) -> dict[str, int]:
    """Calls of the app's statements on one server since the last reset: reads and writes."""
    with psycopg.connect(dsn, autocommit=True) as connection:
        if reset:
            connection.execute("SELECT pg_stat_statements_reset()")
            return {}
        reads, writes = one(connection.execute(APP_QUERIES))
        return {"reads": int(reads), "writes": int(writes)}


class _LagSampler(Sampler):
    """Every 100 ms: note the primary's WAL position, time how long until the standby replays it."""

    def __init__(self, primary_dsn: str, replica_dsn: str) -> None:
        self.dsns = (primary_dsn, replica_dsn)
        self.samples: list[float] = []
        super().__init__()

    def sample(self) -> None:
        with (
            psycopg.connect(self.dsns[0], autocommit=True) as primary,
            psycopg.connect(self.dsns[1], autocommit=True) as replica,
        ):
            while not self.stopping:
                (position,) = one(primary.execute("SELECT pg_current_wal_lsn()"))
                started = time.perf_counter()
                while not one(replica.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [position]))[0]:
                    time.sleep(0.001)
                self.samples.append(time.perf_counter() - started)
                time.sleep(0.1)


def _percentile(values: list[float], pct: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(pct) - 1]
