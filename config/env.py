"""Addresses, ports and paths, read from the environment with development defaults.

Settings and the runner both import this module so that a service started by the
runner and the Django process that talks to it always agree on where it lives.
Behaviour never comes from here: the tier (the settings module) carries behaviour,
the environment carries addresses and secrets.
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

#: Every file the project writes at run time (databases, media, logs, pids) lives here.
VAR_DIR = Path(os.environ.get("MILESTONES_VAR", BASE_DIR / "var")).resolve()

#: Default ports, all below the kernel's ephemeral range (32768+) so a client socket
#: in TIME_WAIT can never keep one of our servers from binding.
DEFAULT_PORTS: dict[str, int] = {
    "WEB_PORT": 8000,
    # Where several app instances sit behind a load balancer (on WEB_PORT): the first's port.
    "WEB_INSTANCE_PORT": 8101,
    "SMTP_PORT": 8025,
    "PG_PORT": 15432,
    "PGBOUNCER_PORT": 16432,
    "REPLICA_PORT": 15433,
    "REPLICA_PGBOUNCER_PORT": 16433,
    "REDIS_PORT": 16379,
    # tier3's cache (its own Redis: LRU eviction, no persistence, apart from the broker's).
    "CACHE_REDIS_PORT": 16380,
    # tier3's object store (SeaweedFS): its S3 API here, its own servers on the seven ports after.
    "OBJECT_STORE_PORT": 8333,
    # Where a tier has a load balancer, it also terminates TLS here (the runner's local CA).
    "TLS_PORT": 8443,
    # tier3's Prometheus (its UI and API), and the block of ports its exporters listen on
    # (app.runner.units.monitoring.METRICS_SLOTS says which is whose).
    "PROMETHEUS_PORT": 19090,
    "ALERTMANAGER_PORT": 19093,
    "EXPORTER_PORT": 19100,
    # tier4's shards: shard N's PostgreSQL on SHARD_PORT + 2(N - 1), its PgBouncer on the port after.
    "SHARD_PORT": 15440,
    # tier4's automatic failover (being built): etcd, then for each Patroni cluster HAProxy's
    # write and read ports, the pooler in front of the write port and each member's PostgreSQL
    # and REST API, from here on (``failover_port``, ``failover_member_ports``).
    "FAILOVER_PORT": 15460,
    # A second region simulated on this machine (tier4, being built): the link's ports, each of
    # region B's standbys and poolers, its Redis servers and app instances, from here on
    # (``app.runner.units.regions``).
    "REGION_PORT": 15510,
}

#: The loopback address the runner's load balancer connects to the app instances from, so the
#: instances can tell it from any other local client (``TRUSTED_PROXIES`` in the local
#: environment). Linux answers on all of 127.0.0.0/8; on macOS, ``sudo ifconfig lo0 alias 127.0.0.2``.
LOAD_BALANCER_SOURCE = os.environ.get("LOAD_BALANCER_SOURCE", "127.0.0.2")


def port(name: str) -> int:
    """The port for ``name`` (e.g. ``"WEB_PORT"``), overridable by an environment variable."""
    return int(os.environ.get(name, DEFAULT_PORTS[name]))


def shard_ports(number: int, base: int | None = None) -> tuple[int, int]:
    """Shard ``number``'s (from 1) PostgreSQL port and its PgBouncer's, for the runner and settings
    alike; ``base``: the stack's ``SHARD_PORT`` where it is not this process's."""
    server = (port("SHARD_PORT") if base is None else base) + 2 * (number - 1)
    return server, server + 1


#: The failover block: one etcd for every Patroni cluster (its client and peer ports first), then
#: a run of ``FAILOVER_SCOPE_WIDTH`` ports per cluster (its *scope*: the control database's is 0,
#: shard N's is N): HAProxy's write and read ports, the pooler's, then Patroni member N's (from 1)
#: PostgreSQL and REST API ports at ``FAILOVER_SCOPE_SLOTS["members"] + 2(N - 1)``.
FAILOVER_SLOTS = {"etcd": 0, "etcd-peer": 1}
FAILOVER_SCOPE_SLOTS = {"write": 0, "read": 1, "pooler": 2, "members": 3}
#: Members a cluster may have, clusters the block holds (the control database and four shards).
FAILOVER_MAX_MEMBERS = 3
FAILOVER_MAX_SCOPES = 5
FAILOVER_SCOPE_WIDTH = FAILOVER_SCOPE_SLOTS["members"] + 2 * FAILOVER_MAX_MEMBERS
#: Ports the block holds.
FAILOVER_WIDTH = len(FAILOVER_SLOTS) + FAILOVER_SCOPE_WIDTH * FAILOVER_MAX_SCOPES


def failover_port(slot: str, base: int | None = None, *, scope: int = 0) -> int:
    """The failover block's port for ``slot``: etcd's (``"etcd"``, ``"etcd-peer"``), or cluster
    ``scope``'s (``"write"``: HAProxy to its leader, ``"read"``, ``"pooler"``); ``base``: the
    stack's ``FAILOVER_PORT`` where it is not this process's."""
    start = port("FAILOVER_PORT") if base is None else base
    if slot in FAILOVER_SLOTS:
        return start + FAILOVER_SLOTS[slot]
    return _scope_start(start, scope) + FAILOVER_SCOPE_SLOTS[slot]


def failover_member_ports(number: int, base: int | None = None, *, scope: int = 0) -> tuple[int, int]:
    """Cluster ``scope``'s Patroni member ``number``'s (from 1) PostgreSQL port and its REST API's."""
    if not 1 <= number <= FAILOVER_MAX_MEMBERS:
        raise ValueError(f"a Patroni cluster has 1 to {FAILOVER_MAX_MEMBERS} members, not {number}")
    start = port("FAILOVER_PORT") if base is None else base
    server = _scope_start(start, scope) + FAILOVER_SCOPE_SLOTS["members"] + 2 * (number - 1)
    return server, server + 1


def _scope_start(start: int, scope: int) -> int:
    if not 0 <= scope < FAILOVER_MAX_SCOPES:
        raise ValueError(f"the failover block holds {FAILOVER_MAX_SCOPES} clusters, numbered from 0, not {scope}")
    return start + len(FAILOVER_SLOTS) + FAILOVER_SCOPE_WIDTH * scope


#: Ports the second region's block holds (``app.runner.units.regions`` says which is whose).
REGION_WIDTH = 32


def string(name: str, default: str) -> str:
    return os.environ.get(name, default)


def number(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def listing(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def choice(name: str, choices: tuple[str, ...], default: str) -> str:
    """One of ``choices``; any other value stops the process with a message naming them."""
    value = os.environ.get(name, default).strip().lower()
    if value not in choices:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"{name}={value!r}: it must be one of {', '.join(choices)}.")
    return value
