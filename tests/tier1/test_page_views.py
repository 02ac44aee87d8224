"""Page views from tier1: one Redis command in the request, multi-row INSERTs later, each view once,
and nothing but the views themselves lost when Redis is down. Real Redis, PostgreSQL and workers."""

from __future__ import annotations

import time

import pytest
import redis
from django.db import connection
from django.test.utils import CaptureQueriesContext

from app.analytics.buffer import Buffer
from app.analytics.models import PageView
from app.analytics.recorders import BufferedRecorder, View
from app.platform.seams import seam
from app.runner.processes import free_port
from tests.factories import PostFactory
from tests.tier1.conftest import eventually

pytestmark = pytest.mark.django_db


def inserts(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "analytics_pageview"')]


def a_view(n: int = 0, **fields: object) -> View:
    return View.now(**{"path": f"/page/{n}", "user_id": None, "post_id": None, **fields})  # type: ignore[arg-type]


@pytest.fixture
def buffer(page_views) -> Buffer:
    recorder = seam("PAGE_VIEWS")
    assert isinstance(recorder, BufferedRecorder)
    return recorder.buffer


def test_a_page_view_costs_the_request_no_redis_round_trip_and_no_sql(client, page_views, settings):
    # A recorder whose sender thread waits an hour: what reaches Redis is what this test sends.
    settings.PAGE_VIEW_BUFFER = {**settings.PAGE_VIEW_BUFFER, "SEND_SECONDS": 3600}
    settings.PAGE_VIEWS = settings.PAGE_VIEWS
    recorder = seam("PAGE_VIEWS")
    post = PostFactory()
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
        assert client.get(f"/posts/{post.pk}/").status_code == 200
        assert client.get("/api/v1/feed").status_code == 200
    assert not inserts(queries)
    assert not any("platform_jobrun" in q["sql"] for q in queries.captured_queries)  # no job either
    assert recorder.buffer.pending() == 0  # the requests did not wait on Redis
    assert recorder.send_now() == 3  # one RPUSH for the three
    assert recorder.buffer.pending() == 3


def test_the_sender_thread_pushes_on_its_own_in_one_command(buffer, monkeypatch):
    recorder = seam("PAGE_VIEWS")
    pushes: list[int] = []
    real = buffer.push_many
    monkeypatch.setattr(buffer, "push_many", lambda views: pushes.append(len(views)) or real(views))
    recorder.send_now()
    pushes.clear()
    with recorder.sender._sending:  # hold the thread off while the views queue up
        for n in range(30):
            recorder.record(a_view(n))
    eventually(lambda: buffer.pending() == 30, timeout=5)
    assert sum(pushes) == 30
    assert len(pushes) <= 2  # a batch, not thirty round trips


def test_a_full_queue_drops_and_counts_instead_of_growing(buffer, monkeypatch):
    recorder = seam("PAGE_VIEWS")
    monkeypatch.setattr(recorder.sender, "queue_limit", 5)
    recorder.send_now()
    with recorder.sender._sending:
        for n in range(8):
            recorder.record(a_view(n))
        assert buffer.dropped_here == 3
    recorder.send_now()


def test_views_reach_the_database_in_one_multi_row_insert_per_batch(buffer, page_views):
    post = PostFactory()
    for n in range(250):
        buffer.push(a_view(n, post_id=post.pk if n % 2 else None, user_id=n))
    with CaptureQueriesContext(connection) as queries:
        flushed = buffer.flush()
    assert (flushed.views, flushed.statements) == (250, 1)
    assert len(inserts(queries)) == 1
    stored = page_views()
    assert len(stored) == 250
    assert sum(1 for view in stored if view.post_id == post.pk) == 125
    assert buffer.pending() == 0


def test_a_batch_bigger_than_the_limit_is_split(buffer, monkeypatch):
    monkeypatch.setattr(buffer, "batch", 40)
    for n in range(100):
        buffer.push(a_view(n))
    flushed = buffer.flush()
    assert (flushed.views, flushed.statements) == (100, 3)
    assert PageView.objects.count() == 100


def test_a_flush_that_dies_after_writing_is_retried_without_counting_twice(buffer, monkeypatch):
    for n in range(20):
        buffer.push(a_view(n))
    real_delete = buffer.client.delete

    def lose_the_connection(*keys: str) -> int:
        raise redis.ConnectionError("connection lost after the INSERT")

    monkeypatch.setattr(buffer.client, "delete", lose_the_connection)
    with pytest.raises(redis.ConnectionError):
        buffer.flush()
    assert PageView.objects.count() == 20  # written, but Redis never heard it was
    assert buffer.pending() == 20  # still inflight

    monkeypatch.setattr(buffer.client, "delete", real_delete)
    buffer.client.delete(buffer.lock_key)  # the dead flush's lock (it expires on its own, later)
    buffer.push(a_view(99))  # a view that arrived meanwhile
    buffer.flush()
    assert PageView.objects.count() == 21
    assert buffer.pending() == 0


def test_a_second_flush_while_one_runs_leaves_the_batch_to_it(buffer):
    buffer.push(a_view())
    buffer.client.set(buffer.lock_key, "someone else", px=10_000)
    assert buffer.flush().views == 0
    assert buffer.pending() == 1


def test_an_entry_that_is_not_a_view_is_skipped_not_a_roadblock(buffer):
    buffer.client.rpush(buffer.key, b"\xff not json", b'["x", "/", "not an id", null, 1.0]')
    buffer.push(a_view())
    assert buffer.flush().views == 3
    assert PageView.objects.count() == 1
    assert buffer.pending() == 0


def test_with_redis_unreachable_views_are_dropped_counted_and_cost_no_wait():
    dead = Buffer(
        url=f"redis://127.0.0.1:{free_port()}/2",
        key="analytics:test-dead",
        batch=100,
        timeout_seconds=0.1,
        backoff_seconds=60,
        lock_seconds=10,
    )
    started = time.monotonic()
    assert not any(dead.push(a_view(n)) for n in range(200))
    assert time.monotonic() - started < 0.5  # the first push finds it down; the rest do not try
    assert dead.dropped_here == 200


@pytest.mark.django_db(transaction=True)
def test_pages_are_served_while_redis_is_down_and_the_drops_are_counted_when_it_is_back(
    client, broker, buffer, settings
):
    crash, start = broker
    crash(wipe=False)
    post = PostFactory()
    started = time.monotonic()
    for path in ("/", f"/posts/{post.pk}/", "/api/v1/feed", "/"):
        assert client.get(path).status_code == 200
    assert time.monotonic() - started < 3
    recorder = seam("PAGE_VIEWS")
    recorder.send_now()  # whatever the sender thread has not tried yet
    assert buffer.dropped_here == 4
    start()
    buffer._quiet_until = 0.0  # the backoff would otherwise keep it away for BACKOFF_SECONDS
    assert client.get("/").status_code == 200
    recorder.send_now()
    assert buffer.dropped_total() == 4  # carried to Redis with the first view after it came back
    assert buffer.dropped_here == 0
    assert buffer.flush().views == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("drained", "scheduler")
def test_the_scheduler_flushes_on_its_own(client, buffer):
    """The runner's scheduler (Celery beat) sends the flush job every few seconds; a worker runs it."""
    for _ in range(5):
        assert client.get("/").status_code == 200
    eventually(lambda: PageView.objects.filter(path="/").count() == 5, timeout=30, what="the scheduled flush")
    assert buffer.pending() == 0
