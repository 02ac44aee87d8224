"""``python -m app.runner up|down|ps|logs|deploy [--tier TIER] [--runtime processes|containers]``:
what ``make up`` and friends call.

``processes`` (the default) runs each server as a local process (app/runner/stack.py);
``containers`` runs the tier's compose profile under podman (app/runner/containers/). ``down``,
``ps``, ``logs`` and ``deploy`` act on whichever ``up`` last started from this folder.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from app.runner.containers import compose
from app.runner.processes import RunnerError
from app.runner.stack import Stack, running_ports, running_tier
from app.runner.units.setup_steps import Migrate
from config import env as project_env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.runner", description=__doc__)
    parser.add_argument(
        "command",
        choices=[
            *("up", "down", "ps", "logs", "deploy", "migrate-data", "tls", "backup", "restore-drill", "doctor"),
            *("region-b", "promote-region"),
        ],
    )
    parser.add_argument("--tier", default=os.environ.get("TIER") or None)
    parser.add_argument("--runtime", choices=["processes", "containers"], default=os.environ.get("RUNTIME") or None)
    parser.add_argument("--volumes", action="store_true", help="with down: also remove the containers' volumes")
    parser.add_argument("--lines", type=int, default=40, help="with logs: lines per service")
    parser.add_argument("--follow", action="store_true", help="with logs: keep printing new lines until Ctrl-C")
    parser.add_argument("--from", dest="source", help="with migrate-data: the tier to copy from")
    parser.add_argument("--to", dest="target", help="with migrate-data: the tier to copy into")
    parser.add_argument("--force", action="store_true", help="with migrate-data: replace data in the target")
    parser.add_argument("--json", action="store_true", help="with doctor: the report as JSON")
    parser.add_argument("--reset", action="store_true", help="with doctor: reset PostgreSQL's statistics")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwind: stop what a half-done `up` started
    var_dir = project_env.VAR_DIR
    tier = args.tier or running_tier(var_dir) or "tier0"
    environ = dict(os.environ)
    if args.command in ("down", "ps", "logs", "deploy") and tier == running_tier(var_dir):
        environ.update(running_ports(var_dir))  # where it was started, whatever this shell says
    try:
        in_containers = compose.running(var_dir)
        if args.command in ("up", "down", "ps", "logs", "deploy") and (
            args.runtime == "containers" or (args.runtime is None and args.command != "up" and in_containers)
        ):
            return containers(args, tier=args.tier or in_containers.get("tier") or "tier0")
        if args.command == "up" and in_containers:
            print(f"Stopping {in_containers['tier']} (containers) first …")
            compose.ComposeStack(in_containers["tier"], project=in_containers["project"]).down(quiet=True)
        if args.command == "migrate-data":
            return migrate_data(args.source, args.target, force=args.force)
        if args.command == "tls":
            from app.runner import tls

            files = tls.ensure(var_dir / "tls")
            print(f"Local CA: {files.ca_certificate} (trust this one)")
            print(f"Server certificate and key: {files.server_bundle}")
            return 0
        if args.command in ("backup", "restore-drill"):
            return backup_command(args.command, tier, var_dir)
        if args.command in ("region-b", "promote-region"):
            return region_command(args.command, tier, var_dir)
        if args.command == "doctor":
            return doctor_command(
                tier, var_dir, [*(["--json"] if args.json else []), *(["--reset"] if args.reset else [])]
            )
        stack = Stack(tier, environ=environ)
        if args.command == "up":
            print(f"Starting {tier} …")
            stack.up()
            print(f"\nMilestones ({tier}) is up at {stack.url()}")
            if https := stack.https_url():
                ca = stack.ctx.var_dir / "tls" / "ca.pem"
                print(f"and over HTTPS at {https} (certificate from the local CA {ca}: `curl --cacert {ca} {https}`)")
            print("Demo login: demo / demo12345   ·   stop it with `make down`")
        elif args.command == "deploy":
            from app.runner.deploy import rolling_restart

            print(f"Rolling restart of {tier}'s app instances …")
            rolling_restart(stack)
        elif args.command == "down":
            from app.runner.units.regions import RegionB

            region, region_ctx = RegionB.beside(stack.ctx)
            if region.stop(region_ctx):
                print("  stopped region B")
            stack.down()
            print(f"{tier} is stopped.")
            if args.volumes:
                compose.remove_volumes(compose.PROJECT)
        elif args.command == "ps":
            for name, status, address in stack.status():
                print(f"{name:<18} {status:<28} {address}")
        elif args.command == "logs":
            logs = sorted(stack.ctx.log_dir.glob("*.log"))
            for log in logs:
                lines = log.read_text(errors="replace").splitlines()[-args.lines :]
                print(f"==> {log} <==")
                print("\n".join(lines))
            if args.follow and logs:
                sys.stdout.flush()
                # tail -F follows each file by name, through a restart that recreates it.
                os.execvp("tail", ["tail", "-n", "0", "-F", *map(str, logs)])  # noqa: S606 - fixed arguments
    except RunnerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def started_stack(tier: str, var_dir: Path) -> Stack:
    """The stack ``make up`` started, on the ports it was started with, for the commands that work
    on a running deployment (backup, restore drill, doctor)."""
    if running_tier(var_dir) != tier:
        raise RunnerError(f"{tier} is not running: `make up TIER={tier}` first")
    return Stack(tier, environ={**os.environ, **running_ports(var_dir)})


def backup_command(command: str, tier: str, var_dir: Path) -> int:
    """``make backup`` and ``make restore-drill``, on the stack ``make up`` started."""
    from app.runner import backups

    stack = started_stack(tier, var_dir)
    if not getattr(stack.ctx.settings, "BACKUPS", None):
        raise RunnerError(f"{tier} keeps no backups: they begin at tier3 (BACKUPS)")
    if command == "backup":
        taken = backups.backup(stack.ctx)
        print(f"{taken['type']} backup {taken['label']}: {taken['bytes']:,} bytes in {taken['seconds']} s")
        return 0
    database = stack.ctx.env.get("PG_DB", "milestones")
    dsn = f"host=127.0.0.1 port={stack.ctx.port('PG_PORT')} user=postgres dbname={database}"
    report = backups.restore_drill(stack.ctx, dsn, database)
    print("\n".join(report.lines()))
    backups.save(report, project_env.BASE_DIR / "bench" / "results" / "restore-drill.json")
    return 0 if report.matched and report.canary_rows_restored == backups.CANARY_ROWS else 1


def region_command(command: str, tier: str, var_dir: Path) -> int:
    """``make region-b``: region B beside the running tier4 stack (region A), across the link;
    ``make promote-region``: the operator's step when region A is lost, B takes the writes."""
    from app.runner.units.regions import RegionB

    stack = started_stack(tier, var_dir)
    region, ctx = RegionB.beside(stack.ctx)
    if command == "region-b":
        print(f"Starting region B beside {tier} (region A) …")
        region.start(ctx)
        print(f"Region B is up at {region.url(ctx)}; the link: {region.link().address(ctx)}")
        return 0
    started = time.monotonic()
    received = region.promote(ctx)
    print(f"Region B holds the primaries ({time.monotonic() - started:.1f} s); what it had received of region A's WAL:")
    for database, position in received.items():
        print(f"  {database:<10} {position}")
    return 0


def doctor_command(tier: str, var_dir: Path, options: list[str]) -> int:
    """``make doctor``: ``manage.py doctor`` with the settings and ports of the stack ``make up`` started."""
    import subprocess

    ctx = started_stack(tier, var_dir).ctx
    command = [ctx.python, "manage.py", "doctor", *options]
    return subprocess.run(command, env=ctx.env, cwd=ctx.base_dir, check=False).returncode


def containers(args: argparse.Namespace, *, tier: str) -> int:
    """The same commands, on the tier's compose profile under podman."""
    state = compose.running(project_env.VAR_DIR)
    environ = dict(os.environ)
    if args.command != "up" and state.get("tier") == tier:
        environ.update(state.get("ports", {}))  # where it was started, whatever this shell says
    stack = compose.ComposeStack(tier, environ=environ, project=state.get("project", compose.PROJECT))
    if args.command == "up":
        if running := running_tier(project_env.VAR_DIR):
            print(f"Stopping {running} (processes) first …")
            Stack(running, environ={**os.environ, **running_ports(project_env.VAR_DIR)}).down()
        if state and state.get("tier") != tier:
            print(f"Stopping {state['tier']} (containers) first …")
            compose.ComposeStack(state["tier"], project=state.get("project", compose.PROJECT)).down(quiet=True)
        print(f"Starting {tier} in containers (podman) …")
        stack.up()
        print(f"\nMilestones ({tier}, containers) is up at {stack.url()}")
        if https := stack.https_url():
            ca = stack.tls_dir / "ca.pem"
            print(f"and over HTTPS at {https} (certificate from the local CA {ca}: `curl --cacert {ca} {https}`)")
        print("Demo login: demo / demo12345   ·   stop it with `make down`")
    elif args.command == "down":
        stack.down(volumes=args.volumes)
        kept = "" if args.volumes else "; its data stays in podman volumes (`make clean` removes them)"
        print(f"{tier} (containers) is stopped{kept}.")
    elif args.command == "ps":
        for name, status, address in stack.status():
            print(f"{name:<18} {status:<28} {address}")
    elif args.command == "logs":
        stack.logs(lines=args.lines, follow=args.follow)
    elif args.command == "deploy":
        print(f"Rolling restart of {tier}'s app containers …")
        stack.deploy()
    return 0


def migrate_data(source: str | None, target: str | None, *, force: bool) -> int:
    """Start the target tier's databases, migrate them, copy the source tier's data in, verify."""
    if not source or not target:
        raise RunnerError("migrate-data needs --from and --to, e.g. `make migrate-data FROM=tier0 TO=tier1`")
    stack = Stack(target)
    # Leave things as they were found: servers this command started are stopped again.
    was_running = running_tier(stack.ctx.var_dir) == target
    print(f"Starting {target}'s databases …")
    try:
        stack.up(infrastructure_only=True)
        Migrate().start(stack.ctx)
        copy = [
            stack.ctx.python,
            str(stack.ctx.base_dir / "manage.py"),
            "copy_data",
            "--from-tier",
            source,
            *(["--force"] if force else []),
        ]
        result = subprocess.run(copy, env=stack.ctx.env)
    finally:
        if not was_running:
            stack.down(quiet=True)
    if result.returncode == 0:
        print(f"\nDone. `make up TIER={target}` serves the copied data.")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
