"""tier3's backups, restored for real: pgBackRest archives the primary's WAL, and the restore drill
brings the latest backup back into a scratch cluster to the moment before a destructive
statement, every table's rows and digest as they were, and serves a request from it."""

from __future__ import annotations

import psycopg
import pytest

from app.runner import backups
from app.runner.__main__ import main as runner

pytestmark = pytest.mark.stack


def test_the_drill_restores_to_the_moment_before_the_accident(tier_stack, capsys):
    ctx = tier_stack.ctx
    database = ctx.env.get("PG_DB", "milestones")
    dsn = f"host=127.0.0.1 port={ctx.port('PG_PORT')} user=postgres dbname={database}"
    taken = backups.backup(ctx, "full")
    assert taken["type"] == "full"
    assert taken["bytes"] > 0
    report = backups.restore_drill(ctx, dsn, database)
    print("\n".join(report.lines()))
    assert report.backup == taken["label"]  # the latest
    assert report.matched, report.mismatches
    assert report.tables >= 20
    assert report.rows > 1000
    assert report.canary_rows_restored == backups.CANARY_ROWS  # destroyed on the primary, back here
    assert report.smoke.startswith("GET /api/v1/feed → 200")
    assert 0 < report.rto_first_query_seconds <= report.rto_serving_seconds < 300
    assert 0 <= report.rpo_seconds < report.archive_timeout_seconds
    with psycopg.connect(dsn) as primary:  # the accident really happened on the primary
        assert primary.execute("SELECT count(*) FROM restore_drill_canary").fetchone()[0] == 0
    assert not (backups.folder(ctx) / "drill").exists()  # the scratch cluster is gone


def test_a_digest_tells_a_changed_row_from_an_unchanged_table(tier_stack):
    ctx = tier_stack.ctx
    dsn = f"host=127.0.0.1 port={ctx.port('PG_PORT')} user=postgres dbname={ctx.env.get('PG_DB', 'milestones')}"
    with psycopg.connect(dsn, autocommit=True) as primary:
        before = backups.digests(primary)
        primary.execute("UPDATE posts_post SET title = title || '!' WHERE id = (SELECT min(id) FROM posts_post)")
        after = backups.digests(primary)
        primary.execute("UPDATE posts_post SET title = left(title, -1) WHERE id = (SELECT min(id) FROM posts_post)")
    changed = [table for table in before if before[table] != after[table]]
    assert changed == ["posts_post"]
    assert before["posts_post"][0] == after["posts_post"][0]  # same count, different rows


def test_the_commands_need_a_running_stack_that_keeps_backups(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr("config.env.VAR_DIR", tmp_path)
    assert runner(["restore-drill", "--tier", "tier3"]) == 1
    assert "tier3 is not running" in capsys.readouterr().err
