"""tier3's alert rules, checked offline: valid for Prometheus, each unit-tested with
``promtool test rules`` (deploy/monitoring/alerts.test.yml), each with its runbook; and the
Prometheus and Alertmanager configurations the runner writes, valid for promtool and amtool."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import types
from pathlib import Path

import pytest
import yaml

from app.runner.stack import Stack
from app.runner.units.monitoring import ALERT_RULES, Alertmanager, Prometheus, scrape_targets

pytestmark = pytest.mark.tier_independent

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / ALERT_RULES
TESTS = RULES.with_name("alerts.test.yml")
RUNBOOKS = ROOT / "docs" / "runbooks"


def run(*command: str, cwd: Path = ROOT) -> str:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def alerts() -> list[dict]:
    return [rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]]


def test_the_rules_are_valid_and_every_one_passes_its_unit_tests():
    assert "SUCCESS: 14 rules found" in run("promtool", "check", "rules", str(RULES))
    assert "SUCCESS" in run("promtool", "test", "rules", str(TESTS))


def test_every_alert_is_unit_tested_firing_and_quiet():
    tests = yaml.safe_load(TESTS.read_text())["tests"]
    checks = [check for test in tests for check in test["alert_rule_test"]]
    for alert in alerts():
        mine = [check for check in checks if check["alertname"] == alert["alert"]]
        assert any(check["exp_alerts"] for check in mine), f"{alert['alert']}: no test where it fires"
        assert any(not check["exp_alerts"] for check in mine), f"{alert['alert']}: no test where it stays quiet"


def test_every_alert_has_a_runbook_and_every_runbook_an_alert():
    names = {alert["alert"] for alert in alerts()}
    for alert in alerts():
        assert alert["annotations"]["runbook_url"] == f"docs/runbooks/{alert['alert']}.md"
        assert alert["labels"]["severity"] in {"page", "ticket"}
        page = (RUNBOOKS / f"{alert['alert']}.md").read_text()
        assert page.startswith(f"# {alert['alert']}\n"), alert["alert"]
        for part in ("**Means:**", "**Confirm:**", "**Do now:**", "**Do not:**"):
            assert part in page, (alert["alert"], part)
    assert {page.stem for page in RUNBOOKS.glob("*.md")} - {"README"} == names


def test_the_written_configurations_pass_promtool_and_amtool(tmp_path):
    ctx = Stack("tier3").ctx
    prometheus = tmp_path / "prometheus.yml"
    prometheus.write_text(json.dumps(Prometheus().config(ctx)))
    assert "SUCCESS" in run("promtool", "check", "config", str(prometheus))
    manager = tmp_path / "alertmanager.yml"
    manager.write_text(json.dumps(Alertmanager().config(ctx)))
    assert "SUCCESS" in run("amtool", "check-config", str(manager))


def test_patroni_and_etcd_are_scraped_where_a_tier_runs_them(tmp_path):
    """Their own /metrics (the failover rules' series), once a tier's services name them."""
    ctx = Stack("tier4").ctx
    assert "patroni" not in scrape_targets(ctx)
    settings = types.ModuleType("with_failover")
    settings.__dict__.update({name: getattr(ctx.settings, name) for name in dir(ctx.settings) if name.isupper()})
    settings.RUNNER_SERVICES = [*ctx.settings.RUNNER_SERVICES, "etcd", "patroni"]  # type: ignore[attr-defined]
    ctx = dataclasses.replace(ctx, settings=settings)
    jobs = scrape_targets(ctx)
    assert {target["labels"]["instance"] for target in jobs["patroni"]} == {"control-1", "control-2"}
    assert [target["labels"]["instance"] for target in jobs["etcd"]] == ["etcd"]
    addresses = [address for targets in jobs.values() for target in targets for address in target["targets"]]
    assert len(addresses) == len(set(addresses)), "two targets on one port"
    prometheus = tmp_path / "prometheus.yml"
    prometheus.write_text(json.dumps(Prometheus().config(ctx)))
    assert "SUCCESS" in run("promtool", "check", "config", str(prometheus))
