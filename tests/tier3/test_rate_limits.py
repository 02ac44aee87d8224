"""tier3's rate limits, counted in the real Redis: 429 with Retry-After and the usual error body,
per address (believing the load balancer's header only from the load balancer), per account,
per user and per token, and each limit's behaviour when its Redis is unreachable."""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.test import Client

from config import env
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.7"
NEIGHBOUR = "198.51.100.9"


@pytest.fixture
def small_limits(settings):
    """The tier's limits, made small enough to reach in a test."""
    limits = {name: dict(spec) for name, spec in settings.RATE_LIMITS.items()}
    for name, count in {
        "login-address": 3,
        "login-account": 2,
        "signup-address": 2,
        "password-reset-address": 2,
        "checkout-user": 2,
        "api-token": 3,
    }.items():
        limits[name]["count"] = count
    settings.RATE_LIMITS = limits
    return limits


def log_in(client: Client, username: str, password: str, address: str, **extra):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address, **extra)


def test_log_ins_from_one_address_are_cut_to_the_limit_and_another_address_is_not(small_limits):
    UserFactory(username="victim", password="right-password-1")
    UserFactory(username="neighbour", password="right-password-2")
    attacker = Client()
    answers = [log_in(attacker, f"guess{i}", "nope", ATTACKER).status_code for i in range(5)]
    assert answers == [200, 200, 200, 429, 429]
    refused = log_in(attacker, "victim", "right-password-1", ATTACKER)
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 2 * 300  # until enough of the sliding window has passed
    assert "Too many log-in attempts from your network" in refused.content.decode()
    assert log_in(Client(), "neighbour", "right-password-2", NEIGHBOUR).status_code == 302


def test_failed_log_ins_for_one_account_are_limited_from_any_address(small_limits):
    UserFactory(username="target", password="right-password-1")
    for number in range(2):
        assert log_in(Client(), "target", "wrong", f"192.0.2.{number + 1}").status_code == 200
    refused = log_in(Client(), "TARGET", "right-password-1", "192.0.2.50")
    assert refused.status_code == 429
    assert "Too many failed log-ins for this account" in refused.content.decode()
    # Successful log-ins of other accounts are not counted against it.
    UserFactory(username="other", password="right-password-2")
    for number in range(3):
        assert log_in(Client(), "other", "right-password-2", f"192.0.2.{60 + number}").status_code == 302


def test_the_forwarded_address_counts_only_when_the_load_balancer_sent_it(small_limits):
    balancer = env.LOAD_BALANCER_SOURCE
    # Through the load balancer: each forwarded client has its own allowance.
    for client_number in range(4):
        forwarded = {"HTTP_X_FORWARDED_FOR": f"192.0.2.{client_number + 1}"}
        assert log_in(Client(), f"nobody{client_number}", "x", balancer, **forwarded).status_code == 200
    # From anyone else the header is ignored: a client cannot mint itself new addresses.
    answers = [
        log_in(Client(), f"someone{i}", "x", ATTACKER, HTTP_X_FORWARDED_FOR=f"10.9.9.{i}").status_code for i in range(4)
    ]
    assert answers == [200, 200, 200, 429]


def test_sign_ups_and_password_resets_are_limited_per_address(small_limits):
    visitor = Client()
    signups = [
        visitor.post(
            "/accounts/signup/",
            {"username": f"new{i}", "email": f"new{i}@example.com", "password1": "Pass-word-99", "password2": "x"},
            REMOTE_ADDR=ATTACKER,
        ).status_code
        for i in range(3)
    ]
    assert signups == [200, 200, 429]
    resets = [
        visitor.post("/accounts/password-reset/", {"email": "who@example.com"}, REMOTE_ADDR=ATTACKER).status_code
        for _ in range(3)
    ]
    assert resets == [302, 302, 429]


def test_checkouts_are_limited_per_user_with_the_apis_error_body(small_limits, bearer, user):
    product = ProductFactory(stock=50)
    client = Client()
    answers = [
        client.post(
            "/api/v1/orders",
            {"product_id": product.pk, "quantity": 1},
            content_type="application/json",
            **bearer,
        )
        for _ in range(3)
    ]
    assert [a.status_code for a in answers] == [201, 201, 429]
    body = answers[-1].json()
    assert body == {"detail": "Too many orders in a minute; please wait a moment.", "errors": {}}
    assert 1 <= int(answers[-1]["Retry-After"]) <= 2 * 60


def test_the_api_is_limited_per_token(small_limits, bearer):
    client = Client()
    answers = [client.get("/api/v1/orders", **bearer).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    # A request with no token is not counted against anyone's token (and is simply not let in).
    assert client.get("/api/v1/orders").status_code == 401


def test_with_the_counters_unreachable_log_in_stays_open_and_sign_up_closes(settings, small_limits):
    settings.CACHES = {
        **settings.CACHES,
        "ratelimit": {**settings.CACHES["ratelimit"], "LOCATION": "redis://127.0.0.1:9/4"},
    }
    caches["ratelimit"]  # the alias now points at a port nothing listens on
    from app.platform.http import ratelimit

    try:
        UserFactory(username="still-in", password="right-password-1")
        assert log_in(Client(), "still-in", "right-password-1", ATTACKER).status_code == 302
        refused = Client().post(
            "/accounts/signup/",
            {"username": "late", "email": "late@example.com", "password1": "Pass-word-99", "password2": "Pass-word-99"},
            REMOTE_ADDR=ATTACKER,
        )
        assert refused.status_code == 503
        assert refused["Retry-After"] == "5"
        assert "briefly unavailable" in refused.content.decode()
    finally:
        ratelimit._limiter._down_until = 0.0


def test_the_window_slides_so_no_double_burst_gets_through_at_its_edge():
    from app.platform.http.ratelimit import Limit, _retry_after

    limit = Limit(name="edge", count=30, seconds=300, fail_open=True, message="")
    # 30 requests at the end of one window; 10 s into the next, 29 of them still count, so one more
    # gets through there, not another 30 (a fixed window would let 30 through at once).
    previous, through = 30, 0
    while previous * (1 - 10 / 300) + (through + 1) <= limit.count:
        through += 1
    assert through == 1
    # A client 30 over in the current window waits into the next one, until enough has slid out.
    assert 300 < _retry_after(limit, 0.0, current=60, previous=0) <= 2 * 300
    # One just over, with the previous window full: it waits a little, not a whole window.
    assert _retry_after(limit, 0.5, current=15, previous=30) <= 300
