"""The scaling doctor on real servers, each problem made to happen: an index dropped, a worker
stopped, connections used up (lazy loading turned on is in tests/test_doctor.py, which runs in
this pass too). Each test also shows the doctor healthy again once the problem is undone, so
none of its checks passes by saying nothing."""

from __future__ import annotations

import math
import re
import time

import psycopg
import pytest
from django.db import connection

from app.analytics.jobs import record_page_view
from app.platform.db.routing import primary
from app.platform.doctor import Status, examine
from app.platform.doctor.database import reset_statistics
from app.platform.jobs.celery_tasks import publish
from app.posts.models import Post
from app.posts.selectors import post_detail
from tests.factories import TeamFactory, UserFactory
from tests.tier1.conftest import eventually

pytestmark = pytest.mark.django_db(transaction=True)

SCANS = {"CHECKS": ["app.platform.doctor.database.sequential_scans"]}
INDEX = "comment_post_oldest"
SUGGESTED = "posts_comment_post_id_created_at_id"


def _sql(statement: str, params: list | None = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


@pytest.fixture
def many_comments() -> list[int]:
    """12,000 comments over 200 posts, the statement statistics on, the comments' index dropped
    (put back afterwards)."""
    _sql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    team, author = TeamFactory(), UserFactory()
    Post.objects.bulk_create(Post(team=team, author=author, title=f"Post {n}", body="…") for n in range(200))
    _sql(
        "INSERT INTO posts_comment (post_id, author_id, body, created_at)"
        " SELECT p.id, %s, 'A comment.', now() - g * interval '1 minute'"
        " FROM posts_post p CROSS JOIN generate_series(1, 60) g",
        [author.pk],
    )
    _sql("ANALYZE posts_comment")
    ((definition, comment),) = _sql(
        "SELECT pg_get_indexdef(%s::regclass), obj_description(%s::regclass, 'pg_class')", [INDEX, INDEX]
    )
    _sql(f"DROP INDEX {INDEX}")
    yield list(Post.objects.values_list("id", flat=True)[:25])
    # The schema outlives the test's data: the milestone's index back as it was (its comment
    # says what it serves, tests/tier1/test_indexes.py), the doctor's suggestion gone.
    _sql(f"DROP INDEX IF EXISTS {SUGGESTED}")
    _sql(definition)
    _sql(f"COMMENT ON INDEX {INDEX} IS %s", [comment])


def _read_posts(ids: list[int]) -> None:
    """Open each post's page's query (its comments), then ask this backend to publish its counters."""
    with primary():
        for post_id in ids:
            post_detail(post_id=post_id)
    _sql("SELECT pg_stat_force_next_flush()")


def _index_scans() -> int:
    ((scans,),) = _sql("SELECT coalesce(idx_scan, 0) FROM pg_stat_user_tables WHERE relname = 'posts_comment'")
    return scans


def test_a_dropped_index_is_found_with_the_statement_and_the_index_it_needs(many_comments, capsys):
    reset_statistics()
    _read_posts(many_comments)

    def found():
        report = examine(SCANS)
        return report if report.problems else None

    report = eventually(found, timeout=30, what="the scans to reach the statistics")
    print(report.as_text())
    (finding,) = report.problems
    assert finding.problem == "missing-index"
    assert finding.summary == "posts_comment is read by full scans"
    scans = re.fullmatch(
        r"posts_comment: 12,000 rows, (\d+) sequential scans \(100% of its scans\) .*",
        finding.evidence[0],
    )
    assert scans, finding.evidence[0]
    assert int(scans[1]) >= len(many_comments)  # counters other backends flush late may add a few
    assert 'FROM "posts_comment"' in finding.evidence[1]
    assert '"posts_comment"."post_id" IN' in finding.evidence[1]
    assert finding.evidence[2] == (
        f"likely index: CREATE INDEX CONCURRENTLY {SUGGESTED} ON posts_comment (post_id, created_at, id)"
    )
    assert finding.advice("tier1")["fix"].startswith("tier1's milestone is already on (tier1): the query is new")
    assert finding.advice("tier0")["fix"].startswith("tier1 fixes it (you are on tier0): the index milestone")

    # The index the doctor names, added: the same reads use it, and the doctor is content.
    _sql(finding.evidence[2].removeprefix("likely index: ").replace(" CONCURRENTLY", ""))
    reset_statistics()
    _read_posts(many_comments)
    eventually(lambda: _index_scans() >= len(many_comments), timeout=30, what="the index scans to be counted")
    report = examine(SCANS)
    assert [f.status for f in report.findings] == [Status.OK], report.as_text()


def test_a_stopped_worker_shows_as_its_queue_backing_up(workers, drained, settings, capsys):
    settings.QUEUE_ALERTS = {}  # the doctor's own limits, one second here
    options = {"CHECKS": ["app.platform.doctor.jobs.job_queues"], "QUEUE_AGE_SECONDS": 1}
    workers.service("workers").stop(workers.ctx)
    try:
        for n in range(5):
            kwargs = {"event_id": f"{n:032d}", "path": "/", "user_id": None, "post_id": None, "at": time.time()}
            publish(record_page_view, kwargs, f"doctor-{n}")
        time.sleep(1.5)
        report = examine(options)
    finally:
        workers.service("workers").start(workers.ctx)
    print(report.as_text())
    (finding,) = report.problems
    assert finding.problem == "queue-backing-up"
    assert finding.summary.startswith("bulk: 5 waiting, oldest ")
    assert finding.evidence == ["limits: 100 jobs or 1 s; are its workers running?"]

    # Its worker back: the queue drains and the doctor says so.
    def healthy():
        return not examine(options).problems

    eventually(healthy, timeout=60, what="the restarted worker to drain the queue")


def test_connections_near_the_servers_limit_are_named(tier_services, capsys):
    options = {"CHECKS": ["app.platform.doctor.database.connections_in_use"]}
    ((in_use, limit),) = _sql(
        "SELECT count(*) FILTER (WHERE backend_type = 'client backend'),"
        " current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int"
        " FROM pg_stat_activity"
    )
    needed = math.ceil(0.8 * limit) - in_use + 1
    dsn = tier_services.service("postgres").dsn(tier_services.ctx, "postgres")
    held = [psycopg.connect(dsn, autocommit=True) for _ in range(needed)]
    try:
        report = examine(options)
    finally:
        for held_connection in held:
            held_connection.close()
    print(report.as_text())
    (finding,) = report.problems
    assert finding.problem == "connection-saturation"
    assert f"of {limit} connections in use" in finding.summary
    assert "do not raise max_connections" in finding.advice("tier1")["not_yet"]

    released = examine(options)
    assert released.findings[0].status in (Status.OK, Status.WATCH), released.as_text()
    assert not released.problems
