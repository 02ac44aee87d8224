"""deploy/k8s: every kustomization renders and validates against the Kubernetes schemas, the
base declares what a production Deployment needs, and tier2's overlay runs under
``podman kube play`` (app/runner/containers/kube.py says what podman plays and what it cannot)."""

from __future__ import annotations

import copy
import time

import pytest

from app.runner.containers import kube
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


def readyz(kubeplay: kube.KubePlay):
    def probe(container: str) -> bool:
        return kubeplay.podman.ok("exec", container, "curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8000/readyz")

    return probe


def test_the_tier2_overlay_plays_under_podman_and_serves_an_order(podman):
    manifests = kube.render("tier2")
    started = time.monotonic()
    with kube.played_overlay(manifests, podman, network="milestones-k8s-test") as kubeplay:
        for name in DATA:
            kubeplay.deployment(name)
        db = kubeplay.played[0].containers[0]
        kubeplay.wait_ready(db, lambda c: podman.ok("exec", c, "pg_isready", "-q", "-h", "127.0.0.1"), timeout=120)
        migrate = kubeplay.job("migrate")
        assert kubeplay.wait_exited(migrate.containers[0], timeout=240) == 0, kubeplay.log(migrate.containers[0])
        web = None
        for name in APP:
            played = kubeplay.deployment(name)
            web = web or played
        assert web is not None
        assert len(web.containers) == 2, "a pod per replica"
        for container in web.containers:
            kubeplay.wait_ready(container, readyz(kubeplay), timeout=180)
            # The liveness probe, as podman runs it: curl /healthz inside the container.
            assert podman.ok("healthcheck", "run", container)
        for played in kubeplay.played[len(DATA) + 1 :]:
            for container in played.containers:
                state = podman.run("inspect", "--format", "{{.State.Status}}", container).strip()
                assert state == "running", f"{container}: {state}\n{kubeplay.log(container)}"
        mail = next(p for p in kubeplay.played if p.name == "mail").containers[0]
        # As the ingress would: from the cluster network (TRUSTED_PROXIES), for an allowed host, over HTTPS.
        seen = journey.run_api(
            f"http://{kubeplay.address(web.containers[0])}:8000",
            lambda: podman.run("exec", mail, "sh", "-c", "cat /var/mail/milestones/*.eml", check=False),
            headers={"Host": "localhost", "X-Forwarded-Proto": "https"},
        )
        took = f"ready in {time.monotonic() - started:.0f}s, email in {seen.email_seconds}s"
        print(f"\nkube play tier2: {took}, {seen.steps}")
