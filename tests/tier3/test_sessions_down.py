"""The sessions' Redis (tier3: sessions live in the broker's Redis, database 3) not answering: a
log-in answers 503 with a message and ``Retry-After``, not a 500 (``app.platform.outages``,
``app.web.server_errors``); pages that need no session are served as usual. The alias is pointed
at a port nothing listens on, as when the server is gone."""

from __future__ import annotations

import pytest
from django.core.cache import caches

from app.platform import outages
from app.runner.processes import free_port
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def take_sessions_down(settings) -> None:
    location = f"redis://127.0.0.1:{free_port()}/3"
    settings.CACHES = {**settings.CACHES, "sessions": {**settings.CACHES["sessions"], "LOCATION": location}}
    caches["sessions"]  # the alias now points at a port nothing listens on


def assert_unavailable(response) -> None:
    assert response.status_code == 503, response.content[:300]
    assert response["Retry-After"] == str(outages.RETRY_AFTER_SECONDS)
    assert outages.SESSIONS.encode() in response.content


def test_a_signed_in_visitor_is_shown_out_and_a_log_in_is_503_with_a_message(client, settings):
    """Django's cache sessions read a session they cannot reach as no session: the visitor is
    signed out (sent to log in), not shown an error; signing in, which must write one, is a 503."""
    UserFactory(username="regular", password="right-password-1")
    assert client.post("/accounts/login/", {"username": "regular", "password": "right-password-1"}).status_code == 302
    take_sessions_down(settings)
    client.raise_request_exception = False
    page = client.get("/orders/")
    assert page.status_code == 302
    assert page["Location"].startswith("/accounts/login/")
    answer = client.post("/accounts/login/", {"username": "regular", "password": "right-password-1"})
    assert_unavailable(answer)
    assert "sessionid" not in answer.cookies or not answer.cookies["sessionid"].value


def test_an_anonymous_page_and_a_failed_log_in_need_no_session_and_are_served(client, settings):
    take_sessions_down(settings)
    client.raise_request_exception = False
    assert client.get("/teams/").status_code == 200
    assert client.post("/accounts/login/", {"username": "nobody", "password": "whatever-it-is"}).status_code == 200
