"""The benchmark harness's smoke runs (``tests/test_bench.py``), started as early as the pass allows.

A smoke run is ``python -m bench`` with short loads on small data. It spends most of its minutes
waiting: for the stacks its scenarios start, and for each load's seconds to pass. So the pass
starts both runs as soon as it has collected a test that reads them (``tests/conftest.py``), and
the rest of the pass runs meanwhile, instead of eight minutes of waiting at its end. Each
scenario starts private stacks in folders of its own, on free ports from a range of its own (a
port is only free until someone binds it), so nothing the other tests start is touched. The
ratios measured this way mean nothing, and nothing asserts them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

#: tier3's scenarios, smoke-run on their own (each starts tier3 stacks: a run of its own, its own time).
TIER3_SCENARIOS = ["cache", "stampede", "scale-out", "rate-limit"]
#: Not smoke-run here: tier4's move of a team under writes runs at smoke size in the tier4 pass
#: itself (tests/tier4/test_moving.py), and its stack of three clusters is a load of its own.
NOT_SMOKED = ["move-team"]
#: The longest a smoke run may take, counted from when it was started.
TIMEOUT_SECONDS = 1500
#: The ports each run's stacks take theirs from: apart from each other and from 20000-30000,
#: where the rest of the pass picks; below the kernel's ephemeral range (32768 on).
PORTS = {"tier3": "30000-31350", "others": "31350-32700"}


class Smoke:
    """One ``python -m bench`` run, started now, waited for by ``result``."""

    def __init__(self, scenarios: list[str], ports: str) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="bench-smoke-"))
        self.output = self.folder / "bench.log"
        with self.output.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bench", *scenarios, "--seconds", "4", "--quick", "--results", str(self.folder)],
                cwd=ROOT,
                env=dict(os.environ, MILESTONES_FREE_PORTS=ports),
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
            )

    def result(self) -> Path:
        try:
            code = self.process.wait(timeout=TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.stop()
            raise
        printed = self.output.read_text()
        assert code == 0, printed[-6000:]
        assert "ratio:" in printed
        return self.folder

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


_started: dict[str, Smoke] = {}


def start(wanted: Iterable[str] = ("tier3", "others")) -> dict[str, Smoke]:
    """The runs named (both by default), each started once per pass; they run side by side."""
    from bench.scenarios import SCENARIOS

    others = [s for s in SCENARIOS if s not in TIER3_SCENARIOS and s not in NOT_SMOKED]
    scenarios = {"tier3": TIER3_SCENARIOS, "others": others}
    for name in wanted:
        if name not in _started:
            _started[name] = Smoke(scenarios[name], PORTS[name])
    return _started


def start_for(items: Iterable[Any]) -> None:
    """Start the runs that the collected tests read (``-k`` or ``-m`` may have left none)."""
    fixtures = {"results": "others", "tier3_results": "tier3"}
    wanted = {run for item in items for name, run in fixtures.items() if name in getattr(item, "fixturenames", ())}
    if wanted:
        start(sorted(wanted))


def stop_all() -> None:
    """At the end of the pass: a run nobody waited for is killed, and its folder removed."""
    for smoke in _started.values():
        smoke.stop()
        shutil.rmtree(smoke.folder, ignore_errors=True)
    _started.clear()
