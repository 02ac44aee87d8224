"""deploy/k8s: every kustomization renders and validates against the Kubernetes schemas, the
base declares what a production Deployment needs, and tier2's, tier3's and tier4's overlays run
under ``podman kube play`` (app/runner/containers/kube.py says what podman plays and what it cannot)."""

from __future__ import annotations

import copy
import re
import time

import httpx
import pytest

from app.runner.containers import kube
from app.runner.containers.compose import ComposeStack
from tests.containers import journey

pytestmark = [pytest.mark.tier_independent, pytest.mark.containers]
OVERLAYS = sorted(p.name for p in (kube.K8S / "overlays").iterdir() if p.is_dir())
DATA = ["db", "broker", "mail", "db-replica", "pgbouncer", "pgbouncer-replica"]
APP = ["web", "worker-critical", "worker-default", "worker-bulk", "relay", "scheduler"]


def named(manifests: list[kube.Manifest], kind: str, name: str) -> kube.Manifest:
    return next(m for m in kube.of_kind(manifests, kind) if m["metadata"]["name"] == name)


@pytest.mark.parametrize("overlay", ["base", *OVERLAYS])
def test_each_kustomization_renders_and_validates_against_the_kubernetes_schemas(overlay):
    manifests = kube.render(overlay)
    assert manifests
    assert kube.validate(manifests) == []


def test_the_validation_fails_on_a_misspelt_field_or_a_wrong_type():
    web = named(kube.render("base"), "Deployment", "web")
    misspelt = copy.deepcopy(web)
    misspelt["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    wrong_type = copy.deepcopy(web)
    wrong_type["spec"]["replicas"] = "two"
    assert len(kube.validate([misspelt, wrong_type])) == 2


def test_the_base_declares_probes_resources_budgets_and_autoscaling():
    manifests = kube.render("base")
    for workload in [*kube.of_kind(manifests, "Deployment"), *kube.of_kind(manifests, "Job")]:
        for container in workload["spec"]["template"]["spec"]["containers"]:
            limits = container["resources"]
            assert {"cpu", "memory"} <= set(limits["requests"]), workload["metadata"]["name"]
            assert "memory" in limits["limits"], workload["metadata"]["name"]
        assert workload["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
    web = named(manifests, "Deployment", "web")["spec"]["template"]["spec"]["containers"][0]
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    # One Deployment per queue, as tier2 runs them; the migration is a Job of the same image.
    queues = {
        d["spec"]["template"]["metadata"]["labels"].get("milestones/queue")
        for d in kube.of_kind(manifests, "Deployment")
    }
    assert queues - {None} == {"critical", "default", "bulk"}
    assert named(manifests, "Job", "migrate")["spec"]["template"]["spec"]["containers"][0]["args"] == ["prepare"]
    assert named(manifests, "PodDisruptionBudget", "web")["spec"]["minAvailable"] == 1
    web_scaling = named(manifests, "HorizontalPodAutoscaler", "web")["spec"]["metrics"][0]
    assert web_scaling["resource"]["name"] == "cpu"
    workers = named(manifests, "HorizontalPodAutoscaler", "worker-default")["spec"]["metrics"][0]
    assert workers["type"] == "External"
    assert workers["external"]["metric"]["selector"]["matchLabels"] == {"queue": "default"}
    assert named(manifests, "Service", "web")["spec"]["ports"][0]["targetPort"] == "http"


def test_the_tier2_overlay_runs_the_tier_with_its_data_services():
    manifests = kube.render("tier2")
    config = named(manifests, "ConfigMap", "milestones")["data"]
    assert config["TIER"] == "tier2"
    services = {s["metadata"]["name"] for s in kube.of_kind(manifests, "Service")}
    hosts = {
        config[key] for key in ("PG_HOST", "PGBOUNCER_HOST", "REPLICA_PGBOUNCER_HOST", "REPLICA_HOST", "EMAIL_HOST")
    }
    assert hosts <= services, "every host the app is told about is a Service"
    deployments = {d["metadata"]["name"] for d in kube.of_kind(manifests, "Deployment")}
    assert set(DATA + APP) == deployments
    for service in kube.of_kind(manifests, "Service"):
        assert any(kube.selects(service, d) for d in kube.of_kind(manifests, "Deployment")), service["metadata"]


def test_the_tier3_overlay_adds_the_cache_the_object_store_the_media_service_and_a_third_web_replica():
    manifests = kube.render("tier3")
    config = named(manifests, "ConfigMap", "milestones")["data"]
    assert config["TIER"] == "tier3"
    services = {s["metadata"]["name"] for s in kube.of_kind(manifests, "Service")}
    hosts = {config[key].split("//", 1)[1].split(":", 1)[0] for key in ("CACHE_REDIS_URL", "OBJECT_STORE_URL")}
    assert hosts == {"cache", "objects"}
    assert hosts <= services
    assert config["SESSION_REDIS_URL"].startswith("redis://broker:")
    deployments = {d["metadata"]["name"]: d for d in kube.of_kind(manifests, "Deployment")}
    assert set(deployments) == {*DATA, *APP, "cache", "objects", "media"}
    assert deployments["web"]["spec"]["replicas"] == 3
    # The media service: its own image and size, answering on the queue the default worker consumes.
    media = deployments["media"]["spec"]
    assert media["replicas"] == 2
    container = media["template"]["spec"]["containers"][0]
    assert container["image"] == "localhost/milestones-media:latest"
    env = {item["name"]: item.get("value") for item in container["env"]}
    default = deployments["worker-default"]["spec"]["template"]["spec"]["containers"][0]["args"]
    assert default[default.index("--queues") + 1] == env["MEDIA_RESULTS_QUEUE"] == "default"
    cache = deployments["cache"]["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "allkeys-lru" in cache
    assert all(m["metadata"].get("labels", {}).get("milestones/tier") == "tier3" for m in manifests)


SHARDS = ["shard1", "shard2", "pgbouncer-shard1", "pgbouncer-shard2"]


def test_the_tier4_overlay_adds_two_shards_each_behind_its_pgbouncer():
    manifests = kube.render("tier4")
    config = named(manifests, "ConfigMap", "milestones")["data"]
    assert config["TIER"] == "tier4"
    services = {s["metadata"]["name"] for s in kube.of_kind(manifests, "Service")}
    for number in (1, 2):
        assert config[f"SHARD{number}_HOST"] == f"shard{number}"
        assert config[f"SHARD{number}_PGBOUNCER_HOST"] == f"pgbouncer-shard{number}"
        assert {config[f"SHARD{number}_HOST"], config[f"SHARD{number}_PGBOUNCER_HOST"]} <= services
        pooler = named(manifests, "Deployment", f"pgbouncer-shard{number}")["spec"]["template"]["spec"]
        env = {item["name"]: item["value"] for item in pooler["containers"][0]["env"]}
        assert env["TARGET_HOST"] == f"shard{number}"
    deployments = {d["metadata"]["name"] for d in kube.of_kind(manifests, "Deployment")}
    assert deployments == {*DATA, *APP, "cache", "objects", "media", *SHARDS}
    claims = {c["metadata"]["name"] for c in kube.of_kind(manifests, "PersistentVolumeClaim")}
    assert {"shard1-data", "shard2-data"} <= claims
    assert all(m["metadata"].get("labels", {}).get("milestones/tier") == "tier4" for m in manifests)


#: What each played overlay runs, in order: its data services (each waited for by its own
#: readiness probe), the migration Job, then the app's workloads.
PLAYS = {
    "tier2": (DATA, APP),
    "tier3": ([*DATA, "cache", "objects"], [*APP, "media"]),
    "tier4": ([*DATA, "cache", "objects", *SHARDS], [*APP, "media"]),
}


@pytest.mark.parametrize("overlay", sorted(PLAYS))
def test_the_overlay_plays_under_podman_and_serves_an_order(podman, container_env, overlay):
    data, app = PLAYS[overlay]
    manifests = kube.render(overlay)
    replicas = named(manifests, "Deployment", "web")["spec"]["replicas"]
    started = time.monotonic()
    # The images the tier's compose profile builds are the ones its manifests name (layers cached).
    podman.build(ComposeStack(overlay, environ=container_env).images(podman.base_image()))
    with kube.played_overlay(manifests, podman, network="milestones-k8s-test") as kubeplay:
        for name in data:
            kubeplay.deployment(name)
        for played in kubeplay.played[: len(data)]:
            kubeplay.wait_deployment_ready(played, timeout=120)
        migrate = kubeplay.job("migrate")
        assert kubeplay.wait_exited(migrate.containers[0], timeout=240) == 0, kubeplay.log(migrate.containers[0])
        played_app = {name: kubeplay.deployment(name) for name in app}
        web = played_app["web"]
        assert len(web.containers) == replicas, "a pod per replica"
        kubeplay.wait_deployment_ready(web, timeout=180)
        for container in web.containers:
            # The liveness probe, as podman runs it: curl /healthz inside the container.
            assert podman.ok("healthcheck", "run", container)
        for played in played_app.values():
            for container in played.containers:
                state = podman.run("inspect", "--format", "{{.State.Status}}", container).strip()
                assert state == "running", f"{container}: {state}\n{kubeplay.log(container)}"
        mail = next(p for p in kubeplay.played if p.name == "mail").containers[0]
        # As the ingress would: from the cluster network (TRUSTED_PROXIES), for an allowed host, over HTTPS.
        headers = {"Host": "localhost", "X-Forwarded-Proto": "https"}
        base_url = f"http://{kubeplay.address(web.containers[0])}:8000"
        seen = journey.run_api(
            base_url,
            lambda: podman.run("exec", mail, "sh", "-c", "cat /var/mail/milestones/*.eml", check=False),
            headers=headers,
        )
        if overlay in ("tier3", "tier4"):
            _the_tier3_parts_work(kubeplay, played_app, base_url, headers)
        if overlay == "tier4":
            journey.check_shards(seen.order, lambda server, sql: _psql(kubeplay, server, sql), ["shard1", "shard2"])
        took = f"ready in {time.monotonic() - started:.0f}s, email in {seen.email_seconds}s"
        print(f"\nkube play {overlay}: {took}, {seen.steps}")


def _the_tier3_parts_work(kubeplay: kube.KubePlay, app: dict[str, kube.Played], base_url: str, headers) -> None:
    """The anonymous feed is a shared page; the pictures are in the object store, at the address the
    cluster serves them from; the order's invoice is the media service's work."""
    web = app["web"].containers
    feed = httpx.get(f"{base_url}/", headers=headers, timeout=10)
    assert feed.status_code == 200
    assert feed.headers["cache-control"].startswith("public"), feed.headers
    catalogue = httpx.get(f"{base_url}/shop/", headers=headers, timeout=10)
    pictures = re.findall(r'src="(http://objects:8333/media/[^"]+)"', catalogue.text)
    assert pictures, catalogue.text[:1000]
    # Fetched as a pod would (the Service name resolves inside the cluster network only).
    kind = kubeplay.podman.run("exec", web[-1], "curl", "-fsS", "-o", "/dev/null", "-w", "%{content_type}", pictures[0])
    assert kind.startswith("image/"), kind
    media = app["media"].containers
    assert len(media) == 2, media
    deadline = time.monotonic() + 60
    while "(invoice): done" not in (logs := "".join(kubeplay.log(name, lines=500) for name in media)):
        assert time.monotonic() < deadline, logs[-2000:]
        time.sleep(1)


def _psql(kubeplay: kube.KubePlay, deployment: str, sql: str) -> list[str]:
    """``sql`` run in a played PostgreSQL Deployment's container (``db``, ``shard1``, …): its rows."""
    container = next(p for p in kubeplay.played if p.name == deployment).containers[0]
    return kubeplay.podman.run(
        "exec", container, "psql", "-U", "postgres", "-d", "milestones", "-qAt", "-c", sql
    ).split()
