"""Backups you have restored (tier3): pgBackRest archives the primary's WAL continuously and takes
backups on demand (``make backup``); ``make restore-drill`` proves a restore works, to a point in
time, and measures how long it takes and how much it could lose.

The drill, on the running stack (``restore_drill``):

1. takes a backup if the repository has none (it restores the latest);
2. writes rows to a table of its own (``restore_drill_canary``), then, holding a SHARE lock on
   every table (no write can slip in between), records each table's row count and a digest of its
   rows and names that moment with ``pg_create_restore_point``;
3. runs a destructive statement on purpose (``TRUNCATE restore_drill_canary``: its own table, so
   the drill is safe on a deployment that matters), and has the WAL archived;
4. restores the latest backup into a scratch cluster to the named point, starts it on a free port
   and waits for it to promote: the RTO is from the restore's start to its first query;
5. checks every table's count and digest against step 2, serves an API request from the restored
   cluster through the app's own code, and removes the scratch cluster.

The RPO it reports is how long after the restore point its WAL reached the repository (on a busy
primary that is immediate; on a quiet one ``archive_timeout`` bounds it).
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from app.runner import processes
from app.runner.processes import RunnerError
from app.runner.units.kinds import Context

STANZA = "milestones"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
CANARY_ROWS = 100


def folder(ctx: Context) -> Path:
    return ctx.var_dir / "backups"


def config_file(ctx: Context) -> Path:
    return folder(ctx) / "pgbackrest.conf"


def socket_dir(ctx: Context) -> Path:
    """pgBackRest reaches a local server through its Unix socket only."""
    return ctx.run_dir / "pg-socket"


def server_settings(ctx: Context) -> dict[str, str]:
    """What the primary runs with when backups are on: every finished WAL segment handed to
    pgBackRest, and a segment finished at least once a minute even when the site is quiet."""
    return {
        "archive_mode": "on",
        "archive_command": f"pgbackrest --config={config_file(ctx)} --stanza={STANZA} archive-push %p",
        "archive_timeout": str(ctx.settings.BACKUPS["ARCHIVE_TIMEOUT"]),
        "unix_socket_directories": str(socket_dir(ctx)),
    }


def write_config(ctx: Context, data_dir: Path) -> Path:
    """pgBackRest's configuration, every path under ``var/backups`` (not Debian's /var/lib/pgbackrest)."""
    base = folder(ctx)
    for part in ("repo", "lock", "log", "spool"):
        (base / part).mkdir(parents=True, exist_ok=True)
    retention = ctx.settings.BACKUPS["KEEP_FULL"]
    config_file(ctx).write_text(
        "\n".join(
            [
                "[global]",
                f"repo1-path={base / 'repo'}",
                f"repo1-retention-full={retention}",
                f"lock-path={base / 'lock'}",
                f"log-path={base / 'log'}",
                f"spool-path={base / 'spool'}",
                "log-level-console=warn",
                "log-level-file=info",
                # A backup starts with an immediate checkpoint, not at the next scheduled one.
                "start-fast=y",
                "",
                f"[{STANZA}]",
                f"pg1-path={data_dir}",
                f"pg1-port={ctx.port('PG_PORT')}",
                f"pg1-socket-path={socket_dir(ctx)}",
                "pg1-user=postgres",
                "",
            ]
        )
    )
    return config_file(ctx)


def prepare(ctx: Context, data_dir: Path, hand_over: Any) -> None:
    """Before the primary starts: the configuration, and folders its account may write."""
    write_config(ctx, data_dir)
    socket_dir(ctx).mkdir(parents=True, exist_ok=True)
    for path in [folder(ctx), *folder(ctx).rglob("*"), socket_dir(ctx)]:
        hand_over(path)


def pgbackrest(ctx: Context, *arguments: str, timeout: float = 600) -> str:
    """Run pgBackRest as the account PostgreSQL runs as; its output, or ``RunnerError``."""
    user = processes.run_as_needed()
    result = subprocess.run(
        ["pgbackrest", f"--config={config_file(ctx)}", f"--stanza={STANZA}", *arguments],
        capture_output=True,
        text=True,
        timeout=timeout,
        **processes.as_account(user),
        check=False,
    )
    if result.returncode != 0:
        raise RunnerError(f"pgbackrest {arguments[0]} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def create_stanza(ctx: Context) -> None:
    """The repository's record of this cluster; creating it again is a no-op."""
    pgbackrest(ctx, "stanza-create")


def backups(ctx: Context) -> list[dict[str, Any]]:
    info = json.loads(pgbackrest(ctx, "info", "--output=json"))
    return info[0].get("backup", []) if info else []


def backup(ctx: Context, kind: str = "incr") -> dict[str, Any]:
    """Take a backup (``full``, ``diff`` or ``incr``; pgBackRest makes the first one full)."""
    started = time.monotonic()
    pgbackrest(ctx, "backup", f"--type={kind}")
    latest = backups(ctx)[-1]
    return {
        "label": latest["label"],
        "type": latest["type"],
        "bytes": latest["info"]["size"],
        "seconds": round(time.monotonic() - started, 2),
    }


@dataclass
class DrillReport:
    backup: str
    restore_point: str
    tables: int
    rows: int
    matched: bool
    mismatches: list[str]
    canary_rows_restored: int
    smoke: str
    rpo_seconds: float
    archive_timeout_seconds: int
    rto_first_query_seconds: float
    rto_serving_seconds: float

    def lines(self) -> list[str]:
        verdict = "every table matches" if self.matched else f"MISMATCH: {', '.join(self.mismatches)}"
        return [
            f"backup restored:   {self.backup}, to restore point {self.restore_point}",
            f"tables checked:    {self.tables} ({self.rows:,} rows): {verdict}",
            f"destroyed rows:    {self.canary_rows_restored} of {CANARY_ROWS} back",
            f"smoke request:     {self.smoke}",
            f"RPO:               {self.rpo_seconds:.1f} s (restore point to its WAL in the repository; "
            f"at most archive_timeout = {self.archive_timeout_seconds} s on a quiet primary)",
            f"RTO:               {self.rto_first_query_seconds:.1f} s to the first query, "
            f"{self.rto_serving_seconds:.1f} s to a served request",
        ]


def digests(connection: Any) -> dict[str, tuple[int, str]]:
    """Each table's row count and an order-independent digest of its rows."""
    tables = [row[0] for row in connection.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
    found = {}
    for table in sorted(tables):
        rows = "string_agg(md5(t::text), '' ORDER BY md5(t::text))"
        count, digest = connection.execute(
            f"SELECT count(*), md5(coalesce({rows}, '')) FROM \"{table}\" t"  # noqa: S608 - names from the catalog
        ).fetchone()
        found[table] = (count, digest)
    return found


def restore_drill(ctx: Context, dsn: str, database: str) -> DrillReport:
    import psycopg

    create_stanza(ctx)
    if not backups(ctx):
        backup(ctx, "full")
    label = backups(ctx)[-1]["label"]
    name = f"drill-{time.strftime('%Y%m%d-%H%M%S')}"
    with psycopg.connect(dsn, autocommit=True) as primary:
        primary.execute("CREATE TABLE IF NOT EXISTS restore_drill_canary (id serial PRIMARY KEY, note text NOT NULL)")
        primary.execute("TRUNCATE restore_drill_canary")
        primary.execute(
            "INSERT INTO restore_drill_canary (note) SELECT 'row ' || n FROM generate_series(1, %s) n", [CANARY_ROWS]
        )
        with primary.transaction():
            primary.execute("SET LOCAL lock_timeout = '10s'")
            tables = [r[0] for r in primary.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
            primary.execute("LOCK TABLE " + ", ".join(f'"{t}"' for t in tables) + " IN SHARE MODE")
            before = digests(primary)
            primary.execute("SELECT pg_create_restore_point(%s)", [name])
        marked = time.monotonic()
        # The accident the drill recovers from.
        primary.execute("TRUNCATE restore_drill_canary")
        primary.execute("SELECT pg_switch_wal()")
    pgbackrest(ctx, "check")  # waits until the WAL holding the restore point is in the repository
    rpo = time.monotonic() - marked
    return _restore_and_verify(ctx, label, name, before, database, rpo)


def _restore_and_verify(
    ctx: Context, label: str, name: str, before: dict[str, tuple[int, str]], database: str, rpo: float
) -> DrillReport:
    import psycopg

    scratch = folder(ctx) / "drill" / "data"
    shutil.rmtree(scratch.parent, ignore_errors=True)
    scratch.mkdir(parents=True)
    user = processes.run_as_needed()
    if user:
        processes.make_traversable(scratch.parent, user)
        for path in (scratch.parent, scratch):
            shutil.chown(path, user, user)
    scratch.chmod(0o700)
    port = processes.free_port()
    started = time.monotonic()
    pgbackrest(
        ctx,
        "restore",
        f"--pg1-path={scratch}",
        "--type=name",
        f"--target={name}",
        "--target-action=promote",
        "--archive-mode=off",
    )
    log = scratch.parent / "postgres.log"
    command = [
        str(PG_BIN / "postgres"),
        "-D",
        str(scratch),
        "-p",
        str(port),
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        "unix_socket_directories=",
        "-c",
        "shared_preload_libraries=pg_stat_statements",
    ]
    pidfile = scratch.parent / "postgres.pid"
    pid = processes.spawn(command, log=log, pidfile=pidfile, env=ctx.env, cwd=scratch.parent, user=user)
    scratch_dsn = f"host=127.0.0.1 port={port} user=postgres dbname={database}"
    try:

        def promoted() -> bool:
            try:
                with psycopg.connect(scratch_dsn, connect_timeout=2) as connection:
                    row = connection.execute("SELECT NOT pg_is_in_recovery()").fetchone()
                    return bool(row and row[0])
            except psycopg.Error:
                return False

        processes.wait_until(promoted, timeout=300, what="the restored cluster", pid=pid, log=log)
        first_query = time.monotonic() - started
        with psycopg.connect(scratch_dsn) as restored:
            after = digests(restored)
        smoke = _smoke_request(ctx, port)
        serving = time.monotonic() - started
    finally:
        processes.terminate(pidfile, sig=signal.SIGINT, group=False)
    shutil.rmtree(scratch.parent, ignore_errors=True)
    mismatches = [table for table in before if after.get(table) != before[table]]
    return DrillReport(
        backup=label,
        restore_point=name,
        tables=len(before),
        rows=sum(count for count, _ in before.values()),
        matched=not mismatches and set(after) == set(before),
        mismatches=mismatches + sorted(set(after) - set(before)),
        canary_rows_restored=after.get("restore_drill_canary", (0, ""))[0],
        smoke=smoke,
        rpo_seconds=round(rpo, 2),
        archive_timeout_seconds=int(ctx.settings.BACKUPS["ARCHIVE_TIMEOUT"]),
        rto_first_query_seconds=round(first_query, 2),
        rto_serving_seconds=round(serving, 2),
    )


SMOKE = (
    "from django.test import Client; answer = Client().get('/api/v1/feed'); "
    "print(answer.status_code, len(answer.json()['items']))"
)


def _smoke_request(ctx: Context, port: int) -> str:
    """The API's feed, served by the app's own code with every database alias on the restored cluster."""
    env = {
        **ctx.env,
        **dict.fromkeys(("PG_PORT", "PGBOUNCER_PORT", "REPLICA_PORT", "REPLICA_PGBOUNCER_PORT"), str(port)),
    }
    done = subprocess.run(
        [ctx.python, "manage.py", "shell", "--verbosity", "0", "-c", SMOKE],
        env=env,
        cwd=ctx.base_dir,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    status, _, items = (done.stdout.strip().splitlines() or [""])[-1].partition(" ")
    if done.returncode != 0 or status != "200":
        raise RunnerError(f"the restored cluster did not serve the feed:\n{done.stdout}{done.stderr}")
    return f"GET /api/v1/feed → 200, {items} posts"


def save(report: DrillReport, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(report), indent=2) + "\n")
