"""``make diff`` reads as the milestone: its summary, settings grouped by what they control, what runs."""

from __future__ import annotations

import importlib
import itertools
import re
import subprocess
import sys
from pathlib import Path

import pytest

from app.runner import tiers
from app.runner.diff import GROUPS, SETTING_GROUPS, available_tiers, main, render

pytestmark = pytest.mark.tier_independent

ROOT = Path(__file__).resolve().parent.parent
ADJACENT = list(itertools.pairwise(available_tiers()))
#: One screen: what a milestone changes must be readable without scrolling (a 40-line terminal;
#: tier3, scale-out and operations together, is the longest).
LINE_BUDGET = 40


def sections(text: str) -> dict[str, list[str]]:
    """Heading → its lines (without the indent), in the order they are printed."""
    found: dict[str, list[str]] = {}
    lines: list[str] = []
    for line in text.split("\n\n", 1)[1].splitlines():
        if line.startswith("  "):
            lines.append(line.strip())
        else:
            lines = found[line] = []
    return found


def summary(tier: str) -> str:
    return importlib.import_module(f"config.settings.{tier}").__doc__.strip().splitlines()[0]


def test_the_diff_opens_with_the_milestones_own_summary():
    assert render("tier0", "tier1").splitlines()[0] == summary("tier1") == "tier1 — 100 to 1,000 users: basic hygiene."
    assert render("tier1", "tier2").splitlines()[0] == summary("tier2")
    # Going down reads the same milestone, from the other side.
    assert render("tier2", "tier1").splitlines()[0] == summary("tier2")


def test_the_tier1_milestone_reads_off_the_diff():
    text = render("tier0", "tier1")
    groups = sections(text)
    assert list(groups) == [
        "Database",
        "Jobs",
        "Loading",
        "Static and media files",
        "Routing (requests and reads)",
        "Services (what runs)",
        "Other",
    ]
    # A replaced alias is one line: what it was, what it is, and how much that touches.
    database, health_checks = groups["Database"]
    assert health_checks == "+ DB_HEALTH_CHECK_IDLE_SECONDS = 1.0"
    assert database.startswith("~ DATABASES.default: sqlite3 'var/")
    assert "→ postgresql 'milestones' @ 127.0.0.1:" in database
    assert "(PG_PORT)" in database
    assert "keys differ)" in database
    assert groups["Jobs"][:2] == [
        "~ JOBS_BACKEND: 'app.platform.jobs.InlineBackend' → 'app.platform.jobs.outbox.OutboxBackend'",
        "+ JOBS_OUTBOX {RELAY_SECONDS: 0.5, REDELIVER_AFTER_SECONDS: 60.0, SWEEP_SECONDS: 5.0, … 3 more}",
    ]
    # Celery's namespace arrives whole, so it reads as one line, its broker first.
    (celery,) = [line for line in groups["Jobs"] if "CELERY_" in line]
    assert re.match(r"\+ CELERY_\* \(\d+ settings: BROKER_URL: 'redis://127\.0\.0\.1:", celery)
    assert "+ scheduler (Celery beat): flush_page_views every 2s" in groups["Services (what runs)"]
    assert groups["Loading"] == [
        "~ LOADING_STRATEGY: 'app.platform.db.loading.LazyLoading' → 'app.platform.db.loading.EagerLoading'"
    ]
    assert "app.platform.http.static.HashedStaticStorage" in groups["Static and media files"][0]
    assert groups["Routing (requests and reads)"] == ["~ READINESS_CHECKS: + 'app.platform.http.health.broker'"]
    assert "~ INSTALLED_APPS: + 'app.indexes'" in groups["Other"]
    assert "SECRET_KEY" not in text  # unchanged settings are not shown
    assert "TIER =" not in text  # the tier's own name is the heading, not a change


def test_tier2_folds_a_new_alias_into_one_line_and_verbose_unfolds_it():
    folded = render("tier1", "tier2")
    replica = [line for line in folded.splitlines() if "DATABASES.replica" in line]
    assert len(replica) == 1
    assert replica[0].strip().startswith("+ DATABASES.replica (new alias: postgresql 'milestones' @ 127.0.0.1:")
    assert "(REPLICA_PGBOUNCER_PORT)" in replica[0]
    assert "~ DATABASES.default.PORT:" in folded
    assert "(PG_PORT) → " in folded
    assert "(PGBOUNCER_PORT)" in folded
    assert "+ REPLICA_ROUTING {ALIAS: 'replica', READ_YOUR_WRITES: 'lsn', PIN_SECONDS: 1.5," in folded

    verbose = render("tier1", "tier2", verbose=True)
    replica_keys = [line.strip() for line in verbose.splitlines() if "DATABASES.replica." in line]
    assert "+ DATABASES.replica.ENGINE = 'app.platform.db.backends.postgresql'" in replica_keys
    assert any(line.endswith("(REPLICA_PGBOUNCER_PORT)") for line in replica_keys)
    assert "+ DATABASES.replica.OPTIONS.connect_timeout = 2" in replica_keys
    assert len(replica_keys) == 11
    assert "+ REPLICA_ROUTING.PIN_SECONDS = 1.5" in verbose


def test_verbose_unfolds_namespaces_and_new_dicts_too():
    text = render("tier0", "tier1", verbose=True)
    assert "+ CELERY_BROKER_TRANSPORT_OPTIONS.visibility_timeout = 3600" in text
    assert "+ CELERY_TASK_ACKS_LATE = True" in text
    assert "+ JOBS_OUTBOX.RELAY_SECONDS = 0.5" in text
    assert "~ DATABASES.default.ENGINE: 'django.db.backends.sqlite3' → 'app.platform.db.backends.postgresql'" in text
    assert "CELERY_*" not in text


@pytest.mark.parametrize(("a", "b"), ADJACENT, ids=[f"{a}-{b}" for a, b in ADJACENT])
def test_a_milestone_fits_on_one_screen(a, b):
    text = render(a, b)
    assert len(text.splitlines()) <= LINE_BUDGET, text


@pytest.mark.parametrize("tier", available_tiers())
def test_a_tier_against_itself_has_no_differences(tier):
    assert render(tier, tier).splitlines() == [summary(tier), f"{tier} → {tier}: no differences."]


def test_services_show_only_what_starts_stops_or_changes():
    tier1 = sections(render("tier0", "tier1"))["Services (what runs)"]
    assert tier1 == [
        "+ postgres (server)",
        "+ redis (server)",
        "+ workers (Celery): all [critical, default, bulk] × 2",
        "+ relay (server)",
        "+ scheduler (Celery beat): flush_page_views every 2s",
        "~ web: workers 1 → 2, threads 4 → 1 (gunicorn, 1 instance × 2 workers × 1 thread)",
    ]
    tier2 = sections(render("tier1", "tier2"))["Services (what runs)"]
    assert tier2 == [
        "+ replica (server)",
        "+ pgbouncer (server)",
        "+ pgbouncer-replica (server)",
        "~ workers (Celery): all [critical, default, bulk] × 2 → critical × 1, default × 2, bulk × 1",
        "~ web: instances 1 → 2 (gunicorn, 2 instances × 2 workers × 1 thread)",
        "+ loadbalancer (server)",
    ]
    assert [line for line in sections(render("tier2", "tier1"))["Services (what runs)"] if line.startswith("-")] == [
        "- replica (server)",
        "- pgbouncer (server)",
        "- pgbouncer-replica (server)",
        "- loadbalancer (server)",
    ]


def test_every_group_in_the_table_has_a_heading():
    headings = {key for key, _ in GROUPS}
    assert {group for _, group in SETTING_GROUPS} <= headings


def test_the_command_line_takes_verbose_and_two_tiers(capsys):
    assert main(["-v", "tier1", "tier2"]) == 0
    assert "+ DATABASES.replica.ENGINE = 'app.platform.db.backends.postgresql'" in capsys.readouterr().out
    assert main(["--verbose", "tier1", "tier1"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "tier1 → tier1: no differences."


def test_an_unknown_tier_is_one_clear_line_and_a_failure():
    result = subprocess.run(
        [sys.executable, "-m", "app.runner.diff", "tier0", "tier9"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert result.stdout == ""
    assert result.stderr.splitlines() == [f"error: {tiers.unknown('tier9')}"]
    assert "'tier9'" in result.stderr
