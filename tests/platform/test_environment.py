"""The environment apart from the tier: production is what a deployment gets unless it says
otherwise, it refuses to start half-configured, and it passes Django's deployment checklist;
forwarded headers count only from the load balancer; probes answer whatever the host."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, RequestFactory

from app.platform.http.proxies import TrustedProxyMiddleware
from config.settings.environment import DEVELOPMENT_SECRET_KEY

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "MILESTONES_ENV": "production",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "milestones.example.com",
    "TRUSTED_PROXIES": "10.0.0.0/8",
}


def manage(*args: str, tier: str = "tier1", **environ: str) -> subprocess.CompletedProcess[str]:
    """``manage.py`` in a clean environment: only what is given here, as on a new server."""
    clean = {"PATH": os.environ["PATH"], "TIER": tier, "MILESTONES_VAR": os.environ["MILESTONES_VAR"], **environ}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def production_settings(**environ: str) -> dict[str, object]:
    names = ["SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SECURE_SSL_REDIRECT"]
    names += ["SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_PROXY_SSL_HEADER", "ALLOWED_HOSTS", "DEBUG"]
    code = f"from django.conf import settings; import json; print(json.dumps({{n: getattr(settings, n) for n in {names}}}))"  # noqa: E501
    result = manage("shell", "-c", code, **{**PRODUCTION, **environ})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


pytestmark = pytest.mark.tier_independent


def test_a_deployment_is_production_unless_it_says_otherwise():
    assert production_settings() == {
        "SECURE_HSTS_SECONDS": 63_072_000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SECURE_SSL_REDIRECT": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "ALLOWED_HOSTS": ["milestones.example.com"],
        "DEBUG": False,
    }
    unset = {name: value for name, value in PRODUCTION.items() if name != "MILESTONES_ENV"}
    assert manage("check", **unset).returncode == 0  # no MILESTONES_ENV: production, and it is complete


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": DEVELOPMENT_SECRET_KEY}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": "short-but-secret"}, "50 characters or more"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS is not set"),
        ({"TRUSTED_PROXIES": ""}, "TRUSTED_PROXIES is not set"),
        ({"MILESTONES_ENV": "staging"}, "must be one of production, local"),
    ],
)
def test_production_refuses_to_start_half_configured(change, message):
    result = manage("check", **{**PRODUCTION, **change})
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr, "a message for the operator, not a stack trace"


def test_the_deployment_check_passes_in_production_and_fails_locally():
    """`make test` runs the passing half for every tier; this shows the check is not one that cannot fail."""
    assert manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION).returncode == 0
    local = manage("check", "--deploy", "--fail-level", "WARNING", MILESTONES_ENV="local")
    assert local.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in local.stderr


def test_forwarded_headers_count_only_from_a_trusted_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "127.0.0.2"]
    middleware = TrustedProxyMiddleware(lambda request: request)
    factory = RequestFactory()
    forged = {"HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_FORWARDED_FOR": "203.0.113.9", "HTTP_FORWARDED": "for=x"}
    peers = [("127.0.0.1", False), ("192.0.2.10", False), ("", False), ("127.0.0.2", True), ("10.4.5.6", True)]
    for peer, believed in peers:
        request = middleware(factory.get("/", REMOTE_ADDR=peer, **forged))
        assert request.is_secure() is believed, peer
        assert ("HTTP_X_FORWARDED_FOR" in request.META) is believed, peer


def test_a_malformed_trusted_proxy_stops_the_start(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "the load balancer"]
    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXIES"):
        TrustedProxyMiddleware(lambda request: request)


@pytest.mark.django_db
def test_probes_answer_before_host_validation_and_the_https_redirect(settings):
    settings.ALLOWED_HOSTS = ["milestones.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    client = Client()
    for path in ("/healthz", "/readyz"):
        response = client.get(path, HTTP_HOST="10.1.2.3:8000")
        assert response.status_code == 200, path
        assert not response.cookies
    assert client.get("/", HTTP_HOST="10.1.2.3:8000").status_code == 400
    # Only GET and HEAD are probes: anything else goes the usual way (here, redirected to HTTPS).
    assert client.post("/healthz", HTTP_HOST="milestones.example.com").status_code == 301
