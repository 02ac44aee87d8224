"""The services a tier can ask for, by name (``RUNNER_SERVICES`` in its settings).

A ``Daemon`` is a long-running process with a readiness probe; a ``Task`` is a
one-shot step (migrate, collectstatic, seeding) that must succeed before the next
service starts. Later tiers add PostgreSQL, Redis, workers and a load balancer here.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from app.runner import processes
from app.runner.processes import RunnerError
from app.runner.system_packages import present


@dataclass
class Context:
    """Where a stack lives and what its processes are told."""

    tier: str
    settings: ModuleType
    base_dir: Path
    var_dir: Path
    env: dict[str, str]
    python: str = field(default_factory=lambda: sys.executable)

    @property
    def run_dir(self) -> Path:
        return self.var_dir / "run"

    @property
    def log_dir(self) -> Path:
        return self.var_dir / "logs"

    def port(self, name: str) -> int:
        return int(self.env[name])

    def bin(self, name: str) -> str:
        """A program from this virtualenv (gunicorn, celery), falling back to PATH."""
        local = Path(self.python).parent / name
        return str(local) if local.exists() else name


class Service:
    name = ""
    #: Infrastructure (databases, brokers) is what the test suite starts for a tier.
    infrastructure = False

    def start(self, ctx: Context) -> None:
        raise NotImplementedError

    def stop(self, ctx: Context) -> bool:
        return False

    def status(self, ctx: Context) -> str:
        return ""

    def address(self, ctx: Context) -> str:
        return ""


class Daemon(Service):
    """A background process: started once, probed until ready, stopped with SIGTERM."""

    #: The program that must be installed, and the Debian package that brings it.
    binary: str | None = None
    package: str | None = None
    ready_timeout = 30.0
    #: How to ask it to stop, and whether to signal its whole process group or only it.
    stop_signal = signal.SIGTERM
    stop_group = True
    #: Servers that refuse to run as root (PostgreSQL, PgBouncer) run as ``postgres`` when we are root.
    refuses_root = False

    def run_as(self, ctx: Context) -> str | None:
        return processes.run_as_needed() if self.refuses_root else None

    def hand_over(self, ctx: Context, folder: Path, *files: Path) -> None:
        """Give the account it runs as (``postgres`` when we are root) a folder of its own and its files."""
        user = self.run_as(ctx)
        if user:
            processes.make_traversable(folder.parent, user)
            for path in [folder, *files]:
                shutil.chown(path, user, user)

    def command(self, ctx: Context) -> list[str]:
        raise NotImplementedError

    def ready(self, ctx: Context) -> bool:
        raise NotImplementedError

    def pidfile(self, ctx: Context) -> Path:
        return ctx.run_dir / f"{self.name}.pid"

    def log(self, ctx: Context) -> Path:
        return ctx.log_dir / f"{self.name}.log"

    def ports(self, ctx: Context) -> list[int]:
        return []

    def start(self, ctx: Context) -> None:
        if processes.read_pid(self.pidfile(ctx)) is not None:
            return
        if self.binary and not present(self.binary):
            raise RunnerError(f"{self.binary} is not installed: `sudo apt-get install {self.package}` brings it.")
        for port in self.ports(ctx):
            if processes.port_open(port):
                raise RunnerError(
                    f"port {port} is already in use, so {self.name} cannot start there; "
                    f"stop whatever holds it or set another port in the environment."
                )
        self.prepare(ctx)
        pid = processes.spawn(
            self.command(ctx),
            log=self.log(ctx),
            pidfile=self.pidfile(ctx),
            env=ctx.env,
            cwd=ctx.base_dir,
            user=self.run_as(ctx),
        )
        processes.wait_until(
            lambda: self.ready(ctx), timeout=self.ready_timeout, what=self.name, pid=pid, log=self.log(ctx)
        )

        self.after_start(ctx)

    def prepare(self, ctx: Context) -> None:
        """Work before the first start (create a data folder, write a config file)."""

    def after_start(self, ctx: Context) -> None:
        """Work once it is ready (create a database)."""

    def stop(self, ctx: Context) -> bool:
        return processes.terminate(self.pidfile(ctx), sig=self.stop_signal, group=self.stop_group)

    def status(self, ctx: Context) -> str:
        pid = processes.read_pid(self.pidfile(ctx))
        if pid is None:
            return "stopped"
        return f"running (pid {pid})" + ("" if self.ready(ctx) else ", not ready")


class Task(Service):
    """A one-shot ``manage.py`` step that must succeed before the stack goes on."""

    arguments: list[str] = []

    def args(self, ctx: Context) -> list[str]:
        return self.arguments

    def start(self, ctx: Context) -> None:
        log = ctx.log_dir / "setup.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        arguments = self.args(ctx)
        command = [ctx.python, str(ctx.base_dir / "manage.py"), *arguments]
        result = subprocess.run(command, env=ctx.env, cwd=ctx.base_dir, capture_output=True, text=True)
        with log.open("a") as out:
            out.write(f"$ manage.py {' '.join(arguments)}\n{result.stdout}{result.stderr}\n")
        if result.returncode != 0:
            raise RunnerError(f"`manage.py {' '.join(arguments)}` failed:\n{result.stdout}{result.stderr}")
        for line in result.stdout.splitlines():
            if line.startswith(("Seeded", "Demo login")):
                print(f"  {line}")

    def status(self, ctx: Context) -> str:
        return "one-shot"


class Migrate(Task):
    """Migrations run over ``MIGRATION_DATABASE``: from tier2 a direct connection, not the pooler,
    because they rely on session state (lock timeouts, advisory locks)."""

    name = "migrate"

    def args(self, ctx: Context) -> list[str]:
        return ["migrate", "--noinput", "--database", ctx.settings.MIGRATION_DATABASE]


class CollectStatic(Task):
    name = "collectstatic"
    arguments = ["collectstatic", "--noinput", "-v0"]


class SeedDemo(Task):
    name = "seed-demo"
    arguments = ["seed", "--demo", "--if-empty"]


class SmtpSink(Daemon):
    """A local SMTP server that stores every message as a file, after an optional delay.

    The delay (``SMTP_DELAY_MS``) stands in for a real provider's latency, so the
    cost of sending mail inside a request shows up in development and benchmarks.
    """

    name = "smtp"

    def ports(self, ctx: Context) -> list[int]:
        return [ctx.port("SMTP_PORT")]

    def command(self, ctx: Context) -> list[str]:
        return [
            ctx.python,
            "-m",
            "app.runner.smtp_sink",
            "--port",
            str(ctx.port("SMTP_PORT")),
            "--maildir",
            str(self.maildir(ctx)),
            "--delay-ms",
            ctx.env.get("SMTP_DELAY_MS", "0"),
        ]

    def ready(self, ctx: Context) -> bool:
        return processes.port_open(ctx.port("SMTP_PORT"))

    def address(self, ctx: Context) -> str:
        return f"smtp://127.0.0.1:{ctx.port('SMTP_PORT')} → {self.maildir(ctx)}"

    @staticmethod
    def maildir(ctx: Context) -> Path:
        return ctx.var_dir / "mail"

    @classmethod
    def messages(cls, ctx: Context) -> list[str]:
        """Every message received so far, in file-name order (the sink names them by arrival)."""
        return [path.read_text(errors="replace") for path in sorted(cls.maildir(ctx).glob("*.eml"))]


class AppInstance(Daemon):
    """One gunicorn serving ``config.wsgi`` on one port, sized by the tier's ``WEB_SERVER``."""

    def __init__(self, name: str = "web", port_name: str = "WEB_PORT", offset: int = 0) -> None:
        self.name = name
        self.port_name = port_name
        self.offset = offset

    def port(self, ctx: Context) -> int:
        return ctx.port(self.port_name) + self.offset

    def ports(self, ctx: Context) -> list[int]:
        return [self.port(ctx)]

    def command(self, ctx: Context) -> list[str]:
        # WEB_WORKERS / WEB_THREADS resize a tier's gunicorn for one run (the pooling benchmark).
        sizing = {
            "workers": ctx.env.get("WEB_WORKERS", ctx.settings.WEB_SERVER["workers"]),
            "threads": ctx.env.get("WEB_THREADS", ctx.settings.WEB_SERVER["threads"]),
        }
        command = [
            ctx.bin("gunicorn"),
            "config.wsgi:application",
            "--config",
            "python:config.gunicorn",
            "--bind",
            f"127.0.0.1:{self.port(ctx)}",
            "--workers",
            str(sizing["workers"]),
            "--threads",
            str(sizing["threads"]),
            # On SIGTERM, workers finish the requests they hold for up to this long.
            "--graceful-timeout",
            "20",
            "--timeout",
            "60",
            "--no-control-socket",
            "--access-logfile",
            "-",
            "--error-logfile",
            "-",
        ]
        return command

    def ready(self, ctx: Context) -> bool:
        return processes.http_ok(f"http://127.0.0.1:{self.port(ctx)}/healthz")

    def address(self, ctx: Context) -> str:
        return f"http://127.0.0.1:{self.port(ctx)}/"


class Group(Service):
    """Several daemons of one kind (app instances, workers), started in order and stopped together."""

    def members(self, ctx: Context) -> list[Daemon]:
        raise NotImplementedError

    def start(self, ctx: Context) -> None:
        for member in self.members(ctx):
            member.start(ctx)

    def stop(self, ctx: Context) -> bool:
        return any([member.stop(ctx) for member in self.members(ctx)])

    def status(self, ctx: Context) -> str:
        members = self.members(ctx)
        if len(members) == 1 and members[0].name == self.name:
            return members[0].status(ctx)
        return "; ".join(f"{m.name} {m.status(ctx)}" for m in members)

    def address(self, ctx: Context) -> str:
        return "; ".join(m.address(ctx) for m in self.members(ctx))


class Web(Group):
    """The app's gunicorn instances: one on ``WEB_PORT``, or, where the tier's ``WEB_SERVER`` asks
    for several, ``web-1`` … ``web-N`` on ``WEB_INSTANCE_PORT`` and up, behind the load balancer."""

    name = "web"

    def instances(self, ctx: Context) -> list[AppInstance]:
        count = int(ctx.settings.WEB_SERVER.get("instances", 1))
        if count == 1:
            return [AppInstance()]
        return [AppInstance(f"web-{n}", "WEB_INSTANCE_PORT", n - 1) for n in range(1, count + 1)]

    def members(self, ctx: Context) -> list[Daemon]:
        return list(self.instances(ctx))


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

    def data_dir(self, ctx: Context) -> Path:
        return ctx.var_dir / "pg" / "primary"

    def ports(self, ctx: Context) -> list[int]:
        return [ctx.port(self.port_name)]

    def prepare(self, ctx: Context) -> None:
        data = self.data_dir(ctx)
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
            user=user,
            group=user,
            extra_groups=[] if user else None,
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
        }
        flags = [item for key, value in settings.items() for item in ("-c", f"{key}={value}")]
        return [str(PG_BIN / "postgres"), "-D", str(self.data_dir(ctx)), "-p", str(ctx.port(self.port_name)), *flags]

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

    def dsn(self, ctx: Context, database: str) -> str:
        return f"host=127.0.0.1 port={ctx.port(self.port_name)} user=postgres dbname={database}"

    def address(self, ctx: Context) -> str:
        return f"postgresql://postgres@127.0.0.1:{ctx.port(self.port_name)}/{ctx.env.get('PG_DB', 'milestones')}"


class Redis(Daemon):
    """A private Redis for the Celery broker: ``noeviction``, because an evicted queue key is a
    lost job (Celery's Redis caveats), and an append-only file in ``var/redis``."""

    name = "redis"
    binary = "redis-server"
    package = "redis-server"
    infrastructure = True

    def ports(self, ctx: Context) -> list[int]:
        return [ctx.port("REDIS_PORT")]

    def command(self, ctx: Context) -> list[str]:
        folder = ctx.var_dir / "redis"
        folder.mkdir(parents=True, exist_ok=True)
        return [
            "redis-server",
            "--port",
            str(ctx.port("REDIS_PORT")),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            # The append-only file, fsynced every second: a broker that crashes or restarts keeps
            # its queued jobs (at most the last second's are lost, and the outbox re-sends those).
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--maxmemory-policy",
            "noeviction",
            "--dir",
            str(folder),
        ]

    def ready(self, ctx: Context) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", ctx.port("REDIS_PORT")), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def address(self, ctx: Context) -> str:
        return f"redis://127.0.0.1:{ctx.port('REDIS_PORT')}"


class ReadyOnLogLine(Daemon):
    """A process that says in its log when it is ready (Celery's " ready.", the relay's banner)."""

    marker = b""
    _log_offset = 0

    def prepare(self, ctx: Context) -> None:
        log = self.log(ctx)
        self._log_offset = log.stat().st_size if log.exists() else 0

    def ready(self, ctx: Context) -> bool:
        log = self.log(ctx)
        if not log.exists():
            return False
        with log.open("rb") as handle:
            handle.seek(self._log_offset)
            return self.marker in handle.read()

    def status(self, ctx: Context) -> str:
        pid = processes.read_pid(self.pidfile(ctx))
        return "stopped" if pid is None else f"running (pid {pid})"


class Worker(ReadyOnLogLine):
    """One Celery worker process (prefork) for the queues the tier's ``WORKERS`` entry names."""

    marker = b" ready."

    def __init__(
        self, name: str = "worker", queues: tuple[str, ...] = ("critical", "default", "bulk"), concurrency: int = 2
    ):
        self.name = name
        self.queues = queues
        self.concurrency = concurrency

    def command(self, ctx: Context) -> list[str]:
        return [
            ctx.bin("celery"),
            "-A",
            "config.celery",
            "worker",
            "--loglevel",
            "INFO",
            "--hostname",
            f"{self.name}@%h",
            "--queues",
            ",".join(self.queues),
            "--concurrency",
            str(self.concurrency),
            "--prefetch-multiplier",
            "1",
            # No gossip, mingle or heartbeat between workers: they cost start-up time and
            # broker traffic, and nothing here uses them.
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]

    def address(self, ctx: Context) -> str:
        return f"queues {', '.join(self.queues)} × {self.concurrency}"


class Workers(Group):
    """Every worker the tier's ``WORKERS`` setting lists, started and stopped together."""

    name = "workers"

    def members(self, ctx: Context) -> list[Daemon]:
        return [Worker(f"worker-{w['name']}", tuple(w["queues"]), w["concurrency"]) for w in ctx.settings.WORKERS]


class JobsRelay(ReadyOnLogLine):
    """The outbox's relay and sweeper (``manage.py jobs_relay``): jobs the broker never got or lost go out again."""

    name = "relay"
    marker = b"relay: watching the outbox"

    def command(self, ctx: Context) -> list[str]:
        return [ctx.python, str(ctx.base_dir / "manage.py"), "jobs_relay"]

    def address(self, ctx: Context) -> str:
        return "outbox → broker"
