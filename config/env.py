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
    # tier4's automatic failover (being built): etcd, HAProxy's write and read ports, the pooler
    # in front of the write port, then each Patroni member's PostgreSQL and REST API, from here on
    # (``failover_port``, ``failover_member_ports``).
    "FAILOVER_PORT": 15460,
    # A second region simulated on this machine (tier4, being built): the link's ports, each of
    # region B's standbys and poolers, its Redis servers and app instances, from here on
    # (``app.runner.units.regions``).
    "REGION_PORT": 15480,
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


#: The failover block's fixed slots; Patroni member N (from 1) takes the two ports at
#: ``FAILOVER_MEMBERS + 2(N - 1)``: its PostgreSQL's, then its REST API's.
FAILOVER_SLOTS = {"etcd": 0, "etcd-peer": 1, "write": 2, "read": 3, "pooler": 4}
FAILOVER_MEMBERS = 5
#: Ports the block holds: the fixed slots and up to five members.
FAILOVER_WIDTH = 16


def failover_port(slot: str, base: int | None = None) -> int:
    """The failover block's port for ``slot`` (``"write"``: HAProxy to the leader); ``base``: the
    stack's ``FAILOVER_PORT`` where it is not this process's."""
    return (port("FAILOVER_PORT") if base is None else base) + FAILOVER_SLOTS[slot]


def failover_member_ports(number: int, base: int | None = None) -> tuple[int, int]:
    """Patroni member ``number``'s (from 1) PostgreSQL port and its REST API's."""
    server = (port("FAILOVER_PORT") if base is None else base) + FAILOVER_MEMBERS + 2 * (number - 1)
    return server, server + 1


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
