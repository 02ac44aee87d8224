"""`make test`, `make up` and `make bench` install the operating-system packages they need, or say how to.

No test runs the real apt: ``apt-get`` and ``sudo`` are stand-ins first on PATH that record
their arguments, and whether we are root or have passwordless sudo is patched in.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from app.runner import system_packages
from app.runner.stack import Stack
from config.env import BASE_DIR

pytestmark = pytest.mark.tier_independent

SETTINGS_TIERS = sorted(path.stem for path in (BASE_DIR / "config" / "settings").glob("tier*.py"))


def stand_in(folder: Path, name: str, body: str) -> None:
    script = folder / name
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


@pytest.fixture
def calls(tmp_path, monkeypatch) -> Path:
    """Stand-ins that log each call: ``apt-get`` (exit status in $APT_EXIT; its DEBIAN_FRONTEND in brackets)
    and ``sudo``, which, like the real one, hands the command a fresh environment plus VAR=value arguments."""
    log = tmp_path / "calls"
    stand_in(tmp_path, "apt-get", f'echo "apt-get $* [$DEBIAN_FRONTEND]" >> {log}\nexit "${{APT_EXIT:-0}}"')
    stand_in(tmp_path, "sudo", f'echo "sudo $1" >> {log}\nshift\nexec env -i PATH="$PATH" "$@"')
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    return log


@pytest.fixture
def as_user(monkeypatch):
    """Neither root nor passwordless sudo, whoever really runs the tests."""
    monkeypatch.setattr(system_packages, "is_root", lambda: False)
    monkeypatch.setattr(system_packages, "passwordless_sudo", lambda: False)


@pytest.fixture
def as_root(monkeypatch):
    monkeypatch.setattr(system_packages, "is_root", lambda: True)


@pytest.fixture
def nothing_installed(monkeypatch):
    monkeypatch.setattr(system_packages, "present", lambda program: False)


@pytest.mark.parametrize("tier", SETTINGS_TIERS)
def test_the_static_table_names_exactly_the_servers_each_tiers_settings_start(tier):
    """The table stands in for the settings the module cannot import; the runner's Daemons are the truth."""
    assert tier in system_packages.TIER_SERVERS, f"add {tier} to TIER_SERVERS in app/runner/system_packages.py"
    assert system_packages.TIER_SERVERS[tier] == Stack(tier).programs()


def test_the_table_knows_no_tier_that_has_no_settings():
    assert sorted(system_packages.TIER_SERVERS) == SETTINGS_TIERS


def test_each_need_asks_for_what_its_target_drives():
    def packages(need: str, tier: str | None = None) -> set[str]:
        return set(system_packages.programs_for(need, tier).values())

    monitoring = {
        "prometheus",
        "prometheus-alertmanager",
        "prometheus-postgres-exporter",
        "prometheus-redis-exporter",
        "prometheus-node-exporter",
        "pgbackrest",
    }
    servers = {"postgresql-15", "redis-server", "pgbouncer", "haproxy", *monitoring}
    containers = {"podman", "runc", "netavark", "aardvark-dns", "catatonit", "iptables", "debootstrap"}
    failover = {"patroni", "python3-etcd", "etcd-server"}
    browser = {"chromium", "libnss3-tools"}
    assert packages("test") == servers | failover | containers | browser | {"wrk", "kubernetes-client"}
    assert packages("containers") == containers
    assert packages("bench") == servers | {"wrk"}
    assert packages("up", "tier0") == set()
    assert packages("up", "tier1") == {"postgresql-15", "redis-server"}
    assert packages("venv") == set()


def test_a_missing_program_names_its_package_once():
    programs = {"/nonexistent/bin/postgres": "postgresql-15", "/nonexistent/bin/initdb": "postgresql-15", "sh": "dash"}
    assert system_packages.missing(programs) == ["postgresql-15"]


def test_python3_venv_is_wanted_only_without_ensurepip_and_without_the_virtualenv(tmp_path, monkeypatch):
    monkeypatch.setattr(system_packages, "ensurepip_available", lambda: False)
    monkeypatch.setattr(system_packages, "VENV_PYTHON", tmp_path / "python")
    assert system_packages.venv_packages() == ["python3-venv"]
    (tmp_path / "python").touch(mode=0o755)
    assert system_packages.venv_packages() == []


def test_nothing_missing_prints_nothing_and_runs_nothing(calls, as_root, monkeypatch, capsys):
    monkeypatch.setattr(system_packages, "present", lambda program: True)
    monkeypatch.setattr(system_packages, "venv_packages", list)
    assert system_packages.main(["test"]) == 0
    assert capsys.readouterr() == ("", "")
    assert not calls.exists()


def test_as_root_it_prints_each_apt_command_and_runs_it(calls, as_root, nothing_installed, monkeypatch, capsys):
    monkeypatch.setattr(system_packages, "venv_packages", list)
    assert system_packages.main(["up", "tier2"]) == 0
    install = "apt-get install -y -qq --no-install-recommends postgresql-15 redis-server pgbouncer haproxy"
    assert capsys.readouterr() == (f"+ apt-get update -qq\n+ {install}\n", "")
    assert calls.read_text().splitlines() == ["apt-get update -qq [noninteractive]", f"{install} [noninteractive]"]


def test_with_passwordless_sudo_it_goes_through_sudo(calls, monkeypatch, capsys):
    monkeypatch.setattr(system_packages, "is_root", lambda: False)
    monkeypatch.setattr(system_packages, "passwordless_sudo", lambda: True)
    system_packages.ensure(["wrk", "haproxy", "wrk"])
    assert capsys.readouterr().out.splitlines() == [
        "+ sudo -n DEBIAN_FRONTEND=noninteractive apt-get update -qq",
        "+ sudo -n DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk haproxy",
    ]
    assert calls.read_text().splitlines() == [
        "sudo -n",
        "apt-get update -qq [noninteractive]",
        "sudo -n",
        "apt-get install -y -qq --no-install-recommends wrk haproxy [noninteractive]",
    ]


def test_without_root_or_sudo_it_stops_at_once_with_the_command_to_run(
    calls, as_user, nothing_installed, monkeypatch, capsys
):
    monkeypatch.setattr(system_packages, "venv_packages", lambda: ["python3-venv"])
    assert system_packages.main(["bench"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    monitoring = (
        "prometheus prometheus-postgres-exporter prometheus-redis-exporter prometheus-node-exporter "
        "prometheus-alertmanager pgbackrest"
    )
    assert err == (
        f"missing: python3-venv, postgresql-15, redis-server, pgbouncer, haproxy, {monitoring.replace(' ', ', ')}, "
        "wrk — run: sudo apt-get install -y python3-venv postgresql-15 redis-server pgbouncer haproxy "
        f"{monitoring} wrk\n"
    )
    assert not calls.exists()


def test_a_failing_apt_is_one_line_and_a_failure(calls, as_root, monkeypatch, capsys):
    monkeypatch.setenv("APT_EXIT", "100")
    with pytest.raises(system_packages.Missing) as failure:
        system_packages.ensure(["wrk"])
    assert str(failure.value) == "`apt-get update -qq` failed (exit 100); still missing: wrk"
    assert len(calls.read_text().splitlines()) == 1, "nothing runs after a failed step"


def test_an_unknown_tier_is_refused_with_the_tiers_that_exist(capsys):
    assert system_packages.main(["up", "tier99"]) == 2
    assert (
        "There is no tier called 'tier99'; the tiers are tier0, tier1, tier2, tier3, tier4." in capsys.readouterr().err
    )


def test_it_runs_before_the_virtualenv_with_the_standard_library_alone():
    """`python -S` leaves site-packages (the virtualenv's) off the path, as the system python3 before `.venv`."""
    result = subprocess.run(
        [sys.executable, "-S", "-m", "app.runner.system_packages", "up", "tier0"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
