"""/healthz answers without touching anything; /readyz checks each dependency the tier configures."""

from __future__ import annotations

import pytest
from django.conf import settings


@pytest.mark.django_db
def test_healthz_touches_nothing(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.content == b"ok"


@pytest.mark.django_db
def test_readyz_reports_each_configured_check(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {path.rsplit(".", 1)[1] for path in settings.READINESS_CHECKS}
    assert all(check["ok"] for check in body["checks"].values())


@pytest.mark.django_db
def test_readyz_is_503_with_the_reason_when_a_check_fails(client, settings):
    settings.READINESS_CHECKS = [*settings.READINESS_CHECKS, "tests.test_health.unreachable"]
    response = client.get("/readyz")
    assert response.status_code == 503
    failed = response.json()["checks"]["unreachable"]
    assert (failed["ok"], failed["error"]) == (False, "ConnectionError: nobody home")


def unreachable() -> None:
    raise ConnectionError("nobody home")
