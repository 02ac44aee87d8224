"""``python -m bench [scenario …] [--seconds N]``: run scenarios, print tables, write bench/results/."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from app.runner.processes import RunnerError
from bench.report import RESULTS
from bench.scenarios import SCENARIOS
from bench.wrk import NoRequests, WrkMissing


def main(argv: list[str] | None = None) -> int:
    # Stopped from outside (Ctrl-C, a CI timeout): unwind, so every stack a scenario started is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__)
    parser.add_argument(
        "scenarios", nargs="*", metavar="scenario", help=f"one of: {', '.join(SCENARIOS)} (default: all)"
    )
    parser.add_argument("--seconds", type=float, default=10, help="load duration per measured run (default 10)")
    parser.add_argument("--results", type=Path, default=RESULTS, help=f"where JSON and charts go (default {RESULTS})")
    parser.add_argument("--quick", action="store_true", help="small data sets: proves the harness, not the speed")
    args = parser.parse_args(argv)
    unknown = [name for name in args.scenarios if name not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}")
    failed = 0
    for name in args.scenarios or list(SCENARIOS):
        try:
            report = SCENARIOS[name](seconds=args.seconds, quick=args.quick)
        except (RunnerError, WrkMissing, NoRequests) as exc:
            print(f"{name}: {exc}", file=sys.stderr)
            failed += 1
            continue
        print(report.render())
        print(f"  → {report.save(args.results)}\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
