"""``make loadtest TIER=tier2 USERS=50 DURATION=60s``: the tier started for the run, Locust headless
against it, its report in ``bench/results/loadtest-<tier>.html`` and CSV files beside it; exit 1
when p95 latency (all journeys together) or the error rate passes its threshold.

The stack is the tier as ``make up`` runs it (demo data included), in ``var/loadtest/<tier>`` on
free ports, stopped afterwards. Traffic goes to 127.0.0.1 only, for ``DURATION`` and no longer.
"""

from __future__ import annotations

import argparse
import csv
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from app.runner.processes import RunnerError
from app.runner.stack import Stack, private_stack
from bench.report import RESULTS

ROOT = Path(__file__).resolve().parents[2]
LOCUSTFILE = Path(__file__).with_name("journeys.py")
#: Run in the stack's environment: the seeded users' password, then their usernames, one per line.
SEEDED_USERS = (
    "from app.accounts.models import User; from app.seeding.builders import SEEDED_PASSWORD; "
    "names = User.objects.filter(is_superuser=False).order_by('id').values_list('username', flat=True)[:500]; "
    "print('\\n'.join([SEEDED_PASSWORD, *names]))"
)


@dataclass(frozen=True)
class Row:
    name: str
    requests: int
    failures: int
    median_ms: float
    p95_ms: float
    p99_ms: float = 0.0
    #: Requests a second over the measured time (from the last statistics reset).
    requests_per_second: float = 0.0

    @property
    def error_rate(self) -> float:
        return self.failures / self.requests if self.requests else 0.0


def read_stats(prefix: Path) -> list[Row]:
    """Locust's ``<prefix>_stats.csv``: one row per journey, then ``Aggregated``."""
    with Path(f"{prefix}_stats.csv").open(newline="") as handle:
        return [
            Row(
                name=row["Name"],
                requests=int(row["Request Count"]),
                failures=int(row["Failure Count"]),
                median_ms=_number(row["Median Response Time"]),
                p95_ms=_number(row["95%"]),
                p99_ms=_number(row["99%"]),
                requests_per_second=_number(row["Requests/s"]),
            )
            for row in csv.DictReader(handle)
        ]


def commonest_failure(prefix: Path) -> str:
    """What most failed requests failed with, from ``<prefix>_failures.csv``: the HTTP status when
    the error names one (``503``), else Locust's error text; empty when nothing failed."""
    path = Path(f"{prefix}_failures.csv")
    if not path.exists():
        return ""
    counts: dict[str, int] = {}
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            status = re.search(r"\b([1-5]\d\d)\b", row["Error"])
            key = status.group(1) if status else row["Error"][:60]
            counts[key] = counts.get(key, 0) + int(row["Occurrences"])
    return max(counts, key=counts.__getitem__, default="")


def _number(cell: str) -> float:
    """A figure of Locust's CSV: it writes ``N/A`` for a percentile of a row without requests."""
    return 0.0 if cell in ("", "N/A") else float(cell)


def seeded_users(stack: Stack, folder: Path) -> tuple[Path, str]:
    """The stack's seeded usernames, one per line in a file, and their password, for the
    locustfile's signed-in visitors."""
    done = subprocess.run(
        [stack.ctx.python, "manage.py", "shell", "--verbosity", "0", "-c", SEEDED_USERS],
        env=stack.ctx.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    password, *names = done.stdout.split()
    path = folder / "users.txt"
    path.write_text("\n".join(names) + "\n")
    return path, password


def run_locust(
    stack: Stack,
    users: int,
    spawn_rate: float,
    duration: str,
    prefix: Path,
    usernames: Path,
    password: str,
    *,
    reset_stats: bool = False,
    output: Path | None = None,
    request_timeout: float | None = None,
) -> None:
    """Locust headless against ``stack`` for ``duration``, its CSV files (and HTML report) at ``prefix``.

    ``reset_stats``: count only once every user is started (a ladder of loads measures each rung
    at its size, without the log-ins of the users starting); ``output``: Locust's own printing
    goes to that file instead of the terminal.
    """
    locust = shutil.which("locust", path=str(Path(sys.executable).parent)) or "locust"
    command = [
        locust,
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        str(spawn_rate),
        "--run-time",
        duration,
        "--stop-timeout",
        "5",
        "--host",
        stack.url().rstrip("/"),
        "--csv",
        str(prefix),
        "--html",
        f"{prefix}.html",
        "--only-summary",
        "--loglevel",
        "WARNING",
        *(["--reset-stats"] if reset_stats else []),
    ]
    env = {**stack.ctx.env, "LOADTEST_USERS": str(usernames), "LOADTEST_PASSWORD": password}
    if request_timeout is not None:  # how long a visitor waits before giving up (journeys.py's default otherwise)
        env["LOADTEST_REQUEST_TIMEOUT"] = str(request_timeout)
    # Locust exits 1 when any request failed: the thresholds below decide, from its CSV.
    if output is None:
        done = subprocess.run(command, env=env, cwd=ROOT, check=False)
    else:
        with output.open("a") as log:
            done = subprocess.run(command, env=env, cwd=ROOT, check=False, stdout=log, stderr=subprocess.STDOUT)
    if done.returncode not in (0, 1) or not Path(f"{prefix}_stats.csv").exists():
        raise RunnerError(f"locust stopped with exit code {done.returncode} and no statistics")


def verdict(rows: list[Row], *, max_p95_ms: float, max_error_rate: float) -> list[str]:
    """What passed a threshold, in words; empty when the run is within both."""
    total = next(row for row in rows if row.name == "Aggregated")
    problems = []
    if total.requests == 0:
        problems.append("no request was made")
    if total.p95_ms > max_p95_ms:
        problems.append(f"p95 {total.p95_ms:.0f} ms is over {max_p95_ms:.0f} ms")
    if total.error_rate > max_error_rate:
        problems.append(f"error rate {total.error_rate:.2%} is over {max_error_rate:.2%}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make loadtest", description=__doc__.split("\n\n")[0])
    parser.add_argument("--tier", default="tier0")
    parser.add_argument("--users", type=int, default=20, help="simulated users (default 20)")
    parser.add_argument("--spawn-rate", type=float, default=0, help="users started per second (default: all in 5 s)")
    parser.add_argument("--duration", default="30s", help="how long, in Locust's notation: 30s, 2m (default 30s)")
    parser.add_argument("--max-p95-ms", type=float, default=1000, help="fail above this p95 (default 1000 ms)")
    parser.add_argument("--max-error-rate", type=float, default=0.01, help="fail above this share (default 0.01)")
    parser.add_argument(
        "--request-timeout", type=float, default=None, help="seconds before a request counts as an error (default 10)"
    )
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    args.results.mkdir(parents=True, exist_ok=True)
    prefix = args.results / f"loadtest-{args.tier}"
    folder = ROOT / "var" / "loadtest" / args.tier
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    try:
        with private_stack(args.tier, folder) as stack:
            usernames, password = seeded_users(stack, folder)
            print(f"{args.tier} is up at {stack.url()}: {args.users} users for {args.duration} …", flush=True)
            rate = args.spawn_rate or max(1.0, args.users / 5)
            timeout = args.request_timeout
            run_locust(stack, args.users, rate, args.duration, prefix, usernames, password, request_timeout=timeout)
    except RunnerError as exc:
        print(f"loadtest: {exc}", file=sys.stderr)
        return 2
    rows = read_stats(prefix)
    print(f"\n{'journey':<22} {'requests':>9} {'failures':>9} {'median ms':>10} {'p95 ms':>8}")
    for row in rows:
        print(f"{row.name:<22} {row.requests:>9} {row.failures:>9} {row.median_ms:>10.0f} {row.p95_ms:>8.0f}")
    print(f"\nreport: {prefix}.html  ·  CSV: {prefix}_stats.csv, {prefix}_failures.csv")
    problems = verdict(rows, max_p95_ms=args.max_p95_ms, max_error_rate=args.max_error_rate)
    if problems:
        print("FAILED: " + "; ".join(problems), file=sys.stderr)
        return 1
    print(f"passed: p95 within {args.max_p95_ms:.0f} ms, errors within {args.max_error_rate:.2%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
