"""PgBouncer in transaction mode between the app and PostgreSQL (tier2).

The app's connections (every gunicorn thread and Celery process holds one) are many
and mostly idle; PostgreSQL's are few and busy. PgBouncer hands a server connection to
a client only for the length of a transaction, so hundreds of clients share
``default_pool_size`` server connections and PostgreSQL keeps ``max_connections = 100``.
"""

from __future__ import annotations

from pathlib import Path

from app.runner import processes
from app.runner.units.kinds import Context, Daemon

BINARY = "/usr/sbin/pgbouncer"

#: Server connections per (database, user): what PostgreSQL sees from all the app's clients.
POOL_SIZE = 40
RESERVE_POOL = 5


class PgBouncer(Daemon):
    name = "pgbouncer"
    binary = BINARY
    package = "pgbouncer"
    infrastructure = True
    refuses_root = True
    #: The environment variables naming the port it listens on and the PostgreSQL it pools.
    listen_port_name = "PGBOUNCER_PORT"
    server_port_name = "PG_PORT"
    #: Seconds to wait for a server connection, and before trying again after one failed.
    server_connect_timeout = 15
    server_login_retry = 1
    #: Seconds a query may wait for a server connection before the client gets an error, not a hang.
    query_wait_timeout = 30

    def listen_port(self, ctx: Context) -> int:
        return ctx.port(self.listen_port_name)

    def server_port(self, ctx: Context) -> int:
        return ctx.port(self.server_port_name)

    def folder(self, ctx: Context) -> Path:
        return ctx.var_dir / self.name

    def ports(self, ctx: Context) -> list[int]:
        return [self.listen_port(ctx)]

    def prepare(self, ctx: Context) -> None:
        folder = self.folder(ctx)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "userlist.txt").write_text('"postgres" ""\n')
        (folder / "pgbouncer.ini").write_text(self.config(ctx))
        self.hand_over(ctx, folder, *folder.iterdir())

    def config(self, ctx: Context) -> str:
        return "\n".join(
            [
                "[databases]",
                # Any database name the app asks for, on our PostgreSQL (the test database too).
                f"* = host=127.0.0.1 port={self.server_port(ctx)}",
                "",
                "[pgbouncer]",
                "listen_addr = 127.0.0.1",
                f"listen_port = {self.listen_port(ctx)}",
                "unix_socket_dir =",
                "auth_type = trust",
                f"auth_file = {self.folder(ctx) / 'userlist.txt'}",
                "admin_users = postgres",
                # A server connection goes back to the pool at the end of each transaction.
                "pool_mode = transaction",
                "max_client_conn = 2000",
                f"default_pool_size = {POOL_SIZE}",
                f"reserve_pool_size = {RESERVE_POOL}",
                "reserve_pool_timeout = 2",
                f"query_wait_timeout = {self.query_wait_timeout}",
                "server_idle_timeout = 60",
                f"server_connect_timeout = {self.server_connect_timeout}",
                f"server_login_retry = {self.server_login_retry}",
                # psycopg sends these at connect; PgBouncer would otherwise refuse the connection.
                "ignore_startup_parameters = extra_float_digits,options",
                "",
            ]
        )

    def command(self, ctx: Context) -> list[str]:
        return [BINARY, str(self.folder(ctx) / "pgbouncer.ini")]

    def ready(self, ctx: Context) -> bool:
        return processes.port_open(self.listen_port(ctx))

    def admin(self, ctx: Context, command: str) -> list[tuple]:
        """Run a console command (``SHOW POOLS``, ``KILL db``) on PgBouncer's admin database."""
        import psycopg

        dsn = f"host=127.0.0.1 port={self.listen_port(ctx)} user=postgres dbname=pgbouncer"
        with psycopg.connect(dsn, autocommit=True, prepare_threshold=None) as connection:
            cursor = connection.execute(command)
            return cursor.fetchall() if cursor.description else []

    def address(self, ctx: Context) -> str:
        pooled, server = self.listen_port(ctx), self.server_port(ctx)
        return f"postgresql://postgres@127.0.0.1:{pooled} → :{server} (transaction pooling)"
