"""tier2 reads from a streaming replica: the router's rules, against the real primary and standby.

Replay is paused on the standby (``pg_wal_replay_pause()``) to make it stale on purpose:
then a read that reaches it cannot see a write that has just happened, which is how these
tests tell which server answered.
"""

from __future__ import annotations

import contextvars
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import psycopg
import pytest
from django.db import connections, router, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from app.platform.db import replica_health
from app.platform.db.routing import LSN_COOKIE, LSN_HEADER, PIN_COOKIE, primary
from app.posts.models import Post
from tests.factories import PostFactory, UserFactory
from tests.tier1.conftest import eventually

JSON = "application/json"


def _dsn(stack, server: str) -> str:
    return stack.service(server).dsn(stack.ctx, "postgres")


def caught_up(stack) -> None:
    """Wait until the standby has replayed everything the primary has written so far."""
    with psycopg.connect(_dsn(stack, "postgres"), autocommit=True) as primary_db:
        target = primary_db.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
    with psycopg.connect(_dsn(stack, "replica"), autocommit=True) as standby:
        eventually(
            lambda: standby.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]).fetchone()[0],
            what="the replica to catch up",
        )


@contextmanager
def replay_paused(stack) -> Iterator[None]:
    """The standby keeps receiving WAL but stops applying it, so it falls behind on purpose."""
    caught_up(stack)
    with psycopg.connect(_dsn(stack, "replica"), autocommit=True) as standby:
        standby.execute("SELECT pg_wal_replay_pause()")
        try:
            yield
        finally:
            standby.execute("SELECT pg_wal_replay_resume()")
    caught_up(stack)


@pytest.fixture(autouse=True)
def _fresh_replica_marks() -> Iterator[None]:
    replica_health.reset()
    yield
    replica_health.reset()


def in_new_context(func, *args):
    """Run ``func`` as a new request would: no pin, no earlier write in this thread."""
    return contextvars.Context().run(func, *args)


pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", "replica"]),
    pytest.mark.usefixtures("inline_jobs"),
]


def test_reads_go_to_the_replica_and_writes_to_the_primary():
    assert in_new_context(router.db_for_read, Post) == "replica"
    assert in_new_context(router.db_for_write, Post) == "default"
    assert connections["replica"].cursor().execute("SELECT pg_is_in_recovery()").fetchone()[0] is True


def test_reads_inside_a_transaction_or_a_job_stay_on_the_primary():
    def routed() -> tuple[str, str, str]:
        with transaction.atomic():
            inside = router.db_for_read(Post)
        with primary():
            job = router.db_for_read(Post)
        return inside, job, router.db_for_read(Post)

    assert in_new_context(routed) == ("default", "default", "replica")


def test_a_read_after_a_write_in_the_same_request_stays_on_the_primary():
    def routed() -> tuple[str, str]:
        before = router.db_for_read(Post)
        router.db_for_write(Post)
        return before, router.db_for_read(Post)

    assert in_new_context(routed) == ("replica", "default")


def test_migrations_never_run_on_the_replica():
    assert router.allow_migrate("replica", "posts", model_name="post") is False
    assert router.allow_migrate_model("replica", Post) is False
    assert router.allow_migrate_model("default", Post) is True


def _token_client(user) -> tuple[Client, dict[str, str]]:
    from app.accounts.services import api_token_create

    return Client(), {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=user, name='t')[1]}"}


def test_a_writer_reads_its_own_write_while_the_replica_lags(tier_services, settings):
    settings.REPLICA_ROUTING = {**settings.REPLICA_ROUTING, "MAX_LAG_SECONDS": 3600}  # keep using the stale replica
    post = PostFactory()
    writer, headers = _token_client(UserFactory())
    writer.get("/api/v1/auth/tokens", **headers)  # the token's first use stamps last_used_at (a write)
    writer.cookies.pop(LSN_COOKIE, None)
    with replay_paused(tier_services):
        created = writer.post(f"/api/v1/posts/{post.pk}/comments", {"body": "mine"}, content_type=JSON, **headers)
        assert created.status_code == 201, created.content
        position = created.headers[LSN_HEADER]
        assert writer.cookies[LSN_COOKIE].value == position
        assert writer.cookies[LSN_COOKIE]["httponly"]
        # The replica has not replayed the writer's position, so the writer reads the primary …
        mine = writer.get(f"/api/v1/posts/{post.pk}", **headers)
        assert [c["body"] for c in mine.json()["comments"]] == ["mine"]
        # Served by the primary, so handed the primary's position now: at least the write's.
        renewed = replica_health.parse_lsn(mine.cookies[LSN_COOKIE].value)
        assert renewed >= replica_health.parse_lsn(position)
        # … and so does a client without cookies that sends the position back in the header …
        header_only = Client().get(f"/api/v1/posts/{post.pk}", HTTP_X_PRIMARY_LSN=position)
        assert [c["body"] for c in header_only.json()["comments"]] == ["mine"]
        # … while a reader that never wrote is served by the stale replica.
        assert Client().get(f"/api/v1/posts/{post.pk}").json()["comments"] == []
        assert replica_health.report()["replica"]["usable"] is True
    # Replayed now: the writer's next read goes to the replica, and the position is dropped.
    back = writer.get(f"/api/v1/posts/{post.pk}", **headers)
    assert [c["body"] for c in back.json()["comments"]] == ["mine"]
    assert back.cookies[LSN_COOKIE].value == ""
    assert Client().get("/api/v1/feed", HTTP_X_PRIMARY_LSN=position).status_code == 200


def test_a_read_carrying_a_replayed_position_goes_to_the_replica():
    """With a position the replica has passed (or a nonsense one), reads stay on the replica."""

    def routed(position: str | None) -> str:
        from app.platform.db import routing

        routing._after.set(replica_health.parse_lsn(position))
        return router.db_for_read(Post)

    assert in_new_context(routed, "0/1") == "replica"
    assert in_new_context(routed, "FFFFFFFF/FFFFFFFF") == "default"  # far ahead of any replay
    assert in_new_context(routed, None) == "replica"
    for nonsense in ("", "12", "/", "0x1/2", "-1/2", "1/2/3", "G/1", "123456789/1"):
        assert replica_health.parse_lsn(nonsense) is None, nonsense
    assert replica_health.parse_lsn("16/B374D848") == (0x16 << 32) + 0xB374D848


def test_what_a_client_saw_on_the_primary_it_can_act_on(tier_services, settings):
    """Causal, not only read-your-writes: a client served by the primary (its own write was not
    replayed yet) is handed the primary's position, so its next request, a write included,
    reads at least that much, while everyone else still reads the stale replica."""
    settings.REPLICA_ROUTING = {**settings.REPLICA_ROUTING, "MAX_LAG_SECONDS": 3600}  # keep using the stale replica
    seen = PostFactory()
    writer, headers = _token_client(UserFactory())
    writer.get("/api/v1/feed", **headers)
    with replay_paused(tier_services):
        mine = writer.post(f"/api/v1/posts/{seen.pk}/comments", {"body": "first"}, content_type=JSON, **headers)
        assert mine.status_code == 201
        fresh = PostFactory()  # someone else's, after the writer's comment: on the primary only
        assert Client().get(f"/api/v1/posts/{fresh.pk}").status_code == 404  # the replica has not got it
        shown = writer.get(f"/api/v1/posts/{fresh.pk}", **headers)  # the writer's position sends it to the primary
        assert shown.status_code == 200
        assert replica_health.parse_lsn(shown.headers[LSN_HEADER]) > replica_health.parse_lsn(mine.headers[LSN_HEADER])
        acted = writer.post(f"/api/v1/posts/{fresh.pk}/comments", {"body": "on it"}, content_type=JSON, **headers)
        assert acted.status_code == 201, acted.content


def test_a_write_request_reads_the_replica_until_it_writes(tier_services):
    """By position, what a write request reads before writing (its token, the post) comes from the
    replica when the client has nothing unreplayed; the write and what follows go to the primary."""
    post = PostFactory()
    writer, headers = _token_client(UserFactory())
    caught_up(tier_services)  # the token, made in this process, has reached the replica
    assert writer.get("/api/v1/auth/tokens", **headers).status_code == 200  # its first use stamps it: a write
    caught_up(tier_services)
    replica_health._state("replica").replayed_lsn = 2**64  # the last probe saw everything
    with CaptureQueriesContext(connections["replica"]) as on_replica:
        created = writer.post(f"/api/v1/posts/{post.pk}/comments", {"body": "x"}, content_type=JSON, **headers)
    assert created.status_code == 201
    assert any('"posts_post"' in q["sql"] for q in on_replica.captured_queries)
    assert not any(q["sql"].startswith(("INSERT", "UPDATE")) for q in on_replica.captured_queries)


def test_the_window_rule_pins_for_the_window(tier_services, settings):
    settings.REPLICA_ROUTING = {**settings.REPLICA_ROUTING, "READ_YOUR_WRITES": "window", "PIN_SECONDS": 0.5}
    post = PostFactory()
    caught_up(tier_services)
    writer, headers = _token_client(UserFactory())
    assert writer.post(f"/api/v1/posts/{post.pk}/comments", {"body": "x"}, content_type=JSON, **headers).status_code
    assert LSN_COOKIE not in writer.cookies
    pin = float(writer.cookies[PIN_COOKIE].value)
    assert 0 < pin - time.time() <= 0.5 + 0.001  # the cookie keeps milliseconds
    # A forged far-future pin is capped to the window, so a client cannot keep itself on the primary.
    writer.cookies[PIN_COOKIE] = str(time.time() + 86_400)
    assert writer.get("/api/v1/feed").status_code == 200


def test_a_lagging_replica_is_skipped_and_used_again_once_it_catches_up(tier_services, settings, caplog):
    settings.REPLICA_ROUTING = {**settings.REPLICA_ROUTING, "MAX_LAG_SECONDS": 0.3, "CHECK_SECONDS": 0.1}
    post = PostFactory()
    with replay_paused(tier_services):
        Post.objects.filter(pk=post.pk).update(title="changed on the primary")
        time.sleep(0.6)
        # Lag is now past the limit: once a second probe confirms it, reads fall back to the primary.
        eventually(
            lambda: Client().get(f"/api/v1/posts/{post.pk}").json()["title"] == "changed on the primary",
            timeout=5,
            what="reads to move to the primary",
        )
        state = replica_health.report()["replica"]
        assert state["usable"] is False
        assert state["reason"].startswith("lagging")
        assert state["reads_sent_to_primary"]["lagging"] >= 1
        assert "replica replica skipped" in caplog.text

    # Other writers (the workers' heartbeats, page views) may send WAL in the meantime; a probe that
    # lands between its arrival and its replay reads "behind" once, so recovery is awaited, not timed.
    def back_in_use() -> bool:
        assert Client().get(f"/api/v1/posts/{post.pk}").status_code == 200
        return replica_health.report()["replica"]["usable"] is True

    eventually(back_in_use, timeout=5, what="reads to return to the caught-up replica")
    assert "replica replica is back" in caplog.text


def test_a_replica_that_dies_between_probes_costs_a_retry_on_the_primary_not_an_error(tier_services, caplog):
    post = PostFactory()
    caught_up(tier_services)
    assert Client().get(f"/api/v1/posts/{post.pk}").status_code == 200  # probed: usable until the next probe
    state = replica_health._state("replica")
    state.next_probe = time.monotonic() + 60  # so only the failing query itself can tell
    service = tier_services.service("replica")
    service.stop(tier_services.ctx)
    try:
        response = Client().get(f"/api/v1/posts/{post.pk}")
        assert response.status_code == 200
        assert response.json()["id"] == post.pk
        report = replica_health.report()["replica"]
        assert report["usable"] is False
        assert report["reason"].startswith("down")
        assert "replica replica skipped" in caplog.text
        # Skipped now: the next read goes straight to the primary.
        assert Client().get(f"/api/v1/posts/{post.pk}").status_code == 200
    finally:
        service.start(tier_services.ctx)
        caught_up(tier_services)


def test_a_pin_shorter_than_the_time_to_notice_a_stalled_replica_is_refused(settings):
    from app.platform.checks import check_replica_routing

    assert check_replica_routing() == []
    settings.REPLICA_ROUTING = {**settings.REPLICA_ROUTING, "PIN_SECONDS": 0.5}
    assert check_replica_routing() == []  # the pin is the "window" rule's alone
    settings.REPLICA_ROUTING = {**settings.REPLICA_ROUTING, "READ_YOUR_WRITES": "window"}
    assert [error.id for error in check_replica_routing()] == ["platform.E005"]
    settings.REPLICA_ROUTING = {**settings.REPLICA_ROUTING, "READ_YOUR_WRITES": "eventually"}
    assert [error.id for error in check_replica_routing()] == ["platform.E008"]


@pytest.mark.stack
def test_with_the_replica_stopped_the_site_still_serves_every_page(tier_stack):
    base = tier_stack.url().rstrip("/")
    client = httpx.Client(base_url=base, timeout=15, follow_redirects=True)
    login = client.get("/accounts/login/")
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
    client.post("/accounts/login/", data={"username": "demo", "password": "demo12345", "csrfmiddlewaretoken": csrf})
    pages = ["/", "/shop/", "/teams/", "/orders/", "/api/v1/feed", "/api/v1/products", "/api/v1/orders"]
    html = client.get("/").text + client.get("/shop/").text + client.get("/teams/").text + client.get("/orders/").text
    for pattern in (
        r'href="(/posts/\d+/)"',
        r'href="(/shop/[\w-]+/[\w-]+/)"',
        r'href="(/teams/[\w-]+/)"',
        r'href="(/orders/\d+/)"',
    ):
        found = re.search(pattern, html)
        assert found, f"no link matching {pattern}"
        pages.append(found.group(1))
    pages.append(
        re.sub(
            r"^/teams/([\w-]+)/$",
            r"/teams/\1/dashboard/",
            next(p for p in pages if p.startswith("/teams/") and p != "/teams/"),
        )
    )
    assert {page: client.get(page).status_code for page in pages} == dict.fromkeys(pages, 200)

    service, ctx = tier_stack.service("replica"), tier_stack.ctx
    service.stop(ctx)
    try:
        eventually(lambda: service.status(ctx) == "stopped", what="the replica to stop")
        # Each app process notices at its next probe (REPLICA_ROUTING["CHECK_SECONDS"] = 1).
        time.sleep(1.5)
        served = {page: client.get(page).status_code for page in pages}
        assert served == dict.fromkeys(pages, 200)
        client.cookies.clear()
        assert client.get("/").status_code == 200
    finally:
        service.start(ctx)
    client.close()
