"""The container files, checked statically: what a mistake would break before any container runs.

tests/containers/ builds the images and runs every profile under podman; these checks are the
cheap ones, for the whole file at once (every profile, every Dockerfile)."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest
import yaml

from app.runner import tiers, tls

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
DOCKERFILE = (ROOT / "docker" / "Dockerfile").read_text()
DOCKERFILES = sorted((ROOT / "docker").rglob("Dockerfile"))
pytestmark = pytest.mark.tier_independent

#: The tiers that run in containers (app.runner.tiers.NOT_IN_CONTAINERS says which do not yet).
TIERS = tiers.in_containers()
#: Profiles that are not a tier: Grafana beside the runner's Prometheus (tests/test_dashboards.py).
OTHER_PROFILES = {"dashboards"}
#: Files compose mounts from var/ that a make target makes first (the README says which).
GENERATED = {
    f"${{TLS_DIR:-./var/tls}}/{tls.Files(Path('var/tls')).server_bundle.name}": "make tls",
    "${LOAD_BALANCER_ADMIN:-./var/run/loadbalancer}": "make up RUNTIME=containers",
}


def instructions(text: str = DOCKERFILE) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", text)
    rows = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            rows.append((keyword.upper(), rest.strip()))
    return rows


def test_every_compose_service_belongs_to_a_tier_profile_and_is_complete():
    assert COMPOSE["services"]
    for name, service in COMPOSE["services"].items():
        assert service.get("profiles"), f"{name} has no profile"
        assert set(service["profiles"]) <= set(TIERS) | OTHER_PROFILES, f"{name} names an unknown profile"
        assert "image" in service or "build" in service, name
        for port in service.get("ports", []):
            # Published on loopback only, on a port the runner (and the tests) can choose.
            assert re.fullmatch(r"127\.0\.0\.1:\$\{[A-Z_]+:-\d+\}:\d+", port), port
        for dependency in service.get("depends_on", {}):
            assert dependency in COMPOSE["services"], dependency
        for volume in service.get("volumes", []):
            source = volume.rsplit(":", 2)[0] if volume.endswith(":ro") else volume.rsplit(":", 1)[0]
            assert source.startswith((".", "/", "$")) or source in COMPOSE.get("volumes", {}), volume
            if source.startswith(("./var/", "$")):  # made at run time, under var/, by a make target
                assert source in GENERATED, f"{volume}: nothing makes it before `compose up`"
            elif source.startswith("./"):
                assert (ROOT / source).exists(), volume
        build = service.get("build")
        if build:
            assert (ROOT / build["context"] / build["dockerfile"]).exists(), name


def test_tier2_balances_two_app_instances_through_haproxy_polling_readyz():
    tier2 = {name: s for name, s in COMPOSE["services"].items() if "tier2" in s["profiles"]}
    instances = sorted(
        name
        for name, s in tier2.items()
        if s.get("image") == APP_IMAGE and "command" in s and "gunicorn" in s["command"]
    )
    assert instances == ["web-1", "web-2"]
    config = (ROOT / "docker" / "haproxy" / "haproxy.cfg").read_text()
    config += (ROOT / "docker" / "haproxy" / "servers-tier2.cfg").read_text()
    assert "uri /readyz" in config
    for name in instances:
        assert f"server {name} {name}:8000 check" in config
    assert tier2["loadbalancer"]["ports"] == ["127.0.0.1:${WEB_PORT:-8000}:8000", "127.0.0.1:${TLS_PORT:-8443}:8443"]
    # TLS ends at HAProxy, which alone says a request came over HTTPS, from the address the app trusts.
    assert "bind :8443 ssl crt /etc/haproxy/tls/server.pem" in config
    assert "http-request set-header X-Forwarded-Proto https if { ssl_fc }" in config
    address = tier2["loadbalancer"]["networks"]["default"]["ipv4_address"]
    assert all(tier2[name]["environment"]["TRUSTED_PROXIES"] == address for name in instances)
    # The app reaches PostgreSQL through the poolers, reads the replica, and migrates directly.
    env = tier2["web-1"]["environment"]
    assert (env["PGBOUNCER_HOST"], env["REPLICA_PGBOUNCER_HOST"], env["PG_HOST"]) == (
        "pgbouncer",
        "pgbouncer-replica",
        "db",
    )
    assert {env["PGBOUNCER_HOST"], env["REPLICA_PGBOUNCER_HOST"], env["REPLICA_HOST"]} <= set(tier2)


def test_the_helper_scripts_the_containers_run_are_executable():
    scripts = sorted((ROOT / "docker").rglob("*.sh"))
    assert len(scripts) >= 4
    for script in scripts:
        assert os.access(script, os.X_OK), script


APP_IMAGE = COMPOSE["x-app"]["image"]


def test_each_tier_profile_runs_the_app_with_that_tier():
    for tier in TIERS:
        web = [s for s in COMPOSE["services"].values() if tier in s["profiles"] and s.get("image") == APP_IMAGE]
        assert web, tier
        assert all(s["environment"]["TIER"] == tier for s in web)
        build = web[0]["build"]
        assert (ROOT / build["context"] / build["dockerfile"]).exists()


def test_the_image_takes_its_base_as_an_argument_runs_as_a_user_and_serves_with_gunicorn():
    rows = instructions()
    # The official slim Python image by default; the tests pass a Debian base made locally.
    assert rows[0] == ("ARG", "BASE=python:3.11-slim")
    assert rows[1][0] == "FROM"
    assert rows[1][1].startswith("${BASE}")
    users = [value for keyword, value in rows if keyword == "USER"]
    assert users
    assert users[-1] not in ("root", "0")
    user_at = max(i for i, (k, _) in enumerate(rows) if k == "USER")
    assert all(k != "RUN" for k, _ in rows[user_at:]), "nothing should run as root after USER"
    cmd = next(value for keyword, value in rows if keyword == "CMD")
    assert "gunicorn" in cmd
    assert "HEALTHCHECK" in dict(rows)
    assert "EXPOSE" in dict(rows)


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_image_builds_from_a_base_argument_and_copies_only_what_exists(dockerfile):
    rows = instructions(dockerfile.read_text())
    assert rows[0][0] == "ARG", "the base image is a build argument"
    assert rows[0][1].startswith("BASE="), "the base image is a build argument"
    for keyword, value in rows:
        if keyword == "COPY" and not value.startswith("--from="):
            *sources, _ = shlex.split(value)
            for source in sources:
                assert (ROOT / source).exists(), f"{dockerfile}: {source}"
        assert keyword != "ADD", "use COPY; ADD fetches URLs and unpacks archives implicitly"
    assert "requirements-dev" not in dockerfile.read_text(), "images carry runtime dependencies only"


def test_the_build_context_leaves_out_local_state():
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", "var"} <= set(ignored)


def test_tier3_runs_three_stateless_instances_with_its_cache_and_object_store():
    tier3 = {name: s for name, s in COMPOSE["services"].items() if "tier3" in s["profiles"]}
    instances = sorted(name for name, s in tier3.items() if s.get("image") == APP_IMAGE and "gunicorn" in s["command"])
    assert instances == ["web-tier3-1", "web-tier3-2", "web-tier3-3"]
    servers = (ROOT / "docker" / "haproxy" / "servers-tier3.cfg").read_text()
    for name in instances:
        assert f"server {name} {name}:8000 check" in servers
        assert "volumes" not in tier3[name], f"{name} keeps nothing on a disk of its own"
    assert "retry-on conn-failure empty-response" in servers
    balancer = tier3["loadbalancer-tier3"]
    assert "/etc/haproxy/servers-tier3.cfg" in balancer["command"]
    env = tier3["web-tier3-1"]["environment"]
    assert env["CACHE_REDIS_URL"].startswith("redis://cache:")
    assert env["SESSION_REDIS_URL"].startswith("redis://broker:")
    assert env["OBJECT_STORE_URL"] == "http://objects:8333"
    assert "allkeys-lru" in tier3["cache"]["command"]
    assert tier3["objects"]["ports"] == ["127.0.0.1:${OBJECT_STORE_PORT:-8333}:8333"]


def test_tier4_runs_tier3_with_two_shards_each_behind_its_pgbouncer():
    tier3 = {name for name, s in COMPOSE["services"].items() if "tier3" in s["profiles"]}
    tier4 = {name: s for name, s in COMPOSE["services"].items() if "tier4" in s["profiles"]}
    # tier3's data services and media service, and the shards; its own app instances and workers.
    shared = {name for name in tier3 if not re.search(r"-tier3($|-)", name)} | {"media-tier3"}
    assert shared <= set(tier4)
    instances = sorted(name for name, s in tier4.items() if s.get("image") == APP_IMAGE and "gunicorn" in s["command"])
    assert instances == ["web-tier4-1", "web-tier4-2", "web-tier4-3"]
    servers = (ROOT / "docker" / "haproxy" / "servers-tier4.cfg").read_text()
    for name in instances:
        assert f"server {name} {name}:8000 check" in servers
    assert "/etc/haproxy/servers-tier4.cfg" in tier4["loadbalancer-tier4"]["command"]
    # Every app container finds each shard's server (migrations, moving a team) and its pooler by name.
    env = tier4["migrate-tier4"]["environment"]
    for number in (1, 2):
        server, pooler = env[f"SHARD{number}_HOST"], env[f"SHARD{number}_PGBOUNCER_HOST"]
        assert (server, pooler) == (f"shard{number}", f"pgbouncer-shard{number}")
        assert tier4[pooler]["environment"]["TARGET_HOST"] == server
        assert tier4[server]["image"] == tier4["db"]["image"]
        assert any(volume.startswith(f"tier4-shard{number}:") for volume in tier4[server]["volumes"])
    assert all(s["environment"] == env for name, s in tier4.items() if s.get("image") == APP_IMAGE)
