"""Which tiers exist and which are still on the roadmap: standard library only, so the system
package check (before the virtualenv exists) and the runner give the same answer."""

from __future__ import annotations

from pathlib import Path

SETTINGS = Path(__file__).resolve().parents[2] / "config" / "settings"

#: Tiers the roadmap names that have no settings module yet (README, "The tiers").
PLANNED: dict[str, str] = {}

#: Tiers whose settings module exists and whose own tests (tests/tierN) run in `make test`, but
#: which `make up` does not start yet: what they lack before they serve every page.
UNDER_CONSTRUCTION = {
    "tier4": (
        "its shards, router, directory and guard run and are tested (tests/tier4), but the pages that "
        "list every team's rows (the feed, the shop, a user's orders) do not fan out across the shards yet"
    ),
}


def built() -> list[str]:
    """The tiers with a settings module that run as a whole, in order."""
    return sorted(path.stem for path in SETTINGS.glob("tier*.py") if path.stem not in UNDER_CONSTRUCTION)


def unknown(tier: str) -> str:
    """What to tell someone who asked for a tier that does not run (yet)."""
    if tier in UNDER_CONSTRUCTION:
        return (
            f"{tier} is under construction: {UNDER_CONSTRUCTION[tier]}. The tiers that run today: {', '.join(built())}."
        )
    if tier in PLANNED and tier not in built():
        return f"{tier} is planned, not built yet: {PLANNED[tier]}. The tiers that run today: {', '.join(built())}."
    return f"There is no tier called {tier!r}; the tiers are {', '.join(built())}."
