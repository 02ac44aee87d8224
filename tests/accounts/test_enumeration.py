"""Nobody learns from the password-reset page whether an address has an account, or floods an inbox."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from app.accounts.jobs import send_password_reset
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

RECORDER = "tests.platform.test_jobs.RecorderBackend"


def ask(client, email: str):
    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("password_reset"), {"email": email})
    return response, len(queries)


def test_a_known_and_an_unknown_address_get_the_same_answer_for_the_same_work(client, settings):
    """The request only queues the job (the lookup is the job's): same response, same queries."""
    from tests.platform.test_jobs import RecorderBackend

    UserFactory(email="known@example.com")
    settings.JOBS_BACKEND = RECORDER
    RecorderBackend.seen = []
    known, known_queries = ask(client, "known@example.com")
    unknown, unknown_queries = ask(client, "nobody@example.com")
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert known_queries == unknown_queries
    assert [name for name, _ in RecorderBackend.seen] == ["app.accounts.jobs.send_password_reset"] * 2


def test_the_job_sends_to_a_known_address_only():
    UserFactory(email="known@example.com")
    send_password_reset(email="KNOWN@example.com", domain="testserver", use_https=True)
    send_password_reset(email="nobody@example.com", domain="testserver", use_https=True)
    assert [m.to for m in mail.outbox] == [["known@example.com"]]
    assert "https://testserver/accounts/reset/" in mail.outbox[0].body


def test_reset_emails_are_limited_per_address_and_account(settings):
    settings.PASSWORD_RESETS_PER_HOUR = 3
    UserFactory(email="victim@example.com")
    for _ in range(6):
        send_password_reset(email="victim@example.com", domain="testserver", use_https=True)
    for spelling in ("VICTIM@example.com", "Victim@Example.com"):
        send_password_reset(email=spelling, domain="testserver", use_https=True)
    assert len(mail.outbox) == 3
