"""A hot standby streaming from the primary, and the pooler in front of it (tier2).

The standby is made the way PostgreSQL's documentation describes (``pg_basebackup -R``):
a base backup of the primary plus ``standby.signal`` and ``primary_conninfo``, and a
physical replication slot (``-C -S``) so the primary keeps the WAL the standby has not
yet received, however far behind it falls. It serves read-only queries (hot standby) on
its own port; the app's router decides which reads go there (app/platform/db/routing.py).
"""

from __future__ import annotations

from app.runner.processes import RunnerError
from app.runner.units.kinds import Context
from app.runner.units.pgbouncer import PgBouncer
from app.runner.units.postgres import Postgres

#: The replication slot on the primary that holds WAL for this standby.
SLOT = "milestones_replica"


class Replica(Postgres):
    name = "replica"
    port_name = "REPLICA_PORT"
    archives = False
    #: The slot it holds on the server it copies.
    slot = SLOT

    def data_dir(self, ctx: Context):
        return ctx.var_dir / "pg" / "replica"

    def source_port(self, ctx: Context) -> int:
        """Where the server it copies and streams from answers (a standby of another region's
        primary streams through the link between the regions)."""
        return ctx.port("PG_PORT")

    def prepare(self, ctx: Context) -> None:
        """Take a base backup of the primary, unless the standby already follows this primary."""
        import psycopg

        data = self.data_dir(ctx)
        marker = data.parent / f"{self.name}.source"
        source = f"host=127.0.0.1 port={self.source_port(ctx)} user=postgres dbname=postgres"
        try:
            with psycopg.connect(source, autocommit=True, connect_timeout=2) as primary:
                (identifier,) = primary.execute("SELECT system_identifier FROM pg_control_system()").fetchone() or ("",)
                system_id = str(identifier)
                current = (data / "PG_VERSION").exists() and marker.exists() and marker.read_text() == system_id
                if current:
                    return
                # A slot left by an earlier standby would keep WAL forever and block -C.
                primary.execute(
                    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                    " WHERE slot_name = %s AND NOT active",
                    [self.slot],
                )
        except psycopg.OperationalError as exc:
            raise RunnerError(
                f"{self.name} needs its primary answering on port {self.source_port(ctx)}: {exc}"
            ) from exc
        self.empty_data_dir(ctx)
        self.run_tool(
            ctx,
            "pg_basebackup",
            [
                *("-h", "127.0.0.1", "-p", str(self.source_port(ctx)), "-U", "postgres"),
                *("-D", str(data)),
                # -R: write standby.signal and primary_conninfo; -C -S: create the slot; -X stream: WAL alongside.
                *("-R", "-C", "-S", self.slot, "-X", "stream", "--checkpoint=fast"),
            ],
        )
        marker.write_text(system_id)

    def extra_settings(self, ctx: Context) -> dict[str, str]:
        return {
            # Tell the primary which rows standby queries still need, so its VACUUM does not
            # remove them and cancel those queries ("canceling statement due to conflict").
            "hot_standby_feedback": "on",
            # Report replay progress often, so pg_stat_replication's lag columns stay fresh.
            "wal_receiver_status_interval": "1s",
        }

    def after_start(self, ctx: Context) -> None:
        """Nothing to create: databases and extensions arrive from the primary."""

    def address(self, ctx: Context) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port(ctx)} (hot standby of :{self.source_port(ctx)})"


class ReplicaPgBouncer(PgBouncer):
    """A second PgBouncer, in front of the standby: reads share few server connections too."""

    name = "pgbouncer-replica"
    listen_port_name = "REPLICA_PGBOUNCER_PORT"
    server_port_name = "REPLICA_PORT"
    #: Fail fast when the standby is down: a query that raced the app's probe (app/platform/
    #: replica_health.py) gets an error in seconds instead of waiting in the queue.
    server_connect_timeout = 2
    query_wait_timeout = 2
