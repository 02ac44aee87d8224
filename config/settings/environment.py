"""Where the code runs, apart from which milestone it is: ``MILESTONES_ENV`` is ``production``
(the default) or ``local``.

The tier (``tierN.py``) decides what runs; the environment decides how the site faces the
world. A deployment gets production unless it says otherwise, so a forgotten variable fails
closed: HTTPS only with HSTS, ``Secure`` cookies, the hosts, the secret key and the proxies
allowed to vouch for HTTPS all from the environment, and no start at all without them. The
runner, the tests and docker-compose say ``MILESTONES_ENV=local``: plain HTTP keeps working,
with the development secret key.

Every tier imports this through ``base.py``; nothing in ``tierN.py`` overrides it, so
``manage.py check --deploy`` gives the same answer for every tier (``make test`` runs it).
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from config import env

ENVIRONMENT = env.choice("MILESTONES_ENV", ("production", "local"), "production")

#: Good enough for a laptop, refused in production (whatever its length: it is public).
DEVELOPMENT_SECRET_KEY = "dev-only-insecure-key-change-me-in-production-0123456789"  # noqa: S105

DEBUG = env.flag("DEBUG", False)

# Whether a request came over HTTPS is decided here alone, from the header the load balancer
# sets, and only when the request comes from one of TRUSTED_PROXIES (app.platform.http.proxies
# drops the forwarded headers of everyone else, so a client talking to an instance directly
# cannot claim HTTPS). gunicorn's own reading of the header is off (config/gunicorn.py).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Comma-separated origins (scheme://host[:port]) allowed to post forms besides the site's own.
CSRF_TRUSTED_ORIGINS = env.listing("CSRF_TRUSTED_ORIGINS", [])


def _required(name: str, why: str) -> list[str]:
    value = env.listing(name, [])
    if not value:
        raise ImproperlyConfigured(f"{name} is not set: {why} (or set MILESTONES_ENV=local to work locally).")
    return value


if ENVIRONMENT == "production":
    SECRET_KEY = env.string("SECRET_KEY", "")
    if SECRET_KEY in ("", DEVELOPMENT_SECRET_KEY) or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set to a secret of 50 characters or more in production, e.g. "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'` "
            "(or set MILESTONES_ENV=local to work locally with the development key)."
        )
    # Old keys still accepted for signatures (sessions, password-reset links) while a new one rolls out.
    SECRET_KEY_FALLBACKS = env.listing("SECRET_KEY_FALLBACKS", [])
    ALLOWED_HOSTS = _required("ALLOWED_HOSTS", "the host names this site answers to, comma-separated")
    TRUSTED_PROXIES = _required(
        "TRUSTED_PROXIES",
        "the load balancer's addresses or networks (e.g. 10.0.0.0/8): only they may say a request came over HTTPS",
    )
    # Plain HTTP is answered with a redirect to HTTPS (health probes excepted: app.platform.http.probes),
    # to SECURE_SSL_HOST where HTTPS lives on another host or port than the request's.
    SECURE_SSL_REDIRECT = True
    SECURE_SSL_HOST = env.string("SECURE_SSL_HOST", "") or None
    # HSTS: browsers use only HTTPS for this site for two years (what hstspreload.org asks for a
    # listing), subdomains included. A first deployment may start with HSTS_SECONDS=300 and raise
    # it once HTTPS is known to work everywhere: a browser keeps the policy for its whole max-age.
    SECURE_HSTS_SECONDS = int(env.number("HSTS_SECONDS", 63_072_000))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.flag("HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env.flag("HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
else:
    SECRET_KEY = env.string("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
    ALLOWED_HOSTS = env.listing("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
    # The runner's HAProxy connects to the instances from its own loopback address, so a client
    # on 127.0.0.1 (a test, curl) reaching an instance directly is not taken for the load balancer.
    TRUSTED_PROXIES = env.listing("TRUSTED_PROXIES", [env.LOAD_BALANCER_SOURCE])
