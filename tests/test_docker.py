"""The Docker files, checked statically: no Docker engine runs where the tests run."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
DOCKERFILE = (ROOT / "docker" / "Dockerfile").read_text()
pytestmark = pytest.mark.tier_independent

TIERS = sorted(p.stem for p in (ROOT / "config" / "settings").glob("tier*.py"))


def instructions() -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", DOCKERFILE)
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
        assert set(service["profiles"]) <= set(TIERS), f"{name} names an unknown tier"
        assert "image" in service or "build" in service, name
        for port in service.get("ports", []):
            host, _, container = str(port).partition(":")
            assert host.isdigit(), port
            assert container.isdigit(), port
        for dependency in service.get("depends_on", {}):
            assert dependency in COMPOSE["services"], dependency
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            assert source.startswith((".", "/")) or source in COMPOSE.get("volumes", {}), volume


def test_each_tier_profile_runs_the_app_with_that_tier():
    for tier in TIERS:
        web = [s for s in COMPOSE["services"].values() if tier in s["profiles"] and "build" in s]
        assert web, tier
        assert all(s["environment"]["TIER"] == tier for s in web)
        build = web[0]["build"]
        assert (ROOT / build["context"] / build["dockerfile"]).exists()


def test_the_image_is_slim_runs_as_a_user_and_serves_with_gunicorn():
    rows = instructions()
    assert rows[0] == ("FROM", "python:3.11-slim")
    users = [value for keyword, value in rows if keyword == "USER"]
    assert users
    assert users[-1] not in ("root", "0")
    user_at = max(i for i, (k, _) in enumerate(rows) if k == "USER")
    assert all(k != "RUN" for k, _ in rows[user_at:]), "nothing should run as root after USER"
    cmd = next(value for keyword, value in rows if keyword == "CMD")
    assert "gunicorn" in cmd
    assert "EXPOSE" in dict(rows)


def test_everything_the_image_copies_exists_and_the_entrypoint_is_executable():
    for keyword, value in instructions():
        if keyword == "COPY":
            *sources, _ = shlex.split(value)
            for source in sources:
                assert (ROOT / source).exists(), source
        assert keyword != "ADD", "use COPY; ADD fetches URLs and unpacks archives implicitly"
    entrypoint = ROOT / "docker" / "entrypoint.sh"
    assert os.access(entrypoint, os.X_OK)
    assert "requirements-dev" not in DOCKERFILE, "the image carries runtime dependencies only"
