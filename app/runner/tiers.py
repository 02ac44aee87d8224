"""Which tiers exist and which are still on the roadmap: standard library only, so the system
package check (before the virtualenv exists) and the runner give the same answer."""

from __future__ import annotations

from pathlib import Path

SETTINGS = Path(__file__).resolve().parents[2] / "config" / "settings"

#: Tiers the roadmap names that have no settings module yet (README, "The tiers").
PLANNED: dict[str, str] = {}

#: Tiers that run with `make up` but have no compose profile and Kubernetes overlay yet.
NOT_IN_CONTAINERS: dict[str, str] = {}


def built() -> list[str]:
    """The tiers with a settings module, in order."""
    return sorted(path.stem for path in SETTINGS.glob("tier*.py"))


def in_containers() -> list[str]:
    """The tiers that also run in containers (a compose profile and a Kubernetes overlay each)."""
    return [tier for tier in built() if tier not in NOT_IN_CONTAINERS]


def unknown(tier: str) -> str:
    """What to tell someone who asked for a tier that does not run (yet)."""
    if tier in PLANNED and tier not in built():
        return f"{tier} is planned, not built yet: {PLANNED[tier]}. The tiers that run today: {', '.join(built())}."
    return f"There is no tier called {tier!r}; the tiers are {', '.join(built())}."
