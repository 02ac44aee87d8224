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


@pytest.mark.django_db
def test_readyz_can_be_asked_about_some_checks_only(client, settings):
    """What a load balancer asks: can this instance serve, whatever a shared broker is doing."""
    settings.READINESS_CHECKS = [*settings.READINESS_CHECKS, "tests.test_health.unreachable"]
    response = client.get("/readyz?only=database")
    assert response.status_code == 200
    assert set(response.json()["checks"]) == {"database"}
    unknown = client.get("/readyz?only=database,nope")
    assert unknown.status_code == 400
    assert "nope" in unknown.json()["detail"]


def unreachable() -> None:
    raise ConnectionError("nobody home")
