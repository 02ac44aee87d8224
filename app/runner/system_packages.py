"""The operating-system packages Milestones needs, installed when they are missing.

``make up`` and ``make test`` call this so a fresh Debian or Ubuntu machine with only
Python and make gets everything else by itself: as root (or with passwordless sudo) the
missing packages are installed with apt, and the command is printed first; otherwise it
stops at once with one line naming the command to run. Nothing is printed when nothing
is missing.

This module runs before the virtualenv exists (``python3 -m app.runner.system_packages
venv``), so at import it uses nothing but the standard library.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

#: Programs the test suite and the benchmarks drive, beyond the servers the tiers start.
TEST_PROGRAMS = {"/usr/bin/chromium": "chromium", "wrk": "wrk"}
TIERS = ("tier0", "tier1", "tier2")


class Missing(Exception):
    """Packages are missing and this process may not install them; the message says what to run."""


def present(program: str) -> bool:
    """A program named by path must exist; a bare name must be on PATH (or in /usr/sbin, off a user's PATH)."""
    if "/" in program:
        return Path(program).exists()
    return shutil.which(program) is not None or Path("/usr/sbin", program).exists()


def venv_packages() -> list[str]:
    """Debian's own Python needs ``python3-venv`` (its ensurepip) before ``python3 -m venv`` works."""
    if not sys.executable.startswith("/usr/bin/"):
        return []  # a Python built elsewhere (pyenv, python.org) carries ensurepip itself
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    # Debian ships ensurepip, the module venv needs, in its own package.
    return [] if Path(f"/usr/lib/{version}/ensurepip/__main__.py").exists() else [f"{version}-venv"]


def missing(programs: dict[str, str]) -> list[str]:
    """The packages, in order and without repeats, whose programs are not installed."""
    return list(dict.fromkeys(package for program, package in programs.items() if not present(program)))


def ensure(packages: Iterable[str]) -> None:
    """Install ``packages`` with apt if there are any: as root, or through passwordless sudo.

    Raises ``Missing`` with the command to run when neither is possible, or when apt fails.
    """
    packages = list(dict.fromkeys(packages))
    if not packages:
        return
    install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages]
    prefix = _privilege()
    if prefix is None:
        raise Missing(f"missing: {', '.join(packages)} — run: sudo {' '.join(install)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for command in (["apt-get", "update", "-qq"], install):
        print(f"+ {' '.join([*prefix, *command])}", flush=True)
        # apt's progress goes nowhere; its errors (on stderr) still reach the user.
        if subprocess.run([*prefix, *command], env=env, stdout=subprocess.DEVNULL).returncode != 0:
            raise Missing(f"`{' '.join(command)}` failed; run it yourself to see why: sudo {' '.join(install)}")


def _privilege() -> list[str] | None:
    """How to run apt here: directly as root, through ``sudo -n``, or not at all (``None``)."""
    if os.geteuid() == 0:
        return []
    if shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0:
        return ["sudo", "-n"]
    return None


def tier_programs(tier: str) -> dict[str, str]:
    """Program → package for every service ``tier`` runs (imports the tier's settings: needs the virtualenv)."""
    from app.runner.stack import Stack

    return Stack(tier).programs()


def for_tests() -> dict[str, str]:
    programs = dict(TEST_PROGRAMS)
    for tier in TIERS:
        programs.update(tier_programs(tier))
    return programs


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m app.runner.system_packages", description=__doc__)
    parser.add_argument(
        "need", choices=["venv", "tests"], help="venv: what creating the virtualenv needs; tests: every tier and tool"
    )
    args = parser.parse_args(argv)
    try:
        ensure(venv_packages() if args.need == "venv" else missing(for_tests()))
    except Missing as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
