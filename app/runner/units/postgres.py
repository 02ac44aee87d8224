"""The primary PostgreSQL 15 cluster, private to the stack (tier1 on)."""

from __future__ import annotations

import shutil
import signal
import subprocess
from pathlib import Path

from app.runner import backups, processes
from app.runner.processes import RunnerError
from app.runner.units.kinds import Context, Daemon

PG_BIN = Path("/usr/lib/postgresql/15/bin")


class Postgres(Daemon):
    """A private PostgreSQL 15 cluster in ``var/pg/primary``: its own port, slow-query log, pg_stat_statements."""

    name = "postgres"
    binary = str(PG_BIN / "postgres")
    package = "postgresql-15"
    infrastructure = True
    # SIGINT is PostgreSQL's "fast" shutdown; SIGTERM ("smart") would wait for every client to leave.
    stop_signal = signal.SIGINT
    stop_group = False
    refuses_root = True
    #: The environment variable naming its port.
    port_name = "PG_PORT"
    #: The primary archives its WAL to pgBackRest where the tier keeps backups (``BACKUPS``).
    archives = True

    def port(self, ctx: Context) -> int:
        return ctx.port(self.port_name)

    def backs_up(self, ctx: Context) -> bool:
        return self.archives and bool(getattr(ctx.settings, "BACKUPS", None))

    def requires(self, ctx: Context) -> dict[str, str]:
        return {"/usr/bin/pgbackrest": "pgbackrest"} if self.backs_up(ctx) else {}

    def data_dir(self, ctx: Context) -> Path:
        return ctx.var_dir / "pg" / "primary"

    def ports(self, ctx: Context) -> list[int]:
        return [self.port(ctx)]

    def prepare(self, ctx: Context) -> None:
        data = self.data_dir(ctx)
        if self.backs_up(ctx):
            backups.prepare(ctx, data, lambda path: self.hand_over(ctx, path))
        if (data / "PG_VERSION").exists():
            return
        self.empty_data_dir(ctx)
        self.run_tool(
            ctx, "initdb", ["-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]
        )

    def empty_data_dir(self, ctx: Context) -> Path:
        """An empty data folder that the server's account owns, mode 0700 as PostgreSQL insists."""
        data = self.data_dir(ctx)
        shutil.rmtree(data, ignore_errors=True)
        data.mkdir(parents=True)
        self.hand_over(ctx, data)
        data.chmod(0o700)
        return data

    def run_tool(self, ctx: Context, program: str, arguments: list[str]) -> None:
        """Run one of PostgreSQL's programs (initdb, pg_basebackup) as the account the server runs as."""
        user = self.run_as(ctx)
        result = subprocess.run(
            [str(PG_BIN / program), *arguments],
            capture_output=True,
            text=True,
            **processes.as_account(user),
        )
        if result.returncode != 0:
            raise RunnerError(f"{program} failed:\n{result.stdout}{result.stderr}")

    def command(self, ctx: Context) -> list[str]:
        settings = {
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": "",
            "max_connections": "100",
            "shared_preload_libraries": "pg_stat_statements",
            "pg_stat_statements.track": "all",
            # Every statement slower than this is logged with its duration: the slow-query log.
            "log_min_duration_statement": "200ms",
            "log_line_prefix": "%m [%p] %q%u@%d ",
            **self.extra_settings(ctx),
            **(backups.server_settings(ctx) if self.backs_up(ctx) else {}),
        }
        flags = [item for key, value in settings.items() for item in ("-c", f"{key}={value}")]
        return [str(PG_BIN / "postgres"), "-D", str(self.data_dir(ctx)), "-p", str(self.port(ctx)), *flags]

    def extra_settings(self, ctx: Context) -> dict[str, str]:
        return {}

    def ready(self, ctx: Context) -> bool:
        import psycopg

        try:
            with psycopg.connect(self.dsn(ctx, "postgres"), connect_timeout=2) as connection:
                connection.execute("SELECT 1")
        except psycopg.Error:
            return False
        return True

    def after_start(self, ctx: Context) -> None:
        import psycopg

        database = ctx.env.get("PG_DB", "milestones")
        with psycopg.connect(self.dsn(ctx, "postgres"), autocommit=True) as connection:
            exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
            if not exists:
                connection.execute(f'CREATE DATABASE "{database}"')
        with psycopg.connect(self.dsn(ctx, database), autocommit=True) as connection:
            connection.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        if self.backs_up(ctx):
            backups.create_stanza(ctx)  # from now on every WAL segment is archived

    def dsn(self, ctx: Context, database: str) -> str:
        return f"host=127.0.0.1 port={self.port(ctx)} user=postgres dbname={database}"

    def address(self, ctx: Context) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port(ctx)}/{ctx.env.get('PG_DB', 'milestones')}"
