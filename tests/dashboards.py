"""The Grafana dashboards in ``deploy/monitoring/grafana``, read the way Grafana's provisioning
reads them, for the offline checks (tests/test_dashboards.py) and the live ones
(tests/tier3/test_dashboards.py): both walk the same panels and the same PromQL."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
GRAFANA = ROOT / "deploy" / "monitoring" / "grafana"
DASHBOARDS = GRAFANA / "dashboards"
PROVISIONING = GRAFANA / "provisioning"


@dataclass(frozen=True)
class Query:
    """One target of one panel: what Grafana sends Prometheus to draw it."""

    dashboard: str
    panel_id: int
    panel: str
    ref: str
    expr: str

    @property
    def name(self) -> str:
        """A metric name that says where the query is (promtool's errors name the rule)."""
        return f"{self.dashboard.replace('-', '_')}:panel_{self.panel_id}_{self.ref}"


def dashboards() -> dict[str, dict[str, Any]]:
    """Every dashboard file, by its file name."""
    return {path.name: json.loads(path.read_text()) for path in sorted(DASHBOARDS.glob("*.json"))}


def panels() -> list[tuple[str, dict[str, Any]]]:
    """Every panel, with the uid of the dashboard it is on."""
    return [(board["uid"], panel) for board in dashboards().values() for panel in board["panels"]]


def queries() -> list[Query]:
    return [
        Query(uid, panel["id"], panel["title"], target["refId"], target.get("expr", ""))
        for uid, panel in panels()
        for target in panel["targets"]
    ]


def provisioned(kind: str) -> list[dict[str, Any]]:
    """The entries of every provisioning file of one kind (``datasources``, ``dashboards``)."""
    key = "datasources" if kind == "datasources" else "providers"
    return [
        entry for path in sorted((PROVISIONING / kind).glob("*.yml")) for entry in yaml.safe_load(path.read_text())[key]
    ]


def datasource_uid() -> str:
    [source] = provisioned("datasources")
    return str(source["uid"])
