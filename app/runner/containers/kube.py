"""The Kubernetes manifests (deploy/k8s): rendered with kustomize, validated against the API's
schemas offline, and a tier's workloads run under ``podman kube play``.

podman plays Deployments (each replica a pod), ConfigMaps, Secrets and PersistentVolumeClaims.
What it does not implement is validated only: Services become network aliases of the pods they
select (each Deployment is played apart, with ``--network NET:alias=SERVICE``), so the app finds
``db`` and ``broker`` by the same names as in a cluster; the migration Job's pod template runs as
a pod, to completion, before the app; HorizontalPodAutoscalers and PodDisruptionBudgets have no
podman equivalent. podman drops readiness and startup probes and runs liveness probes only when
asked (no systemd here), so readiness is checked by running the probe in the container. podman
4.3 also publishes every ``containerPort`` on the host, which a cluster never does (and which
collides with whatever the host runs on 5432): the played copy leaves ``ports`` out, naming the
probes' ports by number.
"""

from __future__ import annotations

import base64
import copy
import json
import secrets
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from app.runner.containers.podman import Podman
from app.runner.processes import RunnerError
from config import env as project_env

K8S = project_env.BASE_DIR / "deploy" / "k8s"
#: The Kubernetes version the manifests are validated against (its schemas ship with kubernetes-validate).
KUBERNETES_VERSION = "1.32.0"
#: The Secret the manifests expect to be created apart (never in the repository).
SECRET_NAME = "milestones-secrets"  # noqa: S105 - a name, not a secret

Manifest = dict[str, Any]


def render(overlay: str) -> list[Manifest]:
    """``kubectl kustomize deploy/k8s/overlays/OVERLAY`` (or the base), as a list of manifests."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        raise RunnerError("kubectl is not installed: `apt-get install kubernetes-client` (it has `kubectl kustomize`)")
    folder = K8S / "base" if overlay == "base" else K8S / "overlays" / overlay
    if not folder.is_dir():
        raise RunnerError(f"no kustomization at {folder}")
    result = subprocess.run([kubectl, "kustomize", str(folder)], capture_output=True, text=True)
    if result.returncode != 0:
        raise RunnerError(f"kustomize failed on {folder}: {result.stderr.strip()}")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def validate(manifests: list[Manifest], version: str = KUBERNETES_VERSION) -> list[str]:
    """Every manifest checked strictly against that version's OpenAPI schemas: the problems found."""
    import kubernetes_validate

    problems = []
    for manifest in manifests:
        name = f"{manifest.get('kind')}/{manifest.get('metadata', {}).get('name')}"
        try:
            kubernetes_validate.validate(manifest, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            problems.append(f"{name}: {exc.message} at {'.'.join(map(str, exc.path))}")
        except (kubernetes_validate.SchemaNotFoundError, kubernetes_validate.InvalidSchemaError) as exc:
            problems.append(f"{name}: {exc}")
    return problems


def of_kind(manifests: list[Manifest], kind: str) -> list[Manifest]:
    return [m for m in manifests if m["kind"] == kind]


def selects(service: Manifest, workload: Manifest) -> bool:
    """Whether the Service's selector matches the pods of the workload (Deployment or Job)."""
    selector = service["spec"].get("selector") or {}
    labels = workload["spec"]["template"]["metadata"].get("labels", {})
    return bool(selector) and all(labels.get(key) == value for key, value in selector.items())


def unpublished(workload: Manifest) -> Manifest:
    """A copy of the workload whose containers declare no ports (probes name theirs by number)."""
    workload = copy.deepcopy(workload)
    for container in workload["spec"]["template"]["spec"]["containers"]:
        numbers = {port.get("name"): port["containerPort"] for port in container.pop("ports", [])}
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            action = container.get(probe, {}).get("httpGet") or container.get(probe, {}).get("tcpSocket")
            if action and action.get("port") in numbers:
                action["port"] = numbers[action["port"]]
    return workload


@dataclass
class Played:
    """A workload played as pods: its file (to take it down again) and its pods' containers."""

    name: str
    file: Path
    containers: list[str] = field(default_factory=list)
    #: The workload as played (ports left out, probes naming theirs by number).
    workload: Manifest | None = None


class KubePlay:
    """A rendered overlay played with podman on its own network, Services as network aliases."""

    def __init__(self, manifests: list[Manifest], podman: Podman, *, network: str) -> None:
        self.manifests = manifests
        self.podman = podman
        self.network = network
        #: Pods and volumes are named NETWORK-NAME, so a left-over play is recognised and removed,
        #: and nothing else on the machine is touched.
        self.prefix = network
        self.folder = podman.dir / "kube" / network
        self.played: list[Played] = []

    def clear(self) -> None:
        """Remove what an interrupted play with this prefix left: its pods, then its volumes."""
        pods = json.loads(self.podman.run("pod", "ps", "--format", "json") or "[]")
        for pod in pods:
            if pod["Name"].startswith(f"{self.prefix}-"):
                self.podman.run("pod", "rm", "--force", pod["Name"], check=False)
        volumes = self.podman.run("volume", "ls", "--quiet", "--filter", f"name=^{self.prefix}-").split()
        if volumes:
            self.podman.run("volume", "rm", "--force", *volumes, check=False)

    def aliases(self, workload: Manifest) -> list[str]:
        return [s["metadata"]["name"] for s in of_kind(self.manifests, "Service") if selects(s, workload)]

    def claims(self, workload: Manifest) -> list[Manifest]:
        """The workload's claims, renamed with the prefix (and the workload pointed at them)."""
        by_name = {c["metadata"]["name"]: c for c in of_kind(self.manifests, "PersistentVolumeClaim")}
        found = []
        for volume in workload["spec"]["template"]["spec"].get("volumes", []):
            if "persistentVolumeClaim" in volume:
                reference = volume["persistentVolumeClaim"]
                claim = copy.deepcopy(by_name[reference["claimName"]])
                claim["metadata"]["name"] = reference["claimName"] = f"{self.prefix}-{reference['claimName']}"
                found.append(claim)
        return found

    def play(self, name: str, documents: list[Manifest], aliases: Sequence[str] = ()) -> Played:
        self.folder.mkdir(parents=True, exist_ok=True)
        file = self.folder / f"{name}.yaml"
        file.write_text(yaml.safe_dump_all(documents, sort_keys=False))
        network = self.network + (":" + ",".join(f"alias={a}" for a in aliases) if aliases else "")
        played = Played(name, file)
        self.played.append(played)
        self.podman.run("kube", "play", "--network", network, str(file))
        return played

    def containers_of(self, pod: str) -> list[str]:
        """The app containers (not the infra ones) of the pods named ``pod`` or ``pod-pod-N``."""
        # podman names a Deployment's pods NAME-pod-0, NAME-pod-1, … and their containers POD-CONTAINER.
        out = self.podman.run("ps", "--all", "--format", "json", "--filter", f"name=^{pod}(-pod-[0-9]+)?-[^-]+$")
        return sorted(row["Names"][0] for row in json.loads(out or "[]") if not row.get("IsInfra"))

    def deployment(self, name: str) -> Played:
        workload = next(d for d in of_kind(self.manifests, "Deployment") if d["metadata"]["name"] == name)
        aliases = self.aliases(workload)
        workload = unpublished(workload)
        workload["metadata"]["name"] = f"{self.prefix}-{name}"
        documents = [*of_kind(self.manifests, "ConfigMap"), *self.claims(workload), workload]
        played = self.play(name, documents, aliases)
        played.containers = self.containers_of(f"{self.prefix}-{name}")
        played.workload = workload
        return played

    def readiness(self, played: Played, container: str) -> Callable[[str], bool]:
        """The container's own readiness probe, run inside it as podman would not: ``exec`` as
        written, ``httpGet`` with curl (every image has it for its health check). A container
        that declares none is ready once it runs."""
        assert played.workload is not None, f"{played.name} is not a played Deployment"
        specs = played.workload["spec"]["template"]["spec"]["containers"]
        spec = next(s for s in specs if container.endswith(f"-{s['name']}"))
        probe = spec.get("readinessProbe", {})
        if "exec" in probe:
            command = probe["exec"]["command"]
            return lambda c: self.podman.ok("exec", c, *command)
        if "httpGet" in probe:
            url = f"http://127.0.0.1:{probe['httpGet']['port']}{probe['httpGet'].get('path', '/')}"
            return lambda c: self.podman.ok("exec", c, "curl", "-fsS", "-o", "/dev/null", url)
        return lambda c: self.podman.run("inspect", "--format", "{{.State.Status}}", c).strip() == "running"

    def wait_deployment_ready(self, played: Played, *, timeout: float) -> None:
        """Every replica of the Deployment passes its readiness probe (or ``RunnerError``)."""
        for container in played.containers:
            self.wait_ready(container, self.readiness(played, container), timeout=timeout)

    def job(self, name: str) -> Played:
        """A Job's pod template, run once as a pod (podman has no Jobs)."""
        job = next(j for j in of_kind(self.manifests, "Job") if j["metadata"]["name"] == name)
        template = unpublished(job)["spec"]["template"]
        spec = {**template["spec"], "restartPolicy": "Never"}
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {**template.get("metadata", {}), "name": f"{self.prefix}-{name}"},
            "spec": spec,
        }
        played = self.play(name, [*of_kind(self.manifests, "ConfigMap"), pod])
        played.containers = [f"{self.prefix}-{name}-{c['name']}" for c in spec["containers"]]
        return played

    def wait_exited(self, container: str, *, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.podman.run("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", container).split()
            if state[0] in ("exited", "stopped"):
                return int(state[1])
            time.sleep(1)
        raise RunnerError(f"{container} still running after {timeout:.0f}s:\n{self.log(container)}")

    def wait_ready(self, container: str, probe: Callable[[str], bool], *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not probe(container):
            state = self.podman.run("inspect", "--format", "{{.State.Status}}", container).strip()
            if state != "running":
                raise RunnerError(f"{container} is {state}:\n{self.log(container)}")
            if time.monotonic() > deadline:
                raise RunnerError(f"{container} not ready after {timeout:.0f}s:\n{self.log(container)}")
            time.sleep(1)

    def log(self, container: str, lines: int = 30) -> str:
        return self.podman.logs(container, lines)

    def address(self, container: str) -> str:
        """The container's address on the play's network (routable from this host)."""
        networks = json.loads(self.podman.run("inspect", "--format", "{{json .NetworkSettings.Networks}}", container))
        if self.network not in networks:  # a pod's containers share its infra container's network
            pod = self.podman.run("inspect", "--format", "{{.Pod}}", container).strip()
            infra = self.podman.run("pod", "inspect", "--format", "{{.InfraContainerID}}", pod).strip()
            networks = json.loads(self.podman.run("inspect", "--format", "{{json .NetworkSettings.Networks}}", infra))
        return str(networks[self.network]["IPAddress"])

    def down(self) -> None:
        """Every played file taken down at once: ``kube down`` one file after another waits out
        each pod's stop in turn (tier4 plays twenty)."""
        with ThreadPoolExecutor(max_workers=max(len(self.played), 1)) as pool:
            list(pool.map(lambda played: self.podman.run("kube", "down", str(played.file), check=False), self.played))
        self.played.clear()


@contextmanager
def played_overlay(manifests: list[Manifest], podman: Podman, *, network: str) -> Iterator[KubePlay]:
    """The overlay's network, its Secret (a fresh SECRET_KEY), and afterwards everything removed."""
    podman.run("network", "rm", "--force", network, check=False)
    podman.run("network", "create", network)
    # What `kubectl create secret generic milestones-secrets --from-literal=SECRET_KEY=…` makes; podman
    # 4.3 reads a Secret for envFrom from its own store, as a JSON map of key to base64 value.
    secret = {"SECRET_KEY": base64.b64encode(secrets.token_urlsafe(50).encode()).decode()}
    podman.run("secret", "rm", SECRET_NAME, check=False)
    kube = KubePlay(manifests, podman, network=network)
    kube.clear()
    kube.folder.mkdir(parents=True, exist_ok=True)
    (kube.folder / "secret.json").write_text(json.dumps(secret))
    podman.run("secret", "create", SECRET_NAME, str(kube.folder / "secret.json"))
    try:
        yield kube
    finally:
        kube.down()
        kube.clear()
        podman.run("secret", "rm", SECRET_NAME, check=False)
        podman.run("network", "rm", "--force", network, check=False)
