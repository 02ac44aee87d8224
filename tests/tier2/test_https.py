"""HTTPS end to end: HAProxy terminates TLS with the runner's local CA, and in the production
environment every response is HTTPS-only (HSTS, Secure cookies, plain HTTP redirected), while
only the load balancer may say a request came over HTTPS."""

from __future__ import annotations

import re
import ssl

import httpx
import pytest

from app.runner.units.loadbalancer import LoadBalancer
from app.runner.units.web import Web

pytestmark = pytest.mark.stack

HSTS = "max-age=63072000; includeSubDomains; preload"


def trusting_ca(stack) -> ssl.SSLContext:
    """A client that trusts the runner's CA and nothing else."""
    return ssl.create_default_context(cafile=str(LoadBalancer.tls_files(stack.ctx).ca_certificate))


def https(stack) -> httpx.Client:
    return httpx.Client(base_url=stack.https_url(), verify=trusting_ca(stack), timeout=10)


def instance_url(stack, path: str = "") -> str:
    first = stack.service(Web).instances(stack.ctx)[0]
    return f"http://127.0.0.1:{first.port(stack.ctx)}/{path}"


def test_the_certificate_verifies_against_the_runners_ca_and_only_it(https_stack):
    with https(https_stack) as client:
        response = client.get("")
    assert response.status_code == 200
    assert response.url.scheme == "https"
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(https_stack.https_url(), verify=ssl.create_default_context(), timeout=10)


def test_responses_over_https_carry_hsts_and_the_security_headers(https_stack):
    with https(https_stack) as client:
        response = client.get("")
    print("\n".join(f"{name}: {value}" for name, value in response.headers.items()))  # for the record (-s)
    assert response.headers["strict-transport-security"] == HSTS
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["cross-origin-opener-policy"] == "same-origin"
    assert "server" not in response.headers, "the load balancer does not say what serves"


def test_signing_in_over_https_sets_only_secure_cookies(https_stack):
    with https(https_stack) as client:
        form = client.get("accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
        signed_in = client.post(
            "accounts/login/",
            data={"username": "demo", "password": "demo12345", "csrfmiddlewaretoken": token},
            headers={"Referer": f"{https_stack.https_url()}accounts/login/"},
        )
    assert signed_in.status_code == 302, signed_in.text[:500]
    cookies = form.headers.get_list("set-cookie") + signed_in.headers.get_list("set-cookie")
    names = {cookie.split("=", 1)[0] for cookie in cookies}
    assert {"csrftoken", "sessionid"} <= names
    for cookie in cookies:
        attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
        assert "secure" in attributes, cookie
    session = next(cookie for cookie in cookies if cookie.startswith("sessionid="))
    assert "httponly" in session.lower()
    assert "samesite=lax" in session.lower()


def test_plain_http_at_the_load_balancer_is_redirected_to_https(https_stack):
    tls_port = https_stack.ctx.port("TLS_PORT")
    for headers in ({}, {"X-Forwarded-Proto": "https"}):  # a forged header is replaced by HAProxy's
        response = httpx.get(f"{https_stack.url()}teams/?page=2", headers=headers, timeout=10)
        assert response.status_code == 301, headers
        assert response.headers["location"] == f"https://127.0.0.1:{tls_port}/teams/?page=2"
        assert "strict-transport-security" not in response.headers  # HSTS is sent over HTTPS only


def test_a_forged_forwarded_proto_sent_to_an_instance_directly_is_not_believed(https_stack):
    forged = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example", "Forwarded": "proto=https"}
    response = httpx.get(instance_url(https_stack), headers=forged, timeout=10)
    assert response.status_code == 301, "taken for an HTTPS request"
    assert response.headers["location"].startswith(f"https://127.0.0.1:{https_stack.ctx.port('TLS_PORT')}/")
    assert "strict-transport-security" not in response.headers


def test_probes_answer_over_plain_http_whatever_the_host(https_stack):
    """As HAProxy and the kubelet probe: by address, over HTTP, with a Host not in ALLOWED_HOSTS."""
    probe_host = {"Host": "10.1.2.3:8000"}
    for path in ("healthz", "readyz?only=database"):
        assert httpx.get(instance_url(https_stack, path), headers=probe_host, timeout=10).status_code == 200
    assert httpx.get(instance_url(https_stack), headers=probe_host, timeout=10).status_code == 301  # not a probe
    with https(https_stack) as client:
        assert client.get("", headers={"Host": "evil.example"}).status_code == 400  # nor a host of ours
    servers = https_stack.service(LoadBalancer).servers(https_stack.ctx)
    assert {row["status"] for row in servers.values()} == {"UP"}, servers


def test_the_local_stack_serves_https_beside_plain_http_without_hsts(tier_stack):
    """`make up TIER=tier2`: https://127.0.0.1:8443 verifies against var/tls/ca.pem; :8000 still works."""
    with https(tier_stack) as client:
        secure = client.get("")
    plain = httpx.get(tier_stack.url(), timeout=10)
    assert secure.status_code == plain.status_code == 200
    assert "strict-transport-security" not in secure.headers  # a laptop's browser must not pin localhost
