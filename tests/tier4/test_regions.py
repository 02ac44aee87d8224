"""The region-A outage drill: two regions on this machine, region A lost under a load on region B.

Region A is a private tier4 stack (the control database and two shards, their poolers, Redis and
an app instance); region B is the runner's ``RegionB`` beside it (app/runner/units/regions.py): a
standby per database streaming through the link (a proxy adding ``DELAY_MS`` each way), a writer
pooler per database leading to A through the link, a reader pooler on B's control standby, its
own Redis and cache, and an app instance (gunicorn) configured only by those addresses.

Clients of region B comment on a post through the API (writes: the team's shard, in region A)
and list their API tokens (reads: the control database, from B's standby, which go on while B
has no primary: tier4's ``STALE_READS``). Then region A dies
(its servers, poolers and app instance SIGKILLed, and the link cut), and the operator's step runs
as soon as a client sees an error: ``RegionB.promote`` (every standby promoted, every writer
pooler pointed at it and reloaded). Measured: the error window clients saw (the first failed
request → the first write that succeeded afterwards), how reads fared meanwhile, and which
acknowledged writes B never received (replication is asynchronous).
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import psycopg
import pytest
import requests

from app.platform.db.replica_health import parse_lsn
from app.runner import processes
from app.runner.stack import Stack, private_stack
from app.runner.units.kinds import Context
from app.runner.units.regions import DELAY_MS, RegionB
from config.env import shard_ports
from tests.conftest import stack_folder

pytestmark = pytest.mark.stack

#: Region A: what the drill needs of a tier4 stack, with one app instance.
REGION_A = {"postgres", "pgbouncer", "shards", "redis", "cache-redis", "migrate", "web"}
WRITERS, READERS = 3, 2
#: How long the operator waits at most for a client to see region A gone.
DETECTION_TIMEOUT = 15.0
#: Then how long region A must stay unreachable before the operator promotes B: a region is not
#: given up for one failed request. What users see meanwhile is what the drill measures.
CONFIRM_SECONDS = 3.0
#: From the first failed request to the first write that succeeds on region B again: the
#: operator's wait, promotion (about a second), then B's poolers and app finding the new primaries.
ERROR_WINDOW_BOUND = CONFIRM_SECONDS + 10.0

#: Run in region A (``manage.py shell``): a user with API tokens, a team, and a post on its shard.
SEED = """
import json
from app.accounts.models import User
from app.accounts.services import api_token_create
from app.platform.sharding import directory
from app.posts.services import post_publish
from app.teams.services import team_create

user = User.objects.create_user("drill", "drill@example.com", "drill-password-1")
team = team_create(owner=user, name="Region drill")
post = post_publish(author=user, team=team, title="Region drill", body="Comments arrive here.")
tokens = [api_token_create(user=user, name=f"client {n}")[1] for n in range(%d)]
print(json.dumps({"post": post.pk, "shard": directory.shard_of(team.pk), "tokens": tokens}))
"""


@dataclass
class Regions:
    a: Stack
    region: RegionB
    ctx: Context
    post: int
    shard: str
    tokens: list[str]


@pytest.fixture
def regions() -> Iterator[Regions]:
    with private_stack("tier4", stack_folder("regions"), only=REGION_A, WEB_INSTANCES="1") as a:
        seeded = subprocess.run(
            [a.ctx.python, "manage.py", "shell", "-c", SEED % (WRITERS + READERS)],
            env=a.ctx.env,
            cwd=a.ctx.base_dir,
            capture_output=True,
            text=True,
            check=False,
        )
        assert seeded.returncode == 0, seeded.stderr[-3000:]
        seed = json.loads(seeded.stdout.strip().splitlines()[-1])
        region, ctx = RegionB.beside(a.ctx)
        try:
            # As an operator starts it beside a running tier4 stack (`make region-b`); four threads
            # per process, so a request waiting on region A does not hold up every other client.
            runner(a, "region-b", WEB_THREADS="4")
            yield Regions(a, region, ctx, seed["post"], seed["shard"], seed["tokens"])
        finally:
            region.stop(ctx)


def runner(a: Stack, command: str, **env: str) -> str:
    """``python -m app.runner COMMAND`` on region A's stack, as ``make COMMAND`` runs it; its output."""
    done = subprocess.run(
        [a.ctx.python, "-m", "app.runner", command],
        env={**a.ctx.env, **env},
        cwd=a.ctx.base_dir,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}{done.stderr}"
    return done.stdout


@dataclass
class Request:
    kind: str
    started: float
    ended: float
    ok: bool
    outcome: str
    #: The comment's id, for a write that was acknowledged.
    row: int | None = None


@dataclass(eq=False)
class Client(threading.Thread):
    """One user of region B: writes (a comment each) or reads (their tokens), one after another."""

    url: str
    token: str
    kind: str
    stopping: threading.Event
    requests: list[Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(daemon=True)

    def run(self) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self.token}"
        numbers = itertools.count()
        while not self.stopping.is_set():
            started = time.monotonic()
            try:
                if self.kind == "write":
                    response = session.post(self.url, json={"body": f"drill {next(numbers)}"}, timeout=10)
                else:
                    response = session.get(self.url, timeout=10)
                ok = response.status_code < 300
                outcome = str(response.status_code)
                row = response.json()["id"] if ok and self.kind == "write" else None
            except requests.RequestException as error:
                ok, outcome, row = False, type(error).__name__, None
            self.requests.append(Request(self.kind, started, time.monotonic(), ok, outcome, row))
            if not ok:
                time.sleep(0.1)


class WalSampler(threading.Thread):
    """Region A's shard's WAL position, read every few milliseconds until A dies: a write
    acknowledged before a sample was asked for is at or before that sample's position."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        #: (when the sample was asked for, the position)
        self.samples: list[tuple[float, int]] = []

    def run(self) -> None:
        dsn = f"host=127.0.0.1 port={self.port} user=postgres dbname=milestones"
        try:
            with psycopg.connect(dsn, autocommit=True) as connection:
                while True:
                    asked = time.monotonic()
                    (position,) = connection.execute("SELECT pg_current_wal_lsn()::text").fetchone() or ("",)
                    self.samples.append((asked, parse_lsn(position) or 0))
                    time.sleep(0.01)
        except psycopg.Error:
            return


def kill_region_a(regions: Regions) -> None:
    """Region A's machines die and the link with them: every process SIGKILLed with its children
    (PostgreSQL's backends too), A's first, then the link's."""
    a = regions.a.ctx
    pids = [processes.read_pid(daemon.pidfile(a)) for daemon in regions.a.daemons()]
    pids.append(processes.read_pid(regions.region.link().pidfile(regions.ctx)))
    for pid in pids:
        if pid is not None:
            os.killpg(pid, signal.SIGKILL)


def test_region_a_is_lost_region_b_is_promoted_and_the_loss_is_what_b_had_not_received(regions):
    """Under writes and reads on region B, region A dies; the operator promotes B once A has been
    unreachable for ``CONFIRM_SECONDS`` after the first error a client saw. Writes succeed on B
    within ``ERROR_WINDOW_BOUND`` seconds of the first failed request, every write acknowledged
    before the WAL position B had received is on B, the writes lost are counted (asynchronous
    replication: what A acknowledged that B lacked), and every request succeeds from then on.
    Reads of the control database never fail: B's standby serves them throughout."""
    ctx, region = regions.ctx, regions.region
    base = region.url(ctx) + "api/v1/"
    number = int(regions.shard.removeprefix("shard"))
    sampler = WalSampler(shard_ports(number, regions.a.ctx.port("SHARD_PORT"))[0])
    stopping = threading.Event()
    clients = [
        Client(f"{base}posts/{regions.post}/comments", token, "write", stopping) for token in regions.tokens[:WRITERS]
    ] + [Client(f"{base}auth/tokens", token, "read", stopping) for token in regions.tokens[WRITERS:]]
    reader_pooler = region.readers()[0]

    def reads_served_in_b() -> int:
        rows = reader_pooler.admin(ctx, "SHOW STATS")
        return sum(int(row[1]) for row in rows if row[0] == "milestones")

    # A token's first use writes (its last_used_at, once a minute): done now, out of the measurement.
    for token in regions.tokens:
        requests.get(f"{base}auth/tokens", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    reads_before = reads_served_in_b()
    sampler.start()
    for client in clients:
        client.start()
    try:
        time.sleep(4)
        assert all(request.ok for client in clients for request in client.requests), "region B serves before the drill"
        assert all(client.requests for client in clients)
        assert reads_served_in_b() > reads_before, "the control database's reads are served by B's standby"

        killed_at = time.monotonic()
        kill_region_a(regions)
        served_at_kill = reads_served_in_b()
        standby = next(s for s in region.standbys() if s.database.name == regions.shard)

        def first_failure() -> float | None:
            failed = [r.started for c in clients for r in list(c.requests) if not r.ok]
            return min(failed) if failed else None

        processes.wait_until(lambda: first_failure() is not None, timeout=DETECTION_TIMEOUT, what="a client's error")
        detected_at = time.monotonic()
        time.sleep(CONFIRM_SECONDS)
        served_without_a = reads_served_in_b() - served_at_kill
        # The operator's step (`make promote-region`): it prints what B had received of each database.
        received = dict(
            line.split() for line in runner(regions.a, "promote-region").splitlines() if line.startswith("  ")
        )
        promoted_at = time.monotonic()

        def recovered() -> float | None:
            ok = [
                r.ended
                for c in clients
                for r in list(c.requests)
                if r.kind == "write" and r.ok and r.started > killed_at
            ]
            return min(ok) if ok else None

        processes.wait_until(lambda: recovered() is not None, timeout=ERROR_WINDOW_BOUND + 10, what="a write on B")
        time.sleep(2)  # writes go on on region B
    finally:
        stopping.set()
        for client in clients:
            client.join(timeout=15)

    failed_from, back_at = first_failure(), recovered()
    assert failed_from is not None
    assert back_at is not None
    window = back_at - failed_from
    done = [r for c in clients for r in c.requests]
    reads_during = [r for r in done if r.kind == "read" and failed_from <= r.started < back_at]
    acknowledged = [(r.row, r.ended) for r in done if r.kind == "write" and r.ok and r.row is not None]
    with psycopg.connect(
        f"host=127.0.0.1 port={standby.port(ctx)} user=postgres dbname=milestones", autocommit=True
    ) as connection:
        rows = connection.execute("SELECT id FROM posts_comment WHERE id = ANY(%s)", [[row for row, _ in acknowledged]])
        present = {row for (row,) in rows}
    lost = [(row, at) for row, at in acknowledged if row not in present]
    # A write acknowledged before a sample was asked for is at or before the sample's position, so
    # once that position is one B had received, the write is one B kept.
    replicated_to = parse_lsn(received[regions.shard]) or 0
    covered_until = max((asked for asked, position in sampler.samples if position <= replicated_to), default=0.0)
    must_be_kept = [row for row, at in acknowledged if at <= covered_until]
    before_kill = [row for row, at in acknowledged if at <= killed_at]
    slowest_read = max((r.ended - r.started for r in reads_during), default=0.0)
    print(
        f"\nregion drill: link {DELAY_MS:g} ms each way; first error {detected_at - killed_at:.2f}s after the kill; "
        f"B promoted {CONFIRM_SECONDS:g}s later, in {promoted_at - detected_at - CONFIRM_SECONDS:.2f}s"
        f"\n  error window {window:.2f}s (bound {ERROR_WINDOW_BOUND:g}s); failed requests by outcome: "
        f"{dict(Counter(r.outcome for r in done if not r.ok))}"
        f"\n  reads meanwhile: {sum(r.ok for r in reads_during)} ok, {sum(not r.ok for r in reads_during)} failed, "
        f"the slowest {slowest_read:.2f}s; {served_without_a} transactions on B's standby before the promotion"
        f"\n  writes: {len(before_kill)} acknowledged before the kill, {len(lost)} lost "
        f"({len(lost) / max(len(before_kill), 1):.1%}); {len(before_kill) - len(must_be_kept)} acknowledged after the "
        f"last position B had received ({received[regions.shard]}); {len(acknowledged)} acknowledged in all"
    )
    assert before_kill, "writes were acknowledged before region A died"
    assert must_be_kept, "B had received some of the acknowledged writes"
    assert not [row for row in must_be_kept if row not in present], "a write B had received is missing"
    assert all(at > killed_at - 1 for _, at in lost), "only the writes of A's last moments may be lost"
    assert window <= ERROR_WINDOW_BOUND
    assert reads_during, "clients read while region B had no primary"
    assert all(r.ok for r in reads_during), "reads of the control database are served by B's standby meanwhile"
    assert served_without_a > 0
    after = [r for r in done if r.started > back_at + 1]
    assert after, "clients went on after the recovery"
    assert all(r.ok for r in after), "region B serves every request once it holds the primaries"
