"""``make diff A=tier1 B=tier2``: what one milestone changes, in one screen.

Both settings modules are imported as they are (each already resolves the tiers below
it), every UPPERCASE setting is flattened to dotted keys (``DATABASES.default.ENGINE``)
and compared; the services each tier runs are listed side by side.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

from app.runner.registry import SERVICES
from app.runner.services import Task

#: Settings that only describe what runs; shown in the services section instead.
RUNTIME = {"RUNNER_SERVICES", "WEB_SERVER", "WORKERS"}


def flatten(value: Any, prefix: str) -> dict[str, Any]:
    if isinstance(value, dict) and value:
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat.update(flatten(item, f"{prefix}.{key}"))
        return flat
    if callable(value) and hasattr(value, "__qualname__"):
        # A function setting (a hook) reads as the dotted path that names it, not its address.
        return {prefix: _Dotted(f"{value.__module__}.{value.__qualname__}")}
    return {prefix: value}


class _Dotted(str):
    """Shown bare (``app.platform.static.cache_headers``), where a string would be quoted."""

    def __repr__(self) -> str:
        return str(self)


def resolved(tier: str) -> dict[str, Any]:
    module = importlib.import_module(f"config.settings.{tier}")
    flat: dict[str, Any] = {}
    for name in dir(module):
        if name.isupper() and name not in RUNTIME:
            flat.update(flatten(getattr(module, name), name))
    return flat


def describe_services(tier: str) -> list[str]:
    module = importlib.import_module(f"config.settings.{tier}")
    lines = []
    for name in module.RUNNER_SERVICES:
        if name == "web":
            size = module.WEB_SERVER
            per_instance = f"{size['workers']} workers × {size['threads']} threads"
            lines.append(f"web: {size.get('instances', 1)} × gunicorn ({per_instance})")
        elif name == "workers":
            for worker in module.WORKERS:
                lines.append(f"worker {worker['name']}: queues {', '.join(worker['queues'])} × {worker['concurrency']}")
        else:
            kind = "one-shot" if issubclass(SERVICES[name], Task) else "server"
            lines.append(f"{name} ({kind})")
    return lines


def render(a: str, b: str) -> str:
    before, after = resolved(a), resolved(b)
    out = [f"Settings that differ, {a} → {b} (fully resolved):"]
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key, "<unset>"), after.get(key, "<unset>")
        if old == new:
            continue
        if isinstance(old, list) and isinstance(new, list):
            changes = [f"+ {item!r}" for item in new if item not in old] + [
                f"- {item!r}" for item in old if item not in new
            ]
            out.append(f"  ~ {key}: {', '.join(changes) or 'reordered'}")
        else:
            if key in before:
                out.append(f"  - {key} = {before[key]!r}")
            if key in after:
                out.append(f"  + {key} = {after[key]!r}")
    services_a, services_b = describe_services(a), describe_services(b)
    out.append(f"\nWhat runs ({a} → {b}):")
    for line in services_a:
        out.append(f"  {'  ' if line in services_b else '- '}{line}")
    for line in services_b:
        if line not in services_a:
            out.append(f"  + {line}")
    return "\n".join(out)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m app.runner.diff TIER_A TIER_B", file=sys.stderr)
        return 2
    try:
        print(render(*argv))
    except ModuleNotFoundError as exc:
        print(f"error: no such tier ({exc.name})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
