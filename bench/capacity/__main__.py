"""``python -m bench.capacity`` (``make capacity``): print the plan for 100K, 1M and 10M users."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from bench.capacity.figures import BASELINE, FiguresError, gather, measured, write_baseline
from bench.capacity.model import Assumptions, plan
from bench.capacity.render import render
from bench.report import RESULTS

USERS = (100_000, 1_000_000, 10_000_000)
SUFFIXES = {"": 1, "K": 1_000, "M": 1_000_000}


def user_counts(text: str) -> list[int]:
    """``100K,1M,10M`` (or plain digits) → the numbers of users, each at least 1."""
    counts = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        found = re.fullmatch(r"(\d+(?:\.\d+)?)([KkMm]?)", part)
        if not found or float(found.group(1)) * SUFFIXES[found.group(2).upper()] < 1:
            raise argparse.ArgumentTypeError(f"{part!r} is not a number of users (e.g. 100K, 1M, 2500000)")
        counts.append(round(float(found.group(1)) * SUFFIXES[found.group(2).upper()]))
    if not counts:
        raise argparse.ArgumentTypeError("no number of users given")
    return counts


def _number(check: Callable[[float], bool], wants: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number ({wants})") from None
        if not check(value):
            raise argparse.ArgumentTypeError(f"{text} is out of range: {wants}")
        return value

    return parse


share = _number(lambda v: 0 < v <= 1, "a share above 0 and at most 1, e.g. 0.05")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make capacity", description=__doc__)
    parser.add_argument("--users", type=user_counts, default=list(USERS), help="USERS: e.g. 100K,1M,10M")
    parser.add_argument("--active-share", type=share, help="ACTIVE_SHARE: users active in an average minute")
    parser.add_argument(
        "--peak-factor", type=_number(lambda v: v >= 1, "at least 1"), help="PEAK_FACTOR: busiest minute ÷ average"
    )
    parser.add_argument(
        "--requests-per-minute",
        type=_number(lambda v: v > 0, "above 0"),
        help="REQUESTS_PER_MINUTE: requests an active user makes a minute",
    )
    parser.add_argument(
        "--write-share", type=_number(lambda v: 0 <= v <= 1, "between 0 and 1"), help="WRITE_SHARE: requests that write"
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help=f"bench results to read (default {RESULTS})")
    parser.add_argument("--baseline", type=Path, default=BASELINE, help="the figures to fall back on")
    parser.add_argument(
        "--write-baseline", action="store_true", help="record the latest bench results as the baseline, and stop"
    )
    args = parser.parse_args(argv)
    try:
        if args.write_baseline:
            print(f"wrote {write_baseline(args.results, args.baseline)}")
            return 0
        overrides = {
            name: getattr(args, name)
            for name in ("active_share", "peak_factor", "requests_per_minute", "write_share")
            if getattr(args, name) is not None
        }
        assumptions = replace(Assumptions(), **overrides)
        sources = gather(args.results, args.baseline)
        figures = measured(sources)
        plans = [plan(users, assumptions, figures) for users in args.users]
    except (FiguresError, ValueError, ZeroDivisionError) as exc:
        print(f"make capacity: {exc}", file=sys.stderr)
        return 1
    print(render(plans, assumptions, figures, sources))
    return 0


if __name__ == "__main__":
    sys.exit(main())
