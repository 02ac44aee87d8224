"""The Grafana dashboards, checked offline: Grafana's JSON model as provisioning loads it, every
query valid PromQL for promtool, every metric of the app's a metric the app defines, the
provisioning where docker-compose.yml mounts it, and every query the README offers for
Prometheus' own UI drawn by a panel (tests/tier3/test_dashboards.py asks a live Prometheus)."""

from __future__ import annotations

import re
import subprocess
from types import SimpleNamespace

import pytest
import yaml
from prometheus_client.metrics import MetricWrapperBase

from config.env import DEFAULT_PORTS
from tests.dashboards import DASHBOARDS, PROVISIONING, ROOT, dashboards, datasource_uid, panels, provisioned, queries
from tests.tier3.test_metrics import readme_queries

pytestmark = pytest.mark.tier_independent

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
GRID_COLUMNS = 24
#: The series each kind of metric is exposed as (prometheus-client's naming).
SERIES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}


def test_each_dashboard_is_grafana_json_with_its_own_uid_and_title():
    boards = dashboards()
    assert set(boards) == {"overview.json", "data-services.json"}
    for name, board in boards.items():
        assert board["schemaVersion"] == 39, name
        assert board["id"] is None, f"{name}: provisioning assigns the database id"
        assert re.fullmatch(r"[a-z0-9-]{1,40}", board["uid"]), name
        assert board["panels"], name
    assert len({b["uid"] for b in boards.values()}) == len(boards)
    assert len({b["title"] for b in boards.values()}) == len(boards)


@pytest.mark.parametrize("name", sorted(dashboards()))
def test_panels_have_unique_ids_and_tile_the_24_column_grid_without_overlap(name):
    board = dashboards()[name]
    ids = [panel["id"] for panel in board["panels"]]
    assert len(set(ids)) == len(ids), f"{name}: panel ids repeat"
    taken: dict[tuple[int, int], str] = {}
    for panel in board["panels"]:
        assert panel["type"] in {"timeseries", "stat"}, panel["title"]
        grid = panel["gridPos"]
        assert all(isinstance(grid[k], int) for k in ("x", "y", "w", "h")), panel["title"]
        assert min(grid["x"], grid["y"]) >= 0, panel["title"]
        assert min(grid["w"], grid["h"]) > 0, panel["title"]
        assert grid["x"] + grid["w"] <= GRID_COLUMNS, f"{panel['title']} runs past column {GRID_COLUMNS}"
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                assert (x, y) not in taken, f"{panel['title']} overlaps {taken[(x, y)]}"
                taken[(x, y)] = panel["title"]


def test_every_panel_reads_the_provisioned_datasource_and_every_target_has_a_query():
    uid = datasource_uid()
    for board, panel in panels():
        where = f"{board}: {panel['title']}"
        assert panel["datasource"] == {"type": "prometheus", "uid": uid}, where
        assert panel["targets"], where
        refs = [target["refId"] for target in panel["targets"]]
        assert len(set(refs)) == len(refs), where
        for target in panel["targets"]:
            assert target["datasource"] == panel["datasource"], where
            assert target.get("expr", "").strip(), f"{where} {target['refId']}: no expr"


def test_every_query_parses_as_promql(tmp_path):
    """promtool has no command for a lone expression: each goes in as a recording rule."""
    rules = [{"record": query.name, "expr": query.expr} for query in queries()]
    path = tmp_path / "dashboards.rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    done = subprocess.run(
        ["promtool", "check", "rules", str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(rules)} rules found" in done.stdout


def defined_series(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """Every series the app can expose: its counted metrics, and what the backlog collector
    yields when the broker and the outbox answer (stand-ins here: no servers in this pass)."""
    from app.platform.telemetry import metrics
    from app.platform.telemetry.backlog import BacklogCollector

    names = {
        family.name + suffix
        for metric in vars(metrics).values()
        if isinstance(metric, MetricWrapperBase)
        for family in metric.describe()
        for suffix in SERIES[family.type]
    }
    queue = SimpleNamespace(queue="default", depth=0, oldest_age_seconds=0.0, backing_up=False)
    monkeypatch.setattr("app.platform.jobs.queues.queue_depths", lambda: [queue])
    monkeypatch.setattr(
        "app.platform.jobs.outbox.backlog",
        lambda: SimpleNamespace(unsent=0, oldest_unsent_age_seconds=0.0, overdue=0),
    )
    names |= {sample.name for family in BacklogCollector().collect() for sample in family.samples}
    assert "milestones_queue_depth" in names, "the backlog collector ran on the stand-ins"
    return names


def test_every_metric_of_the_apps_a_panel_names_is_one_the_app_defines(monkeypatch):
    defined = defined_series(monkeypatch)
    named = {(name, q.panel) for q in queries() for name in re.findall(r"\bmilestones_[a-z_]+", q.expr)}
    assert named
    unknown = sorted(f"{name} (in {panel!r})" for name, panel in named if name not in defined)
    assert not unknown, f"not defined in app/platform/telemetry: {unknown}"


def test_the_provisioning_is_where_the_compose_service_mounts_it():
    grafana = COMPOSE["services"]["grafana"]
    # Its own profile: the tiers' profiles run under podman with no registry to pull it from.
    assert grafana["profiles"] == ["dashboards"]
    assert re.fullmatch(r"docker\.io/grafana/grafana-oss:\d+\.\d+\.\d+", grafana["image"]), "a pinned version"
    mounts = {}
    for volume in grafana["volumes"]:
        source, target, *mode = volume.split(":")
        mounts[source] = (target, mode)
    # Compose spells a source in the checkout "./<path>".
    assert mounts[f"./{PROVISIONING.relative_to(ROOT)}"] == ("/etc/grafana/provisioning", ["ro"])
    dashboards_target, mode = mounts[f"./{DASHBOARDS.relative_to(ROOT)}"]
    assert mode == ["ro"]
    [provider] = provisioned("dashboards")
    assert provider["type"] == "file"
    assert provider["options"]["path"] == dashboards_target
    home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home.startswith(dashboards_target + "/")
    assert (DASHBOARDS / home.rsplit("/", 1)[1]).exists()
    # The datasource reads the runner's Prometheus, on the port the runner gives it by default.
    [source] = provisioned("datasources")
    assert source["url"] == "${PROMETHEUS_URL}"
    port = DEFAULT_PORTS["PROMETHEUS_PORT"]
    assert grafana["environment"]["PROMETHEUS_URL"] == f"http://127.0.0.1:${{PROMETHEUS_PORT:-{port}}}"
    assert grafana["network_mode"] == "host", "the runner's Prometheus listens on 127.0.0.1"


def test_every_query_the_readme_offers_for_prometheus_ui_is_drawn_by_a_panel():
    drawn = {q.expr for q in queries()}
    missing = [query for query in readme_queries() if query not in drawn]
    assert not missing, f"README queries no dashboard panel draws: {missing}"
