"""Webhooks cannot be pointed into the app's own network: checked when saved and again when sent."""

from __future__ import annotations

import pytest
from django.urls import reverse

from app.platform.errors import DomainError
from app.platform.outbound import http as outbound
from app.teams.services import team_set_webhook
from tests.factories import TeamFactory
from tests.webhook_receiver import start_receiver

INSIDE = [
    "http://127.0.0.1/hook",
    "http://127.1/hook",
    "http://localhost:8000/hook",  # a name that resolves inside
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://0.0.0.0/hook",
    "http://10.0.0.5/hook",
    "http://172.16.3.4/hook",
    "http://192.168.1.1/hook",
    "http://100.64.0.1/hook",  # carrier-grade NAT
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://[fe80::1]/hook",
    "http://[fd00::1]/hook",
    "http://224.0.0.1/hook",
    "http://2130706433/hook",  # 127.0.0.1 written as one number
]
OTHER_SCHEMES = ["file:///etc/passwd", "gopher://example.com/", "ftp://example.com/x", "ws://example.com/"]


@pytest.fixture
def strict(settings):
    """No exceptions: what production runs with."""
    settings.OUTBOUND_ALLOWED_NETWORKS = []


@pytest.mark.usefixtures("strict")
@pytest.mark.parametrize("url", INSIDE + OTHER_SCHEMES)
def test_internal_addresses_and_other_schemes_are_refused(url):
    with pytest.raises(outbound.ForbiddenDestination):
        outbound.check(url)


@pytest.mark.usefixtures("strict")
@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "8.8.8.8"])
def test_public_addresses_are_allowed(address):
    assert outbound.public_address(address)


@pytest.mark.django_db
@pytest.mark.usefixtures("strict")
@pytest.mark.parametrize("url", ["http://127.0.0.1:9/x", "http://localhost/x", "http://169.254.169.254/"])
def test_a_team_cannot_save_an_internal_webhook(user, url):
    team = TeamFactory(owner=user)
    with pytest.raises(DomainError, match="cannot go there"):
        team_set_webhook(actor=user, team=team, url=url)


@pytest.mark.django_db
@pytest.mark.usefixtures("strict")
def test_the_settings_page_shows_the_refusal_as_a_form_error(signed_in, user):
    team = TeamFactory(owner=user)
    response = signed_in.post(
        reverse("team_settings", args=[team.slug]), {"webhook_url": "http://169.254.169.254/latest/"}
    )
    assert response.status_code == 200
    assert "internal address" in response.content.decode()
    team.refresh_from_db()
    assert team.webhook_url == ""


@pytest.mark.usefixtures("strict")
def test_delivery_checks_again_and_sends_nothing_inside():
    """A URL saved while it was allowed (or a name re-pointed since) is refused at delivery."""
    receiver, server = start_receiver()
    try:
        with pytest.raises(outbound.ForbiddenDestination):
            outbound.post(receiver.url, body=b"{}", headers={}, deadline=2)
    finally:
        server.shutdown()
    assert receiver.deliveries == []


def test_an_allowed_exception_connects_to_the_checked_address_with_the_name_as_host(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]
    receiver, server = start_receiver()
    try:
        url = receiver.url.replace("127.0.0.1", "localhost")
        answer = outbound.post(url, body=b"{}", headers={"Content-Type": "application/json"}, deadline=2)
    finally:
        server.shutdown()
    assert answer.status == 204
    assert receiver.deliveries[0][0]["host"].startswith("localhost:")
