"""``make diff A=tier1 B=tier2``: what one milestone changes, read like a changelog on one screen.

Both settings modules are imported as they are (each already resolves the tiers below it)
and every UPPERCASE setting is compared, fully resolved. The output opens with the
milestone's own summary (the first line of its settings module's docstring), then shows
the settings that differ grouped by what they control, and what runs differently.

A reader wants the milestone, not every key: a new alias or a new dict is folded into one
line, a replaced alias (another ENGINE or BACKEND) too, and so is a library's namespace of
settings that arrives whole (``CELERY_*``). ``-v`` unfolds all of it, key by key.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from app.runner import tiers
from app.runner.registry import SERVICES
from config import env

#: The headings, in the order a milestone reads: where data lives, what happens after the
#: request, how pages load, what is cached, how assets are served, where requests and reads
#: go, how the site faces the world, what runs; anything unlisted comes last.
GROUPS: tuple[tuple[str, str], ...] = (
    ("database", "Database"),
    ("jobs", "Jobs"),
    ("loading", "Loading"),
    ("cache", "Cache and sessions"),
    ("static", "Static and media files"),
    ("routing", "Routing (requests and reads)"),
    ("security", "Security and environment"),
    ("services", "Services (what runs)"),
    ("other", "Other"),
)

#: Setting name prefix → group: the one table that decides where a setting is shown. The
#: longest matching prefix wins, so ``SESSION_COOKIE_`` (security) beats ``SESSION_``; within
#: a group, settings follow this table's order, then the order the tier defines them in.
SETTING_GROUPS: tuple[tuple[str, str], ...] = (
    ("DATABASES", "database"),
    ("MIGRATION_DATABASE", "database"),
    ("SHARDING", "database"),
    ("TEAM_PLACEMENT", "database"),
    ("DB_HEALTH_CHECK_", "database"),
    ("DURABLE_COMMIT", "database"),
    ("JOBS_BACKEND", "jobs"),
    ("JOBS_", "jobs"),
    ("CELERY_", "jobs"),
    ("QUEUE_ALERTS", "jobs"),
    ("JOB_QUEUES", "jobs"),
    ("SERVICE_QUEUES", "jobs"),
    ("MEDIA_WORK", "jobs"),
    ("LOADING_", "loading"),
    ("CACHES", "cache"),
    ("CACHE_", "cache"),
    ("SESSION_", "cache"),
    ("DJANGO_REDIS_", "cache"),
    ("APP_CACHE", "cache"),
    ("STORAGES", "static"),
    ("STATIC", "static"),
    ("WHITENOISE_", "static"),
    ("MEDIA_", "static"),
    ("SERVE_MEDIA", "static"),
    ("OBJECT_STORE", "static"),
    ("FILE_UPLOAD_", "static"),
    ("DATABASE_ROUTERS", "routing"),
    ("REPLICA_ROUTING", "routing"),
    ("MIDDLEWARE", "routing"),
    ("READINESS_CHECKS", "routing"),
    ("LOAD_BALANCER_", "routing"),
    ("ROOT_URLCONF", "routing"),
    ("ENVIRONMENT", "security"),
    ("SECRET_KEY", "security"),
    ("DEVELOPMENT_SECRET_KEY", "security"),
    ("DEBUG", "security"),
    ("ALLOWED_HOSTS", "security"),
    ("TRUSTED_PROXIES", "security"),
    ("SECURE_", "security"),
    ("CSRF_", "security"),
    ("SESSION_COOKIE_", "security"),
    ("OUTBOUND_ALLOWED_NETWORKS", "security"),
    ("RATE_LIMIT", "security"),
    # Read by the runner, not by Django: shown as the services they start, not as keys.
    ("RUNNER_SERVICES", "services"),
    ("WEB_SERVER", "services"),
    ("WORKERS", "services"),
    ("MEDIA_SERVICE", "services"),
)

#: Settings a library reads under one prefix (Celery's ``namespace="CELERY"``): when the
#: whole namespace arrives (or leaves) with a tier, it is one change and reads as one line.
NAMESPACES = ("CELERY_", "SENTRY_")

#: Settings whose dict keys are aliases (Django's word): a new one reads as "new alias".
ALIAS_SETTINGS = {"DATABASES", "CACHES", "STORAGES"}

#: Not compared: the tier's own name differs by definition, and the heading already says it.
IMPLIED = {"TIER"}

#: How wide a folded summary may grow before the rest is counted instead of shown.
SUMMARY_WIDTH = 90


class _Missing:
    """A setting or key one side does not have (``None`` is a value a setting may hold)."""

    def __repr__(self) -> str:
        return "<unset>"


MISSING: Any = _Missing()


class UnknownTier(ValueError):
    """A tier name with no ``config/settings/tierN.py`` behind it."""


def available_tiers() -> list[str]:
    """The tiers that run today, lowest first (``app.runner.tiers`` reads them off the file names)."""
    return sorted((tier for tier in tiers.built() if tier.removeprefix("tier").isdigit()), key=_tier_number)


def _tier_number(tier: str) -> int:
    return int(tier.removeprefix("tier"))


def group_of(name: str) -> tuple[int, int]:
    """(group index, rank in SETTING_GROUPS) for a setting: where it is shown, and in what order."""
    matches = [
        (len(prefix), rank, group) for rank, (prefix, group) in enumerate(SETTING_GROUPS) if name.startswith(prefix)
    ]
    if not matches:
        return _group_index("other"), len(SETTING_GROUPS)
    _, rank, group = max(matches)
    return _group_index(group), rank


def _group_index(group: str) -> int:
    return [key for key, _ in GROUPS].index(group)


def settings_of(module: ModuleType) -> dict[str, Any]:
    """Every UPPERCASE setting, in the order the module holds them (base first, the tier's own last)."""
    return {name: value for name, value in vars(module).items() if name.isupper() and name not in IMPLIED}


def summary_of(module: ModuleType) -> str:
    """The milestone in one line: the first line of the tier's docstring, which states it."""
    doc = (module.__doc__ or "").strip()
    return doc.splitlines()[0] if doc else module.__name__.rsplit(".", 1)[-1]


# Values, shown --------------------------------------------------------------------------------------


def _port_names() -> dict[int, str]:
    """Port number → the variable that sets it, so ``16433`` reads as the server it reaches."""
    by_port: dict[int, list[str]] = {}
    for name in env.DEFAULT_PORTS:
        by_port.setdefault(env.port(name), []).append(name)
    return {port: names[0] for port, names in by_port.items() if len(names) == 1}


def show(value: Any, key: str = "") -> str:
    """A value as it reads in a settings file; a port also names its variable, a hook its dotted path."""
    if key.endswith("PORT") and isinstance(value, int) and (variable := _port_names().get(value)):
        return f"{value} ({variable})"
    if isinstance(value, Path):
        return repr(_short_path(value))
    if callable(value) and hasattr(value, "__qualname__"):
        return f"{value.__module__}.{value.__qualname__}"
    if isinstance(value, dict):
        return compact(value)
    return repr(value)


def _short_path(path: Path) -> str:
    """Paths under the checkout read relative to it: the same on every machine."""
    try:
        return str(path.relative_to(env.BASE_DIR))
    except ValueError:
        return str(path)


def compact(mapping: dict[str, Any], width: int = SUMMARY_WIDTH) -> str:
    """``{KEY: value, …, 3 more}``: as many items as fit in ``width``, and a count of the rest."""
    return "{" + _items(mapping, width) + "}"


def _items(mapping: dict[str, Any], width: int = SUMMARY_WIDTH) -> str:
    items = [f"{key}: {show(value, str(key))}" for key, value in mapping.items()]
    shown: list[str] = []
    for item in items:
        if shown and len(", ".join([*shown, item])) > width:
            break
        shown.append(item)
    rest = len(items) - len(shown)
    return ", ".join(shown) + (f", … {rest} more" if rest else "")


def describe_alias(config: dict[str, Any]) -> str:
    """An alias by what it is and where it points: ``postgresql 'milestones' @ 127.0.0.1:16433 (…)``."""
    backend = config.get("ENGINE") or config.get("BACKEND") or "?"
    parts = [str(backend).rsplit(".", 1)[-1]]
    name = config.get("NAME", config.get("LOCATION"))
    if name:
        parts.append(show(name))
    if "HOST" in config or "PORT" in config:
        parts.append(f"@ {config.get('HOST') or 'localhost'}:{show(config.get('PORT', ''), 'PORT')}")
    return " ".join(parts)


def count_leaves(value: Any) -> int:
    if isinstance(value, dict) and value:
        return sum(count_leaves(item) for item in value.values())
    return 1


# Settings, compared ---------------------------------------------------------------------------------


def compare(path: str, old: Any, new: Any, *, verbose: bool) -> list[str]:
    """The lines that say how ``old`` became ``new``: folded where a dict is new, gone or replaced."""
    if old == new:
        return []
    if _dict_or_missing(old) and _dict_or_missing(new):
        before = {} if old is MISSING else old
        after = {} if new is MISSING else new
        if not verbose:
            if not before:
                return [_fold("+", path, after)]
            if not after:
                return [_fold("-", path, before)]
            differ = len(compare(path, before, after, verbose=True)) if _replaced(before, after) else 0
            if differ > 1:
                return [f"~ {path}: {_describe(path, before)} → {_describe(path, after)} ({differ} keys differ)"]
        lines: list[str] = []
        for key in _union(before, after):
            lines += compare(f"{path}.{key}", before.get(key, MISSING), after.get(key, MISSING), verbose=verbose)
        return lines
    key = path.rsplit(".", 1)[-1]
    if isinstance(old, list) and isinstance(new, list):
        added = [f"+ {item!r}" for item in new if item not in old]
        removed = [f"- {item!r}" for item in old if item not in new]
        changes = added + removed
        return [f"~ {path}: {', '.join(changes) or 'reordered'}"]
    if old is MISSING:
        return [f"+ {path} = {show(new, key)}"]
    if new is MISSING:
        return [f"- {path} = {show(old, key)}"]
    return [f"~ {path}: {show(old, key)} → {show(new, key)}"]


def _dict_or_missing(value: Any) -> bool:
    return value is MISSING or isinstance(value, dict)


def _replaced(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """Another ENGINE or BACKEND: a different thing under the same name, not a tweak of it."""
    return any(key in before and key in after and before[key] != after[key] for key in ("ENGINE", "BACKEND"))


def _is_alias(path: str) -> bool:
    return path.rpartition(".")[0] in ALIAS_SETTINGS


def _describe(path: str, config: dict[str, Any]) -> str:
    return describe_alias(config) if _is_alias(path) else compact(config)


def _fold(sign: str, path: str, config: dict[str, Any]) -> str:
    if _is_alias(path):
        state = "new alias" if sign == "+" else "alias removed"
        return f"{sign} {path} ({state}: {describe_alias(config)}; {count_leaves(config)} keys)"
    return f"{sign} {path} {compact(config)}"


def _union(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The newer side's keys in its order, then those only the older side had."""
    return [*after, *(key for key in before if key not in after)]


def _fold_namespace(prefix: str, before: dict[str, Any], after: dict[str, Any]) -> str | None:
    """One line for a namespace that arrives or leaves whole; ``None`` when it only changes."""
    old = {name: value for name, value in before.items() if name.startswith(prefix)}
    new = {name: value for name, value in after.items() if name.startswith(prefix)}
    if (old and new) or old == new:
        return None
    sign, members = ("+", new) if new else ("-", old)
    keys = {name.removeprefix(prefix): value for name, value in members.items()}
    return f"{sign} {prefix}* ({len(keys)} settings: {_items(keys)})"


def settings_lines(before: dict[str, Any], after: dict[str, Any], *, verbose: bool) -> dict[int, list[str]]:
    """Group index → the lines for the settings of that group that differ, in reading order."""
    names = _union(before, after)
    position = {name: index for index, name in enumerate(names)}
    by_group: dict[int, list[str]] = {}
    folded: set[str] = set()
    for name in sorted(names, key=lambda name: (group_of(name), position[name])):
        group, _ = group_of(name)
        if GROUPS[group][0] == "services" or name in folded:
            continue
        lines = None
        namespace = next((prefix for prefix in NAMESPACES if name.startswith(prefix)), None)
        if namespace and not verbose:
            line = _fold_namespace(namespace, before, after)
            if line:
                folded.update(other for other in names if other.startswith(namespace))
                lines = [line]
        if lines is None:
            lines = compare(name, before.get(name, MISSING), after.get(name, MISSING), verbose=verbose)
        if lines:
            by_group.setdefault(group, []).extend(lines)
    return by_group


# Services, compared ---------------------------------------------------------------------------------


def _plural(count: int, word: str, words: str | None = None) -> str:
    return f"{count} {word if count == 1 else words or word + 's'}"


def _kind(name: str) -> str:
    """Server or one-shot, by the class's base: the runner waits for a Task to finish, not to be ready."""
    cls = SERVICES.get(name)
    if cls is None:
        return "service"
    return "one-shot" if any(base.__name__ == "Task" for base in cls.__mro__) else "server"


def _workers_layout(workers: list[dict[str, Any]]) -> str:
    """``all [critical, default, bulk] × 2``: each worker, its queues (when not just its own name), × concurrency."""
    parts = []
    for worker in workers:
        queues = "" if list(worker["queues"]) == [worker["name"]] else f" [{', '.join(worker['queues'])}]"
        parts.append(f"{worker['name']}{queues} × {worker['concurrency']}")
    return ", ".join(parts)


def _web_size(size: dict[str, int]) -> str:
    instances, workers, threads = size.get("instances", 1), size["workers"], size["threads"]
    return f"gunicorn, {_plural(instances, 'instance')} × {_plural(workers, 'worker')} × {_plural(threads, 'thread')}"


def services_of(module: ModuleType) -> dict[str, Any]:
    """Service name → what describes it (its size for web, the layout for workers), in start order."""
    specs: dict[str, Any] = {}
    for name in module.RUNNER_SERVICES:
        if name == "web":
            specs[name] = {"instances": 1, **module.WEB_SERVER}
        elif name == "workers":
            specs[name] = [dict(worker) for worker in module.WORKERS]
        elif name == "scheduler":
            specs[name] = dict(module.JOBS_PERIODIC)
        elif name == "media":
            specs[name] = dict(module.MEDIA_SERVICE)
        else:
            specs[name] = _kind(name)
    return specs


def _service(name: str, spec: Any) -> str:
    if name == "web":
        return f"web: {_web_size(spec)}"
    if name == "workers":
        return f"workers (Celery): {_workers_layout(spec)}"
    if name == "scheduler":
        return f"scheduler (Celery beat): {_periodic(spec)}"
    if name == "media":
        return f"media service: {_media_size(spec)}"
    return f"{name} ({spec})"


def _media_size(spec: dict[str, Any]) -> str:
    processes = _plural(spec["CONCURRENCY"], "process", "processes")
    return f"{_plural(spec['INSTANCES'], 'instance')} × {processes}, queue {spec['QUEUE']} → {spec['RESULTS_QUEUE']}"


def _periodic(periodic: dict[str, float]) -> str:
    """``flush_page_views every 2s``: each periodic job by its function's name."""
    return ", ".join(f"{job.rsplit('.', 1)[-1]} every {seconds:g}s" for job, seconds in periodic.items()) or "nothing"


def services_lines(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Only what starts, stops or changes size; a service that runs the same in both is not news."""
    lines = []
    for name in _union(before, after):
        old, new = before.get(name, MISSING), after.get(name, MISSING)
        if old == new:
            continue
        if old is MISSING:
            lines.append(f"+ {_service(name, new)}")
        elif new is MISSING:
            lines.append(f"- {_service(name, old)}")
        elif name == "web":
            changes = ", ".join(f"{key} {old.get(key)} → {new.get(key)}" for key in new if old.get(key) != new[key])
            lines.append(f"~ web: {changes} ({_web_size(new)})")
        elif name == "workers":
            lines.append(f"~ workers (Celery): {_workers_layout(old)} → {_workers_layout(new)}")
        elif name == "media":
            lines.append(f"~ media service: {_media_size(old)} → {_media_size(new)}")
        else:
            lines.append(f"~ {name}: {old} → {new}")
    if not lines and list(before) != list(after):
        lines.append(f"~ start order: {', '.join(after)}")
    return lines


# The page -------------------------------------------------------------------------------------------


def _module(tier: str, known: list[str]) -> ModuleType:
    """The tier's settings module; a name that is not a tier is refused before anything is imported."""
    if tier not in known:
        raise UnknownTier(tiers.unknown(tier))
    return importlib.import_module(f"config.settings.{tier}")


def render(a: str, b: str, *, verbose: bool = False) -> str:
    """The milestone from ``a`` to ``b``: its summary, the settings by group, the services that change."""
    known = available_tiers()
    module_a, module_b = _module(a, known), _module(b, known)
    low, high = sorted((a, b), key=_tier_number)
    crossed = [tier for tier in known if _tier_number(low) < _tier_number(tier) <= _tier_number(high)] or [high]
    out = [summary_of(importlib.import_module(f"config.settings.{tier}")) for tier in crossed]

    before, after = settings_of(module_a), settings_of(module_b)
    groups = settings_lines(before, after, verbose=verbose)
    services = services_lines(services_of(module_a), services_of(module_b))
    if services:
        groups[_group_index("services")] = services
    if not groups:
        out.append(f"{a} → {b}: no differences.")
        return "\n".join(out)

    changed = [name for name in _union(before, after) if _differs(name, before, after)]
    counts = f"{_plural(len(changed), 'setting')} and {_plural(len(services), 'service')} differ"
    out.append(f"{a} → {b}: {counts} ({'every key, unfolded' if verbose else '-v unfolds every key'}).")
    out.append("")
    for index in sorted(groups):
        out.append(GROUPS[index][1])
        out.extend(f"  {line}" for line in groups[index])
    return "\n".join(out)


def _differs(name: str, before: dict[str, Any], after: dict[str, Any]) -> bool:
    """A setting that changes (the services' settings are counted as services, not here)."""
    if GROUPS[group_of(name)[0]][0] == "services":
        return False
    return bool(compare(name, before.get(name, MISSING), after.get(name, MISSING), verbose=True))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.runner.diff", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="every key: no alias, dict or namespace folded")
    parser.add_argument("a", metavar="A", help="the tier to read from, e.g. tier1")
    parser.add_argument("b", metavar="B", help="the tier to read to, e.g. tier2")
    args = parser.parse_args(argv)
    try:
        print(render(args.a, args.b, verbose=args.verbose))
    except UnknownTier as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
