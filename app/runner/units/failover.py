"""Automatic failover (tier4, being built): etcd, a Patroni cluster, and HAProxy in front of it.

Patroni runs beside each PostgreSQL of the cluster and keeps one of them the leader through a
key in etcd that expires unless the leader renews it: when the leader's machine dies, the key
expires within ``TTL`` seconds and the synchronous standby takes it and promotes itself. When
the old leader comes back, Patroni rewinds its data folder to the new timeline (``pg_rewind``)
and starts it as a standby. Each member bootstraps itself: the first to take etcd's
``initialize`` key runs ``initdb``, the others copy it with ``pg_basebackup``.

Clients never need to know which member leads: HAProxy's write port goes to the member whose
Patroni answers ``/primary`` with 200, its read port to those answering ``/replica``,
each polled every second, and the sessions of a member marked down are cut at once. PgBouncer
stays in front of the write port, as in front of every primary since tier2, and holds the
transactions that begin while there is no leader until there is one again.

Durability: ``synchronous_mode`` has Patroni name one standby in ``synchronous_standby_names``
and promote only that one, but the cluster-wide ``synchronous_commit`` is ``local``, so a
transaction waits for the standby only when it asks, with ``SET LOCAL synchronous_commit = on``
(orders do: their RPO is 0, an acknowledged order is on the standby that will be promoted).
Every other write is acknowledged once it is on the leader's disk and may be lost with it.
``synchronous_mode_strict`` is off: with the standby down the leader goes on alone, and since
only a standby that has caught up and is named synchronous again may be promoted, what it
acknowledged meanwhile is not lost to a failover either, only to the leader's disk.

**One etcd, a scope per cluster.** Every Patroni cluster of a stack (the control database's,
each shard's) keeps its keys in the same etcd under a folder of its own, its *scope*
(``Scope``): each elects its own leader and fails over on its own. Member names are unique across
scopes (``control-1``, ``shard1-1``), since Patroni names replication slots and
``application_name`` after them. ``failsafe_mode`` keeps the leaders leading while etcd alone is
down (each still reaching every member of its cluster): one etcd for all clusters must not be
one switch that demotes them all.

The ports are a block from ``FAILOVER_PORT``: etcd's, then a run per scope
(``config.env.failover_port``, ``failover_member_ports``); the state lives in ``var/etcd`` and
``var/patroni/<member>``.
"""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.runner import processes
from app.runner.units.kinds import Context, Daemon, Group
from app.runner.units.loadbalancer import AdminSocket
from app.runner.units.pgbouncer import PgBouncer
from app.runner.units.postgres import PG_BIN
from config.env import failover_member_ports, failover_port

#: etcd's folder for every cluster of the stack; each cluster's keys are in a folder of its scope's.
NAMESPACE = "/milestones/"
#: How many PostgreSQL servers Patroni manages per cluster: a leader and its synchronous standby.
MEMBERS = 2

#: Patroni's timings, in seconds. The leader renews its key every ``LOOP_WAIT``; the key expires
#: ``TTL`` after its last renewal; a call to etcd or PostgreSQL is retried for ``RETRY_TIMEOUT``
#: (Patroni wants ``LOOP_WAIT + 2 * RETRY_TIMEOUT <= TTL``, so that a leader that cannot reach
#: etcd demotes itself before its key can expire). A dead leader's key is gone at most ``TTL``
#: after it died; the standby, watching the key, takes it within a second, and promotion and
#: HAProxy's next checks (every second, one pass) take a few seconds more. Hence the bound
#: ``FAILOVER_BOUND``: writes go through the write port again within it after the leader's death.
TTL = 10
LOOP_WAIT = 2
RETRY_TIMEOUT = 4
FAILOVER_BOUND = TTL + 10

ETCD = "/usr/bin/etcd"
PATRONI = "/usr/bin/patroni"
HAPROXY = "/usr/sbin/haproxy"


def base_port(ctx: Context) -> int:
    return ctx.port("FAILOVER_PORT")


@dataclass(frozen=True)
class Scope:
    """One Patroni cluster among those sharing the stack's etcd: its name, which is the folder of
    its keys and the prefix of its members' names, and its place in the port block (0 for the
    control database, N for shard N)."""

    name: str = "control"
    index: int = 0

    def suffix(self) -> str:
        """What the names of this cluster's runner units end with: nothing for the control database's."""
        return "" if self.index == 0 else f"-{self.name}"


CONTROL = Scope()


def shard_scope(number: int) -> Scope:
    return Scope(f"shard{number}", number)


class Etcd(Daemon):
    """A single etcd member: the store Patroni's leader key and the cluster's state live in."""

    name = "etcd"
    binary = ETCD
    package = "etcd-server"
    infrastructure = True

    def client_port(self, ctx: Context) -> int:
        """Where Patroni, operators and Prometheus (``/metrics``) reach it."""
        return failover_port("etcd", base_port(ctx))

    def peer_port(self, ctx: Context) -> int:
        return failover_port("etcd-peer", base_port(ctx))

    def client_url(self, ctx: Context) -> str:
        return f"http://127.0.0.1:{self.client_port(ctx)}"

    def peer_url(self, ctx: Context) -> str:
        return f"http://127.0.0.1:{self.peer_port(ctx)}"

    def data_dir(self, ctx: Context) -> Path:
        return ctx.var_dir / "etcd"

    def ports(self, ctx: Context) -> list[int]:
        return [self.client_port(ctx), self.peer_port(ctx)]

    def prepare(self, ctx: Context) -> None:
        self.data_dir(ctx).mkdir(parents=True, exist_ok=True)
        self.data_dir(ctx).chmod(0o700)

    def command(self, ctx: Context) -> list[str]:
        return [
            ETCD,
            *("--name", "milestones", "--data-dir", str(self.data_dir(ctx))),
            *("--listen-client-urls", self.client_url(ctx), "--advertise-client-urls", self.client_url(ctx)),
            *("--listen-peer-urls", self.peer_url(ctx), "--initial-advertise-peer-urls", self.peer_url(ctx)),
            *("--initial-cluster", f"milestones={self.peer_url(ctx)}", "--initial-cluster-state", "new"),
            # Its own token, so that it can never take another stack's etcd for a peer.
            *("--initial-cluster-token", f"milestones-{base_port(ctx)}"),
            # Every leader renewal is a new revision of its key: keep an hour of history, not all of it.
            *("--auto-compaction-mode", "periodic", "--auto-compaction-retention", "1h"),
            "--logger=zap",
        ]

    def ready(self, ctx: Context) -> bool:
        answer = _get_json(f"{self.client_url(ctx)}/health")
        return bool(answer and answer.get("health") == "true")

    def address(self, ctx: Context) -> str:
        return self.client_url(ctx)


class PatroniMember(Daemon):
    """One PostgreSQL server with the Patroni beside it that starts, stops, promotes and rewinds it.

    Patroni refuses nothing, but the PostgreSQL it starts refuses root: as root, both run as ``postgres``.
    """

    binary = PATRONI
    package = "patroni"
    refuses_root = True
    ready_timeout = 90.0
    #: Patroni stops its PostgreSQL before it exits (a fast shutdown, a checkpoint first).
    stop_grace = 40.0

    def __init__(self, number: int = 1, scope: Scope = CONTROL) -> None:
        self.number = number
        self.scope = scope
        self.name = f"{scope.name}-{number}"

    def requires(self, ctx: Context) -> dict[str, str]:
        # Debian's Patroni can use several stores; etcd's client is the first of its alternatives.
        return {"/usr/lib/python3/dist-packages/etcd/__init__.py": "python3-etcd"}

    def pg_port(self, ctx: Context) -> int:
        return failover_member_ports(self.number, base_port(ctx), scope=self.scope.index)[0]

    def rest_port(self, ctx: Context) -> int:
        return failover_member_ports(self.number, base_port(ctx), scope=self.scope.index)[1]

    def rest_url(self, ctx: Context, path: str = "") -> str:
        return f"http://127.0.0.1:{self.rest_port(ctx)}/{path.lstrip('/')}"

    def folder(self, ctx: Context) -> Path:
        return ctx.var_dir / "patroni" / self.name

    def data_dir(self, ctx: Context) -> Path:
        return self.folder(ctx) / "data"

    def config_file(self, ctx: Context) -> Path:
        return self.folder(ctx) / "patroni.json"

    def ports(self, ctx: Context) -> list[int]:
        return [self.pg_port(ctx), self.rest_port(ctx)]

    def prepare(self, ctx: Context) -> None:
        folder = self.folder(ctx)
        folder.mkdir(parents=True, exist_ok=True)
        # JSON is YAML: Patroni reads it as its configuration file.
        self.config_file(ctx).write_text(json.dumps(self.config(ctx), indent=2))
        self.hand_over(ctx, folder, self.config_file(ctx))

    def config(self, ctx: Context) -> dict[str, Any]:
        trust = ["local all all trust", "host all all 127.0.0.1/32 trust", "host replication all 127.0.0.1/32 trust"]
        return {
            "scope": self.scope.name,
            "namespace": NAMESPACE,
            "name": self.name,
            "log": {"level": "INFO"},
            "restapi": {
                "listen": f"127.0.0.1:{self.rest_port(ctx)}",
                "connect_address": f"127.0.0.1:{self.rest_port(ctx)}",
            },
            # etcd's v3 API (its v2 API, Patroni's `etcd`, is off by default since etcd 3.4).
            "etcd3": {"hosts": [f"127.0.0.1:{Etcd().client_port(ctx)}"]},
            "bootstrap": {
                # Written to etcd by the member that bootstraps the cluster; the cluster's from then on.
                "dcs": {
                    "ttl": TTL,
                    "loop_wait": LOOP_WAIT,
                    "retry_timeout": RETRY_TIMEOUT,
                    # A standby further behind than this is not promoted (it would lose what it lacks).
                    "maximum_lag_on_failover": 1024 * 1024,
                    "synchronous_mode": True,
                    "synchronous_node_count": 1,
                    "synchronous_mode_strict": False,
                    # With etcd unreachable, a leader that still reaches every member of its
                    # cluster keeps leading instead of demoting itself.
                    "failsafe_mode": True,
                    "postgresql": {
                        "use_pg_rewind": True,
                        "use_slots": True,
                        "parameters": {
                            # pg_rewind needs every page's first change after a checkpoint in the WAL.
                            "wal_log_hints": "on",
                            # Asynchronous unless a transaction asks (orders do): see the module's docstring.
                            "synchronous_commit": "local",
                            "max_connections": 100,
                            "max_wal_senders": 10,
                            "max_replication_slots": 10,
                            "hot_standby": "on",
                            "wal_keep_size": "128MB",
                        },
                    },
                },
                "initdb": [{"encoding": "UTF8"}, {"locale": "C.UTF-8"}, "data-checksums"],
            },
            "postgresql": {
                "listen": f"127.0.0.1:{self.pg_port(ctx)}",
                "connect_address": f"127.0.0.1:{self.pg_port(ctx)}",
                "data_dir": str(self.data_dir(ctx)),
                "bin_dir": str(PG_BIN),
                "pgpass": str(self.folder(ctx) / "pgpass"),
                # The stack's other clusters trust loopback too (initdb --auth=trust).
                "authentication": {
                    "superuser": {"username": "postgres"},
                    "replication": {"username": "postgres"},
                    "rewind": {"username": "postgres"},
                },
                "pg_hba": trust,
                "parameters": {
                    "unix_socket_directories": "",
                    "log_line_prefix": "%m [%p] %q%u@%d ",
                    "log_min_duration_statement": "200ms",
                },
                # A rewind that fails leaves the member down for someone to look at, rather than
                # silently copied afresh (``patronictl reinit`` does that on purpose).
                "remove_data_directory_on_rewind_failure": False,
            },
            # No /dev/watchdog here: a watchdog would reset a machine whose Patroni hangs while its
            # PostgreSQL still takes writes; the leader key's expiry is all this cluster relies on.
            "watchdog": {"mode": "off"},
            "tags": {"nofailover": False, "noloadbalance": False, "clonefrom": False, "nosync": False},
        }

    def command(self, ctx: Context) -> list[str]:
        return [PATRONI, str(self.config_file(ctx))]

    def environment(self, ctx: Context) -> dict[str, str]:
        # Debian's Patroni runs on the system's python3 with Debian's modules: nothing of our virtualenv.
        keep = ("PATH", "LANG", "LC_ALL", "TZ")
        return {name: value for name, value in ctx.env.items() if name in keep}

    def ready(self, ctx: Context) -> bool:
        """Its PostgreSQL runs (``/health``): the leader once bootstrapped, a standby once copied."""
        return processes.http_ok(self.rest_url(ctx, "health"))

    def state(self, ctx: Context) -> dict[str, Any] | None:
        """Patroni's view of this member (``GET /patroni``: role, state, timeline …), or None when down."""
        return _get_json(self.rest_url(ctx, "patroni"))

    def postmaster_pid(self, ctx: Context) -> int | None:
        """The PostgreSQL this member's Patroni started, if it still runs (from its ``postmaster.pid``)."""
        try:
            pid = int((self.data_dir(ctx) / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if processes.alive(pid) and _command_name(pid) == "postgres" else None

    def stop(self, ctx: Context) -> bool:
        """Patroni stops its PostgreSQL on SIGTERM; one left running by a Patroni that was killed
        (the failover drill kills both) is given a fast shutdown here."""
        stopped = processes.terminate(self.pidfile(ctx), grace=self.stop_grace, sig=self.stop_signal)
        pid = self.postmaster_pid(ctx)
        if pid is not None:
            os.kill(pid, signal.SIGINT)
            deadline = time.monotonic() + self.stop_grace
            while processes.alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if processes.alive(pid):
                os.kill(pid, signal.SIGKILL)
            stopped = True
        if stopped:
            processes.wait_closed(self.ports(ctx))
        return stopped

    def address(self, ctx: Context) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.pg_port(ctx)} (Patroni {self.rest_url(ctx)})"


class PatroniCluster(Group):
    """A scope's ``MEMBERS`` Patroni members, started in order: the first member (which bootstraps
    the cluster and leads), then each standby, copied from the leader. The stack's etcd
    (``Etcd``) runs before any cluster and stops after every one."""

    name = "patroni"
    infrastructure = True
    members_count = MEMBERS

    def __init__(self, members: int | None = None, scope: Scope = CONTROL) -> None:
        if members is not None:
            self.members_count = members
        self.scope = scope
        self.name = f"patroni{scope.suffix()}"

    def servers(self) -> list[PatroniMember]:
        return [PatroniMember(number, self.scope) for number in range(1, self.members_count + 1)]

    def members(self, ctx: Context) -> list[Daemon]:
        return list(self.servers())

    def start(self, ctx: Context) -> None:
        super().start(ctx)
        self.wait_synchronous(ctx)

    def stop(self, ctx: Context) -> bool:
        """Every member at once, while etcd still holds their keys."""
        servers = self.servers()
        with ThreadPoolExecutor(max_workers=len(servers)) as pool:
            return any(list(pool.map(lambda member: member.stop(ctx), servers)))

    def cluster(self, ctx: Context) -> dict[str, Any]:
        """Patroni's view of the whole cluster (``GET /cluster``) from the first member that answers."""
        for member in self.servers():
            answer = _get_json(member.rest_url(ctx, "cluster"))
            if answer is not None:
                return answer
        return {}

    def leader(self, ctx: Context) -> PatroniMember | None:
        names = [m["name"] for m in self.cluster(ctx).get("members", []) if m.get("role") == "leader"]
        return next((member for member in self.servers() if member.name in names), None)

    def wait_synchronous(self, ctx: Context, timeout: float = 60.0) -> None:
        """Until a leader runs and one standby is its synchronous one (with fewer than two members, a leader)."""

        def settled() -> bool:
            roles = [(m.get("role"), m.get("state")) for m in self.cluster(ctx).get("members", [])]
            wanted = 1 if self.members_count > 1 else 0
            return ("leader", "running") in roles and roles.count(("sync_standby", "running")) >= wanted

        processes.wait_until(settled, timeout=timeout, what="the Patroni cluster's synchronous standby")

    def address(self, ctx: Context) -> str:
        return "; ".join(f"{m.name} {m.address(ctx)}" for m in self.members(ctx))


class PatroniProxy(Daemon):
    """HAProxy in front of the Patroni cluster: a write port to the leader, a read port to the standbys.

    It asks each member's Patroni, not PostgreSQL, who it is: a member answers ``/primary`` with
    200 only while it holds the leader key, so a primary cut off from etcd (which demotes itself)
    stops taking writes even while its PostgreSQL still runs.
    """

    name = "patroni-haproxy"
    binary = HAPROXY
    package = "haproxy"
    infrastructure = True
    #: The backends, by HAProxy name: the write port's and the read port's.
    WRITE = "primary"
    READ = "replicas"

    def __init__(self, members: int = MEMBERS, scope: Scope = CONTROL) -> None:
        self.members_count = members
        self.scope = scope
        self.name = f"patroni-haproxy{scope.suffix()}"

    def servers(self) -> list[PatroniMember]:
        return [PatroniMember(number, self.scope) for number in range(1, self.members_count + 1)]

    def folder(self, ctx: Context) -> Path:
        return ctx.var_dir / self.name

    def admin_socket(self, ctx: Context) -> Path:
        return self.folder(ctx) / "admin.sock"

    def write_port(self, ctx: Context) -> int:
        return failover_port("write", base_port(ctx), scope=self.scope.index)

    def read_port(self, ctx: Context) -> int:
        return failover_port("read", base_port(ctx), scope=self.scope.index)

    def ports(self, ctx: Context) -> list[int]:
        return [self.write_port(ctx), self.read_port(ctx)]

    def prepare(self, ctx: Context) -> None:
        self.folder(ctx).mkdir(parents=True, exist_ok=True)
        self.admin_socket(ctx).unlink(missing_ok=True)
        (self.folder(ctx) / "haproxy.cfg").write_text(self.config(ctx))

    def config(self, ctx: Context) -> str:
        def backend(name: str, port: int, check: str) -> list[str]:
            return [
                f"listen {name}",
                f"    bind 127.0.0.1:{port}",
                # HEAD: Patroni answers with the status line alone (HAProxy hangs up once it has read it).
                "    option httpchk",
                f"    http-check send meth HEAD uri {check}",
                "    http-check expect status 200",
                *(
                    f"    server {m.name} 127.0.0.1:{m.pg_port(ctx)} check port {m.rest_port(ctx)}"
                    for m in self.servers()
                ),
                "",
            ]

        return "\n".join(
            [
                "global",
                "    maxconn 2000",
                f"    stats socket {self.admin_socket(ctx)} mode 600 level admin",
                "",
                "defaults",
                "    mode tcp",
                "    timeout connect 2s",
                # A pooled database connection may sit idle for long.
                "    timeout client 30m",
                "    timeout server 30m",
                "    timeout check 2s",
                # Each member asked every second: two failures take it out, one pass brings it in,
                # and a member taken out has its sessions cut, so no client waits on a dead leader.
                "    default-server inter 1s fall 2 rise 1 on-marked-down shutdown-sessions",
                "",
                *backend(self.WRITE, self.write_port(ctx), "/primary"),
                *backend(self.READ, self.read_port(ctx), "/replica"),
            ]
        )

    def command(self, ctx: Context) -> list[str]:
        return [HAPROXY, "-f", str(self.folder(ctx) / "haproxy.cfg"), "-db"]

    def backend_states(self, ctx: Context, backend: str) -> dict[str, str]:
        """Each member's state in a backend as HAProxy sees it (``UP``, ``DOWN`` …)."""
        try:
            rows = AdminSocket(self.admin_socket(ctx), backend=backend).servers()
        except OSError:
            return {}
        return {name: row["status"] for name, row in rows.items()}

    def ready(self, ctx: Context) -> bool:
        """The write port leads somewhere: one member is up in the write backend."""
        return "UP" in self.backend_states(ctx, self.WRITE).values()

    def dsn(self, ctx: Context, database: str = "postgres", *, write: bool = True) -> str:
        port = self.write_port(ctx) if write else self.read_port(ctx)
        return f"host=127.0.0.1 port={port} user=postgres dbname={database}"

    def address(self, ctx: Context) -> str:
        return (
            f"postgresql://postgres@127.0.0.1:{self.write_port(ctx)} (the leader), "
            f"postgresql://postgres@127.0.0.1:{self.read_port(ctx)} (the standbys)"
        )


class FailoverPgBouncer(PgBouncer):
    """The pooler in front of HAProxy's write port: whichever member leads, the app's connections
    are to it. A transaction in flight when the leader dies fails (HAProxy cuts its server
    connection). One that begins while no member leads mostly fails too, at once: once a server
    login has failed and the pool holds no server connection, PgBouncer 1.18 refuses new
    transactions ("server login has been failing, try again later") rather than queueing them;
    only clients already waiting when the first login failed wait, up to ``FAILOVER_BOUND``
    (``query_wait_timeout``), for a server tried every second (``server_login_retry``), each try
    given 2 s. Either way the client tries again: the drill's writers do, and the app's orders carry
    an idempotency key for it."""

    name = "pgbouncer-failover"
    server_connect_timeout = 2
    query_wait_timeout = FAILOVER_BOUND

    def __init__(self, scope: Scope = CONTROL) -> None:
        self.scope = scope
        self.name = f"pgbouncer-failover{scope.suffix()}"

    def listen_port(self, ctx: Context) -> int:
        return failover_port("pooler", base_port(ctx), scope=self.scope.index)

    def server_port(self, ctx: Context) -> int:
        return failover_port("write", base_port(ctx), scope=self.scope.index)

    def dsn(self, ctx: Context, database: str = "postgres") -> str:
        return f"host=127.0.0.1 port={self.listen_port(ctx)} user=postgres dbname={database}"


def _get_json(url: str) -> dict[str, Any] | None:
    """The JSON a loopback endpoint answers (whatever its status: Patroni's 503s carry its state too)."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback URLs built by the runner
            body = response.read()
    except urllib.error.HTTPError as error:
        body = error.read()
    except (urllib.error.URLError, OSError, ValueError):
        return None
    try:
        answer = json.loads(body)
    except ValueError:
        return None
    return answer if isinstance(answer, dict) else None


def _command_name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""
