"""Measurements taken inside Django, run as a subprocess with a stack's environment.

``python -m bench.probe queries 5,20,50`` prints the queries one ``GET /api/v1/feed`` costs
at each page size; ``python -m bench.probe orders`` prints how many orders exist; ``restock ID`` gives a
product stock enough for any load; ``tokens N`` creates API tokens for N seeded users.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import django


def main() -> None:
    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from app.shop.models import Order

    command = sys.argv[1]
    if command == "queries":
        client = Client()
        counts = {}
        for size in [int(s) for s in sys.argv[2].split(",")]:
            with CaptureQueriesContext(connection) as queries:
                response = client.get(f"/api/v1/feed?page_size={size}")
            assert response.status_code == 200, response.status_code
            counts[size] = len(queries)
        print(json.dumps(counts))
    elif command == "orders":
        print(json.dumps(Order.objects.count()))
    elif command == "restock":
        print(json.dumps(restock(int(sys.argv[2]))))
    elif command == "flood":
        print(json.dumps(flood(int(sys.argv[2]))))
    elif command == "team-orders":
        print(json.dumps(team_orders(int(sys.argv[2]))))
    elif command == "cache-stats":
        print(json.dumps(cache_stats(reset=len(sys.argv) > 2 and sys.argv[2] == "reset")))
    elif command == "invalidate":
        from app.platform.caching import invalidate

        invalidate(*sys.argv[2:])
        print(json.dumps(sys.argv[2:]))
    elif command == "tokens":
        print(json.dumps(tokens(int(sys.argv[2]))))
    elif command == "page-view-cost":
        print(json.dumps(page_view_cost(int(sys.argv[2]))))
    elif command == "page-views":
        print(json.dumps(page_views()))
    elif command == "profile":
        print(json.dumps(profile(sys.argv[2], int(sys.argv[3]))))
    elif command == "seed-rate":
        print(json.dumps(seed_rate(int(sys.argv[2]), checked=sys.argv[3] == "checked")))
    elif command == "move-team":
        print(json.dumps(move_team_under_load(int(sys.argv[2]), writers=int(sys.argv[3]))))
    elif command == "l1":
        from bench.l1_reads import hot_key_latency

        print(json.dumps(hot_key_latency(int(sys.argv[2]))))
    elif command == "shard-writes":
        teams, writers, rounds = (int(n) for n in sys.argv[2:5])
        print(json.dumps(shard_writes(teams=teams, writers=writers, rounds=rounds, seconds=float(sys.argv[5]))))
    elif command == "index-timings":
        print(json.dumps(index_timings(users=int(sys.argv[2]))))
    else:
        raise SystemExit(f"unknown probe {command!r}")


def page_view_cost(calls: int) -> dict[str, dict[str, float]]:
    """Milliseconds one view costs the request, per recorder, measured in alternating blocks of
    100 calls so that drift on the machine hits both alike: median and 99th percentile."""
    import statistics
    import time

    from app.analytics.recorders import BufferedRecorder, JobRecorder, Recorder, View

    buffered = BufferedRecorder()

    class OnePushPerView:  # the buffer without the sender: a Redis round trip in the request
        def record(self, view: View) -> None:
            buffered.buffer.push(view)

    recorders: dict[str, Recorder] = {
        "one job per view": JobRecorder(),
        "one Redis push per view": OnePushPerView(),
        "Redis buffer": buffered,
    }
    timings: dict[str, list[float]] = {name: [] for name in recorders}
    for _ in range(max(1, calls // 100)):
        for name, recorder in recorders.items():
            for _ in range(100):
                view = View.now(path="/bench", user_id=None, post_id=None)
                started = time.perf_counter()
                recorder.record(view)
                timings[name].append((time.perf_counter() - started) * 1000)
    return {
        name: {"median_ms": statistics.median(t), "p99_ms": sorted(t)[int(len(t) * 0.99)]}
        for name, t in timings.items()
    }


def page_views() -> dict[str, int]:
    """Views stored, and views still in the buffer."""
    from app.analytics.models import PageView
    from app.analytics.recorders import BufferedRecorder
    from app.platform.seams import seam

    recorder = seam("PAGE_VIEWS")
    pending = recorder.buffer.pending() if isinstance(recorder, BufferedRecorder) else 0
    return {"stored": PageView.objects.count(), "pending": pending}


def profile(path: str, requests: int) -> dict[str, float]:
    """Where one request to ``path`` spends its time, in-process under pyinstrument: the share of
    the samples whose innermost Python frame is in each package."""
    from collections import Counter

    from django.test import Client
    from pyinstrument import Profiler

    client = Client(HTTP_HOST="127.0.0.1")  # an address the local environment allows
    for _ in range(20):  # warm: templates compiled, connections open
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    profiler = Profiler(interval=0.0002)
    profiler.start()
    for _ in range(requests):
        client.get(path)
    profiler.stop()
    session = profiler.last_session
    shares: Counter[str] = Counter()

    def walk(frame: Any, caller: str) -> None:
        # Synthetic frames ("[self]": a function's own time) and C built-ins count for the Python
        # code that called them.
        path = frame.file_path or ""
        package = caller if not path.endswith(".py") else _package(path)
        if frame.total_self_time:
            shares[package] += frame.total_self_time
        for child in frame.children:
            walk(child, package)

    root = session.root_frame() if session else None
    if root is None:
        return {}
    walk(root, "python")
    total = sum(shares.values()) or 1.0
    return {name: round(seconds / total, 3) for name, seconds in shares.most_common(8)}


def _package(path: str) -> str:
    """``django/db/models/sql`` for a frame in Django's SQL compiler; ``app/posts`` for ours."""
    if "site-packages/" in path:
        parts = path.split("site-packages/", 1)[1].split("/")
        return "/".join(parts[:4] if parts[0] == "django" else parts[:1])
    if "/app/" in path:
        return "app/" + path.split("/app/", 1)[1].split("/")[0]
    return "python/" + path.rsplit("/", 1)[-1]


def seed_rate(orders: int, *, checked: bool) -> dict[str, float]:
    """Seed a shop with ``orders`` orders (and users, posts, comments in proportion): rows a second."""
    import time

    from app.seeding.builders import SeedSize, seed

    size = SeedSize(
        users=orders // 50, teams=max(1, orders // 2000), posts=orders // 5, comments=orders // 2,
        products=max(1, orders // 200), orders=orders,
    )  # fmt: skip
    started = time.perf_counter()
    report = seed(size, seed=orders, checked=checked)
    seconds = time.perf_counter() - started
    return {"rows": report.total, "seconds": seconds, "rows_per_second": report.total / seconds}


def move_team_under_load(rows: int, *, writers: int) -> dict[str, float]:
    """Seed two teams of about ``rows`` rows each (tier4: one per shard), then move the first to the
    other shard while ``writers`` threads publish posts for it; what was acknowledged is counted
    against what arrived."""
    import time

    from app.platform.sharding import directory
    from app.platform.sharding.moving import move_team
    from app.platform.tenancy import team
    from app.posts.models import Post
    from app.seeding.builders import SeedSize, seed
    from app.teams.models import Membership
    from bench.team_writers import PostWriters

    # Per team: posts + comments (3 each) + orders with one item each, and a few products.
    posts = rows // 10
    size = SeedSize(users=200, teams=2, posts=2 * posts, comments=6 * posts, products=200, orders=3 * posts)
    seed(size, seed=rows)
    moving = directory.teams_on(directory.shards()[0])[0]
    owner = Membership.objects.filter(team_id=moving, role=Membership.Role.OWNER).select_related("user", "team").get()
    target = directory.shards()[1]
    with PostWriters(owner.user, owner.team, writers, body="written while moving") as load:
        time.sleep(1)
        report = move_team(moving, target, say=lambda line: None)
        time.sleep(1)
    acknowledged, refused = load.acknowledged, load.refused
    with team(moving):
        arrived = list(Post.objects.filter(body="written while moving").values_list("title", flat=True))
    return {
        "rows": report.rows,
        "seconds": report.seconds,
        "switched_after": report.switched_after,
        "rows_per_second": report.rows_per_second,
        "passes": len(report.passes),
        "pause_ms": report.pause_seconds * 1000,
        "acknowledged": len(acknowledged),
        "refused": refused,
        "lost": len(set(acknowledged) - set(arrived)),
        "duplicated": len(arrived) - len(set(arrived)),
    }


def shard_writes(*, teams: int, writers: int, rounds: int, seconds: float) -> dict[str, Any]:
    """The same write mix (``bench.team_writers.MixedWriters``) for ``teams`` teams all on the first
    shard ("1 shard") and for ``teams`` others dealt to both ("2 shards"), ``seconds`` each, the
    arms alternating for ``rounds`` rounds (ABBA…, so drift on the machine hits both alike). Per
    arm: the writes acknowledged, the write transactions and WAL bytes each shard's PostgreSQL
    took meanwhile, and the cores each part of the stack used."""
    import os
    import time
    from decimal import Decimal

    from django.conf import settings

    from app.accounts.models import User
    from app.platform.sharding import directory
    from app.platform.sharding.models import Placement
    from app.shop.services import product_create
    from app.teams.services import team_create
    from bench.cpu import CpuMeter, stack_sessions
    from bench.team_writers import MixedWriters, WriterTeam
    from config.env import VAR_DIR

    shards = directory.shards()[:2]
    arms = {"1 shard": [shards[0]] * teams, "2 shards": [shards[n % 2] for n in range(teams)]}
    # Enough buyers that none reaches the checkout limit (RATE_LIMITS["checkout-user"]) in a minute.
    buyers = User.objects.bulk_create(
        User(username=f"shards-buyer-{n}", email=f"shards-buyer-{n}@example.com") for n in range(2000)
    )
    mixes: dict[str, list[WriterTeam]] = {arm: [] for arm in arms}
    for index, (arm, homes) in enumerate(arms.items()):
        for number, home in enumerate(homes):
            name = f"shards-{index}-{number}"
            member = User.objects.create(username=name, email=f"{name}@example.com")
            created = team_create(owner=member, name=name)
            # A new team goes to the shard with the fewest teams; this one has no rows yet, so
            # its directory entry can name the arm's shard before anything is written.
            Placement.objects.using(directory.control()).filter(team_id=created.pk).update(shard=home)
            directory.forget(created.pk)
            product = product_create(actor=member, team=created, name="Bench item", price=Decimal("1.00"), stock=10**9)
            mixes[arm].append(WriterTeam(team=created, member=member, product_id=product.pk))

    def ask(alias: str, sql: str) -> tuple[Any, ...]:
        """One row from the shard's PostgreSQL itself, not through its pooler."""
        import psycopg
        from psycopg.conninfo import make_conninfo

        db = settings.DATABASES[f"{alias}-direct"]
        fields = {"host": "HOST", "port": "PORT", "user": "USER", "dbname": "NAME", "password": "PASSWORD"}
        dsn = make_conninfo(**{key: str(db[name]) for key, name in fields.items() if db.get(name)})
        with psycopg.connect(dsn, autocommit=True) as connection:
            row = connection.execute(sql).fetchone()
        assert row is not None
        return tuple(row)

    def written() -> dict[str, tuple[int, int]]:
        """Each shard's next transaction id and WAL position: read at once, unlike the counts of
        ``pg_stat_database``, which a pooled backend reports up to seconds after going idle."""
        sql = "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint, pg_current_wal_lsn() - '0/0'"
        rows = {alias: ask(alias, sql) for alias in shards}
        return {alias: (int(xid), int(wal)) for alias, (xid, wal) in rows.items()}

    def part(stem: str) -> str:
        if stem in shards:
            return f"{stem} PostgreSQL"
        if stem.removeprefix("pgbouncer-") in shards:
            return f"{stem.removeprefix('pgbouncer-')} PgBouncer"
        if stem in ("postgres", "replica", "pgbouncer", "pgbouncer-replica"):
            return "control database"
        return "redis" if "redis" in stem else "other services"

    meter = CpuMeter(stack_sessions(VAR_DIR / "run", part), {os.getpid(): "writers (this process)"})
    durability = dict(
        zip(
            ("fsync", "synchronous_commit", "wal_sync_method", "max_connections"),
            ask(
                shards[0],
                "SELECT current_setting('fsync'), current_setting('synchronous_commit'), "
                "current_setting('wal_sync_method'), current_setting('max_connections')",
            ),
            strict=True,
        )
    )
    measured: dict[str, list[dict[str, Any]]] = {arm: [] for arm in arms}
    for number in range(rounds):
        for arm in arms if number % 2 == 0 else reversed(list(arms)):
            before = written()
            meter.start()
            started = time.monotonic()
            with MixedWriters(mixes[arm], writers, buyers=buyers) as load:
                time.sleep(seconds)
            elapsed = time.monotonic() - started
            cores = meter.stop()
            after = written()
            measured[arm].append(
                {
                    "writes": len(load.acknowledged),
                    "seconds": elapsed,
                    "kinds": dict(load.kinds),
                    "refused": load.refused,
                    # Transactions that wrote (each was given a transaction id), and WAL bytes.
                    "transactions": {alias: after[alias][0] - before[alias][0] for alias in shards},
                    "wal_bytes": {alias: after[alias][1] - before[alias][1] for alias in shards},
                    "cores": cores,
                }
            )
    return {"rounds": measured, "placement": arms, "server": durability}


def restock(product_id: int) -> int:
    """Give a product stock for any load: the seeded shop keeps a small shop's, which a checkout
    benchmark buying the same product for minutes would sell out, measuring refusals instead."""
    from app.shop.models import Product

    return Product.objects.filter(pk=product_id).update(stock=10_000_000)


def team_orders(count: int) -> dict[str, object]:
    """``count`` placed orders of one item for the demo user's first team, spread over the last
    30 days (what its dashboard aggregates), in one INSERT … SELECT each: a busy team's month."""
    from django.db import connections

    from app.seeding.builders import DEMO_USERNAME
    from app.teams.models import Membership

    membership = Membership.objects.select_related("team").filter(user__username=DEMO_USERNAME, role="owner").first()
    assert membership is not None, "the demo user owns no team (seed with --demo)"
    team = membership.team
    product = team.products.order_by("id").first()
    assert product is not None, "the demo team sells nothing"
    with connections["default"].cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO shop_order (user_id, team_id, status, total, created_at, invoice)
            SELECT %s, %s, 'placed', %s, now() - (n %% 43200) * interval '1 minute', ''
            FROM generate_series(1, %s) AS n
            """,
            [membership.user_id, team.pk, product.price, count],
        )
        cursor.execute(
            """
            INSERT INTO shop_orderitem (order_id, product_id, quantity, unit_price)
            SELECT o.id, %s, 1, %s FROM shop_order o
            WHERE o.team_id = %s AND NOT EXISTS (SELECT 1 FROM shop_orderitem i WHERE i.order_id = o.id)
            """,
            [product.pk, product.price, team.pk],
        )
        # Settled before anything is measured: vacuumed and analysed now rather than by autovacuum
        # in the middle of a round, and (tier2 on) replayed by the replica that serves the reads.
        for table in ("shop_order", "shop_orderitem"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    _await_replay()
    return {"team": team.slug, "orders": team.orders.count()}


def _await_replay(timeout: float = 120.0) -> None:
    """Wait until the replica (if this tier has one) has replayed what the primary has written."""
    import time

    from django.conf import settings

    from app.platform.db.replica_health import parse_lsn, replayed
    from app.platform.db.routing import primary_position

    if "replica" not in settings.DATABASES:
        return
    written = parse_lsn(primary_position())
    if written is None:
        raise RuntimeError("the primary did not say its WAL position")
    deadline = time.monotonic() + timeout
    while not replayed("replica", written):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the replica has not replayed the primary's writes after {timeout:.0f}s")
        time.sleep(0.2)


def cache_stats(*, reset: bool) -> dict[str, int]:
    """The application cache's counters (tier3): lookups, misses, stale hits, recomputes; ``reset`` zeroes them."""
    from app.platform.caching.shared import SharedCache

    cache = SharedCache()
    stats = cache.stats()
    if reset:
        cache.reset_stats()
    return stats


def tokens(count: int) -> list[str]:
    """API tokens for ``count`` seeded users, one each (virtual users of a load test)."""
    from app.accounts.models import User
    from app.accounts.services import api_token_create

    users = list(User.objects.order_by("id")[:count])
    return [api_token_create(user=user, name="bench")[1] for user in users]


def flood(count: int) -> int:
    """Queue ``count`` page-view jobs on the bulk queue, through one producer, as fast as possible."""
    import time
    import uuid

    from app.analytics.jobs import record_page_view
    from app.platform.jobs.celery_tasks import run_job
    from config.celery import app

    with app.producer_pool.acquire(block=True) as producer:
        for _ in range(count):
            kwargs = {
                "event_id": uuid.uuid4().hex,
                "path": "/",
                "user_id": None,
                "post_id": None,
                "at": time.time(),  # a timestamp, as JobRecorder sends it (an ISO string failed every job)
            }
            run_job.apply_async(
                args=[record_page_view.name, kwargs, uuid.uuid4().hex],
                queue=record_page_view.queue,
                headers={"enqueued_at": time.time()},
                producer=producer,
            )
    return count


def index_timings(*, users: int) -> dict:
    """Median execution time and plan node of two queries over ``users`` different users.

    ``SELECT * FROM shop_order WHERE user_id = ?`` and the "My orders" page's own query,
    each timed by ``EXPLAIN (ANALYZE)`` after one warm-up run, so only the database's
    work is measured.
    """
    import statistics

    from django.db import connection

    from app.accounts.models import User
    from app.shop.models import Order

    ids = list(User.objects.order_by("pk").values_list("pk", flat=True)[: users * 50 : 50])
    page_query = Order.objects.filter(user_id=0).order_by("-created_at", "-id")[:21]
    page_sql, _ = page_query.query.sql_with_params()
    queries = {
        "WHERE user_id = ?": ("SELECT * FROM shop_order WHERE user_id = %s", lambda uid: [uid]),
        "my orders page (newest 21)": (page_sql, lambda uid: [uid]),
    }
    results = {}
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE shop_order")
        for label, (sql, params) in queries.items():
            times, nodes = [], set()
            for uid in ids:
                cursor.execute(sql, params(uid))  # warm the cache: measure the plan, not the disk
                cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params(uid))
                (plan,) = cursor.fetchone()
                times.append(plan[0]["Execution Time"])
                nodes.add(_scan_node(plan[0]["Plan"]))
            results[label] = {"median_ms": statistics.median(times), "nodes": sorted(nodes)}
    return results


def _scan_node(plan: dict) -> str:
    """The node that reads shop_order (e.g. "Parallel Seq Scan", "Index Scan using order_user_newest")."""
    if plan.get("Relation Name") == "shop_order":
        node = ("Parallel " if plan.get("Parallel Aware") else "") + plan["Node Type"]
        index = plan.get("Index Name") or next(
            (child.get("Index Name") for child in plan.get("Plans", []) if child.get("Index Name")), None
        )
        return node + (f" using {index}" if index else "")
    for child in plan.get("Plans", []):
        found = _scan_node(child)
        if found:
            return found
    return ""


if __name__ == "__main__":
    main()
