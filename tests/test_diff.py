"""``make diff`` shows a milestone: the resolved settings that change and the services that run."""

from __future__ import annotations

import pytest

from app.runner.diff import render

pytestmark = pytest.mark.tier_independent


def test_the_tier1_milestone_reads_off_the_diff():
    text = render("tier0", "tier1")
    assert "+ JOBS_BACKEND = 'app.platform.outbox.OutboxBackend'" in text
    assert "- LOADING_STRATEGY = 'app.platform.loading.LazyLoading'" in text
    assert "~ INSTALLED_APPS: + 'app.indexes'" in text
    assert "+ DATABASES.default.ENGINE = 'django.db.backends.postgresql'" in text
    assert "+ postgres (server)" in text
    assert "+ worker all: queues critical, default, bulk × 2" in text
    assert "SECRET_KEY" not in text  # unchanged settings are not shown


def test_a_tier_against_itself_changes_nothing():
    text = render("tier1", "tier1")
    assert text.splitlines()[1] == ""
