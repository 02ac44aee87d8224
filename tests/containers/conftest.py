"""Containers under podman: each tier's compose profile, and the Kubernetes manifests.

These tests build real images (on a Debian base image made with debootstrap the first time,
then kept in podman's storage) and run real containers, once, in the tier0 pass. They use their
own compose project, ports, subnet and folder, so a `make up RUNTIME=containers` stack on the
same machine is left alone.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.runner.containers.podman import Podman
from app.runner.processes import free_port
from config import env as project_env

VAR = Path(os.environ["MILESTONES_VAR"]) / "containers"


@pytest.fixture(scope="session")
def container_env() -> dict[str, str]:
    """The environment the container tests run podman and podman-compose in."""
    ports: set[int] = set()
    while len(ports) < 3:
        ports.add(free_port())
    web, tls, objects = sorted(ports)
    return dict(
        os.environ,
        MILESTONES_VAR=str(VAR),
        WEB_PORT=str(web),
        TLS_PORT=str(tls),
        OBJECT_STORE_PORT=str(objects),
        SUBNET="172.31.250.0/24",
        IP_RANGE="172.31.250.0/25",
        LOAD_BALANCER_ADDRESS="172.31.250.250",
    )


@pytest.fixture(scope="session")
def podman(container_env) -> Podman:
    """podman with the project's configuration and the base image in place."""
    VAR.mkdir(parents=True, exist_ok=True)
    found = Podman(VAR, project_env.BASE_DIR, container_env)
    found.require()
    found.base_image()
    return found
