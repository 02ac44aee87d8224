"""Fixtures shared by every test.

The suite runs once per tier (``TIER=tier1 python -m pytest``). Before Django touches a
database, the tier's infrastructure (PostgreSQL, Redis from tier1 on) is started through
the project's runner on the test ports set in ``tests/testenv.py``, and stopped at the end.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client

from tests.factories import UserFactory

TEST_VAR = Path(os.environ["MILESTONES_VAR"])
TIER_NUMBER = int(os.environ["DJANGO_SETTINGS_MODULE"].rsplit("tier", 1)[1])

# tests/tierN/ test what milestone N adds, so they run in tierN's pass and every later one.
collect_ignore = [f"tier{n}" for n in range(1, 5) if n > TIER_NUMBER]
INLINE = "app.platform.jobs.InlineBackend"
IN_PROCESS_MEDIA = "app.platform.media.in_process.InProcess"


def pytest_report_header(config):
    return f"milestones tier: {django_settings.TIER} ({os.environ['DJANGO_SETTINGS_MODULE']})"


@pytest.fixture(scope="session")
def tier_services():
    """The current tier's databases and brokers, on the test ports, for the whole session."""
    from app.runner.stack import Stack

    stack = Stack(django_settings.TIER, environ=dict(os.environ, MILESTONES_VAR=str(TEST_VAR / "services")))
    stack.up(infrastructure_only=True)
    _forget_queued_jobs()
    yield stack
    stack.down(quiet=True)


def _forget_queued_jobs() -> None:
    """A session killed before its teardown leaves jobs queued in the broker's append-only file,
    for rows that no longer exist: this session's tests would wait on them (``drained``)."""
    url = getattr(django_settings, "CELERY_BROKER_URL", "") or ""
    if url.startswith("redis://"):
        import redis

        redis.Redis.from_url(url).flushdb()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(tier_services, django_db_modify_db_settings_parallel_suffix):
    """Hooked in before pytest-django creates the test database, so the server is up by then."""


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, tier_services):
    """pytest-django's test database, read through the real replica where the tier has one, and,
    where a pooler sits in front of it, the pooler's server connections to it closed before
    pytest-django drops it (DROP DATABASE refuses while any remain)."""
    from django.db import connection

    with django_db_blocker.unblock():
        name = connection.settings_dict["NAME"]
        if django_settings.REPLICA_ROUTING:
            _read_test_database_from_replica(tier_services, name)
    yield
    from app.runner.units.pgbouncer import PgBouncer
    from app.runner.units.shards import Shards

    for service in tier_services.services:
        poolers = service.poolers(tier_services.ctx) if isinstance(service, Shards) else [service]
        for pooler in poolers:
            if isinstance(pooler, PgBouncer):
                pooler.admin(tier_services.ctx, f"KILL {name}")


def _read_test_database_from_replica(stack, name: str) -> None:
    """Django mirrors the replica alias onto ``default`` in tests (it cannot create a database on a
    standby); streaming replication has copied the test database to the standby, so point the
    alias back at the standby, once it has replayed the database's creation."""
    import time

    import psycopg
    from django.db import connections

    from app.platform.db import replica_health

    alias = django_settings.REPLICA_ROUTING["ALIAS"]
    dsn = stack.service("replica").dsn(stack.ctx, "postgres")
    deadline = time.monotonic() + 30
    with psycopg.connect(dsn, autocommit=True) as standby:
        while not standby.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            assert time.monotonic() < deadline, "the replica never received the test database"
            time.sleep(0.05)
    # The alias's settings are shared by the connection each thread opens; this thread's was mirrored.
    replica = connections.settings[alias]
    replica["NAME"] = name
    connections[alias].close()
    connections[alias].settings_dict = replica
    replica_health.reset()


def pytest_collection_finish(session):
    """The benchmark smoke runs start now, if this pass runs their tests, and run beside the rest."""
    from tests import bench_smokes

    if not session.config.option.collectonly:
        bench_smokes.start_for(session.items)


def pytest_sessionfinish(session):
    from tests import bench_smokes

    bench_smokes.stop_all()


def pytest_collection_modifyitems(items):
    """Where a tier's router sends reads to a replica, a test that commits (``transaction=True``)
    may be routed there, so it is allowed to query it; where it shards teams (tier4), every
    database test may use every shard."""
    shards = list(getattr(django_settings, "SHARDING", {}).get("SHARDS", []))
    if not django_settings.REPLICA_ROUTING and not shards:
        return
    replica = [django_settings.REPLICA_ROUTING["ALIAS"]] if django_settings.REPLICA_ROUTING else []
    for item in items:
        marker = item.get_closest_marker("django_db")
        if not marker or "databases" in marker.kwargs:
            continue
        aliases = ["default", *shards, *(replica if marker.kwargs.get("transaction") else [])]
        if len(aliases) > 1:
            item.add_marker(pytest.mark.django_db(*marker.args, **marker.kwargs, databases=aliases), append=False)


@pytest.fixture
def client(client, request):
    """pytest-django's client; where reads go to a replica, one that has seen what the test wrote.

    A committing test (``transaction=True``) writes with factories, outside any request, so no
    client carries the WAL position of those writes, and the next request may read a replica
    that has not replayed them yet. Each request of this client sends the primary's current
    position in ``X-Primary-LSN``, as a client that had just written would: the router then
    reads the replica only once it has caught up (``app.platform.db.routing``). Clients made
    with ``Client()`` stay plain, for the tests of that rule itself.
    """
    marker = request.node.get_closest_marker("django_db")
    if not (django_settings.REPLICA_ROUTING and marker and marker.kwargs.get("transaction")):
        return client
    from app.platform.db.routing import primary_position

    send = client.request

    def after_the_tests_writes(**request_meta):
        request_meta.setdefault("HTTP_X_PRIMARY_LSN", primary_position())
        return send(**request_meta)

    client.request = after_the_tests_writes
    return client


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2's deliberate slowness protects real passwords; in tests it only costs minutes."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_caches(request):
    """Where a tier keeps a shared cache or rate-limit counters in Redis, each test starts with
    none: they outlive the test database's rollback, so one test's pages or counted log-ins
    would otherwise reach the next. Sessions are left (they are keyed by each test's own cookie)."""
    from tests.shared_state import forget_shared_cache, shared_cache_aliases

    if not shared_cache_aliases():
        return
    request.getfixturevalue("tier_services")
    forget_shared_cache()
    from app.platform.http import ratelimit

    ratelimit._limiter._down_until = 0.0


@pytest.fixture
def inline_jobs(settings):
    """Run jobs in the test's own process: for tests of what a job does, not of how it is delivered.

    Media work too (tier3 sends it to the media service): the same code, the same storages.
    Delivery through real Celery workers is tested in tests/tier1/, through the real media
    service in tests/tier3/test_media_service.py.
    """
    settings.JOBS_BACKEND = INLINE
    settings.MEDIA_WORK = IN_PROCESS_MEDIA


@pytest.fixture
def page_views(db):
    """The views the pages recorded, read back as the tier stores them: tier0 wrote them
    already; from tier1 this flushes the Redis buffer as the scheduler's job does. The buffer
    starts empty (other tests' pages fill it too)."""
    from app.analytics.jobs import flush_page_views
    from app.analytics.models import PageView
    from app.analytics.recorders import BufferedRecorder
    from app.platform.seams import seam

    recorder = seam("PAGE_VIEWS")
    if isinstance(recorder, BufferedRecorder):
        recorder.send_now()  # views earlier tests' pages left queued in this process, out of the way
        buffer = recorder.buffer
        buffer.client.delete(buffer.key, buffer.inflight_key, buffer.dropped_key, buffer.lock_key)
        buffer.reset()  # what an earlier test's outage left in this process

    def stored() -> list[PageView]:
        if isinstance(recorder, BufferedRecorder):
            recorder.send_now()  # what this process's sender thread would push within SEND_SECONDS
        flush_page_views()
        return list(PageView.objects.order_by("id"))

    return stored


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def signed_in(client: Client, user) -> Client:
    client.force_login(user)
    return client


@pytest.fixture
def api_token(user) -> str:
    from app.accounts.services import api_token_create

    return api_token_create(user=user, name="tests")[1]


@pytest.fixture
def bearer(api_token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token}"}


def stack_folder(name: str) -> Path:
    """A fresh folder for a private stack, under the checkout so ``postgres`` can reach it as root."""
    folder = TEST_VAR / "stacks" / f"{django_settings.TIER}-{name}"
    shutil.rmtree(folder, ignore_errors=True)
    return folder


@pytest.fixture(scope="session")
def tier_stack():
    """The current tier as ``make up`` runs it (every service, demo data), on its own ports and folder."""
    from app.runner.stack import private_stack

    with private_stack(django_settings.TIER, stack_folder("app")) as stack:
        yield stack


#: What a production deployment sets (README, "Deploying to production"), for a stack on this machine.
def production_environment(tls_port: int) -> dict[str, str]:
    import secrets

    from config import env

    return {
        "MILESTONES_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "TRUSTED_PROXIES": env.LOAD_BALANCER_SOURCE,
        # HTTPS is on another port than plain HTTP here (on 443 in production, no need to say).
        "SECURE_SSL_HOST": f"127.0.0.1:{tls_port}",
        "TLS_PORT": str(tls_port),
    }


@pytest.fixture(scope="session")
def https_stack():
    """The current tier (one with a load balancer) as a deployment runs it: the production
    environment, HTTPS at HAProxy with the runner's local CA, on its own ports and folder."""
    from app.runner.processes import free_port
    from app.runner.stack import private_stack

    with private_stack(django_settings.TIER, stack_folder("https"), **production_environment(free_port())) as stack:
        assert stack.https_url(), f"{django_settings.TIER} has no load balancer to terminate TLS"
        yield stack


@pytest.fixture(scope="session", autouse=True)
def _collected_static():
    """Tiers with hashed static names need the manifest ``collectstatic`` writes, as in production."""
    from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
    from django.core.management import call_command

    staticfiles_storage._setup()
    if isinstance(staticfiles_storage._wrapped, ManifestFilesMixin):
        call_command("collectstatic", interactive=False, verbosity=0)
