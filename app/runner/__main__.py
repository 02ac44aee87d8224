"""``python -m app.runner up|down|ps|logs [--tier TIER]``: what ``make up`` and friends call."""

from __future__ import annotations

import argparse
import os
import sys

from app.runner.processes import RunnerError
from app.runner.stack import Stack, running_tier
from config import env as project_env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.runner", description=__doc__)
    parser.add_argument("command", choices=["up", "down", "ps", "logs"])
    parser.add_argument("--tier", default=os.environ.get("TIER") or None)
    parser.add_argument("--lines", type=int, default=40, help="with logs: lines per service")
    args = parser.parse_args(argv)
    var_dir = project_env.VAR_DIR
    tier = args.tier or running_tier(var_dir) or "tier0"
    if args.command in ("down", "ps", "logs") and not args.tier:
        tier = running_tier(var_dir) or tier
    try:
        stack = Stack(tier)
        if args.command == "up":
            print(f"Starting {tier} …")
            stack.up()
            print(f"\nMilestones ({tier}) is up at {stack.url()}")
            print("Demo login: demo / demo12345   ·   stop it with `make down`")
        elif args.command == "down":
            stack.down()
            print(f"{tier} is stopped.")
        elif args.command == "ps":
            for name, status, address in stack.status():
                print(f"{name:<14} {status:<28} {address}")
        elif args.command == "logs":
            for log in sorted(stack.ctx.log_dir.glob("*.log")):
                lines = log.read_text(errors="replace").splitlines()[-args.lines :]
                print(f"==> {log} <==")
                print("\n".join(lines))
    except RunnerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
