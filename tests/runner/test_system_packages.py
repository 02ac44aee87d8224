"""`make up` and `make test` install the operating-system packages they need, or say how to."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from app.runner import system_packages
from app.runner.stack import Stack

pytestmark = pytest.mark.tier_independent


@pytest.fixture
def fake_apt(tmp_path, monkeypatch):
    """An ``apt-get`` first on PATH that records its arguments instead of installing anything."""
    calls = tmp_path / "calls"
    script = tmp_path / "apt-get"
    script.write_text(f'#!/bin/sh\necho "$@" >> {calls}\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    return calls


def test_a_missing_program_names_its_package_once():
    programs = {"/nonexistent/bin/postgres": "postgresql-15", "/nonexistent/bin/initdb": "postgresql-15", "sh": "dash"}
    assert system_packages.missing(programs) == ["postgresql-15"]


def test_nothing_missing_prints_nothing_and_runs_nothing(fake_apt, capsys):
    system_packages.ensure([])
    assert capsys.readouterr() == ("", "")
    assert not fake_apt.exists()


def test_as_root_it_prints_and_runs_apt(fake_apt, capsys, monkeypatch):
    monkeypatch.setattr(system_packages.os, "geteuid", lambda: 0)
    system_packages.ensure(["wrk", "haproxy", "wrk"])
    printed = capsys.readouterr().out.splitlines()
    assert printed == [
        "+ apt-get update -qq",
        "+ apt-get install -y -qq --no-install-recommends wrk haproxy",
    ]
    assert fake_apt.read_text().splitlines() == ["update -qq", "install -y -qq --no-install-recommends wrk haproxy"]


def test_without_root_or_sudo_it_stops_at_once_with_the_command_to_run(fake_apt, monkeypatch, capsys):
    monkeypatch.setattr(system_packages.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(system_packages.shutil, "which", lambda name: None)
    monkeypatch.setattr(system_packages, "for_tests", lambda: {"/nonexistent/wrk": "wrk"})
    assert system_packages.main(["tests"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.strip() == "missing: wrk — run: sudo apt-get install -y -qq --no-install-recommends wrk"
    assert not fake_apt.exists()


def test_the_test_suite_asks_for_every_tiers_servers_and_its_tools():
    packages = set(system_packages.for_tests().values())
    assert {"postgresql-15", "redis-server", "pgbouncer", "haproxy", "chromium", "wrk"} <= packages


@pytest.mark.parametrize("tier", system_packages.TIERS)
def test_each_tier_asks_for_the_servers_it_runs(tier):
    stack = Stack(tier)
    for program, package in stack.programs().items():
        assert package, program
    expected = {"tier0": set(), "tier1": {"postgresql-15", "redis-server"}}.get(
        tier, {"postgresql-15", "redis-server", "pgbouncer", "haproxy"}
    )
    assert set(stack.programs().values()) == expected


def test_it_runs_with_the_standard_library_alone():
    """It runs before the virtualenv exists: importing it must not need anything installed there."""
    source = Path(system_packages.__file__).read_text()
    top_level = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert all(
        line.split()[1].split(".")[0]
        in {"__future__", "argparse", "os", "shutil", "subprocess", "sys", "collections", "pathlib"}
        for line in top_level
    ), top_level
