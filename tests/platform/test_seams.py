"""Seams are named in settings, checked at start-up, and never branched on in domain code."""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings
from django.core.checks import run_checks
from django.test import override_settings

from app.platform.db.loading import EagerLoading, LazyLoading
from app.platform.seams import seam

DOMAIN_APPS = ["accounts", "teams", "posts", "shop", "analytics", "api", "web"]


def test_the_setting_swaps_the_strategy_and_back():
    configured = type(seam("LOADING_STRATEGY"))
    assert f"{configured.__module__}.{configured.__name__}" == settings.LOADING_STRATEGY
    for strategy in (LazyLoading, EagerLoading):
        with override_settings(LOADING_STRATEGY=f"app.platform.db.loading.{strategy.__name__}"):
            assert isinstance(seam("LOADING_STRATEGY"), strategy)
    assert isinstance(seam("LOADING_STRATEGY"), configured)


def test_a_typo_in_a_seam_is_a_system_check_error():
    with override_settings(JOBS_BACKEND="app.platform.jobs.NoSuchBackend"):
        errors = [e for e in run_checks() if e.id == "platform.E002"]
    assert errors
    assert "JOBS_BACKEND" in errors[0].msg


def test_a_typo_in_a_readiness_check_is_a_system_check_error():
    with override_settings(READINESS_CHECKS=["app.platform.http.health.no_such_check"]):
        assert [e.id for e in run_checks() if e.id.startswith("platform.")] == ["platform.E003"]


def test_domain_code_never_reads_the_tier_name():
    """Behaviour that changes by tier goes through a seam, never ``if settings.TIER …``."""
    root = Path(__file__).resolve().parents[2] / "app"
    offenders = []
    for app in DOMAIN_APPS:
        for path in (root / app).rglob("*.py"):
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                if isinstance(node, ast.Attribute) and node.attr == "TIER" and path.name != "context_processors.py":
                    offenders.append(f"{path}:{node.lineno}")
    assert offenders == []


def test_every_queue_has_a_worker_and_nothing_names_an_unknown_queue(settings):
    """JOB_QUEUES is the one list: a worker layout that leaves a queue unconsumed, or a worker, an
    alert or a job that names a queue not in it, stops the start."""
    import pytest
    from django.core.exceptions import ImproperlyConfigured

    from app.platform.jobs import job

    settings.WORKERS = [{"name": "two", "queues": ["critical", "default"], "concurrency": 1}]
    settings.QUEUE_ALERTS = {"critcal": {"depth": 1}}
    ids = {error.id for error in run_checks()}
    assert {"platform.E006", "platform.E007"} <= ids
    with pytest.raises(ImproperlyConfigured, match="the queues are critical, default, bulk"):
        job(queue="critcal")
