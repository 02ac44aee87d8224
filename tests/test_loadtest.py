"""``make loadtest`` at smoke size: Locust walks every journey of the product on a tier0 stack it
starts itself, writes its HTML and CSV reports, and fails when a threshold is passed. The full
size (more users, longer, tier2 or tier3) is for `make loadtest` by hand before a launch."""

from __future__ import annotations

import pytest

from bench.loadtest.run import main, read_stats

pytestmark = [pytest.mark.stack, pytest.mark.tier_independent]

JOURNEYS = {
    "browse: feed",
    "read: post",
    "comment",
    "shop: catalogue",
    "shop: product",
    "check out",
    "log in",
    "api: token",
    "api: feed",
    "api: products",
}


def test_every_journey_runs_without_an_error_and_the_reports_are_written(tmp_path, capsys):
    assert main(["--tier", "tier0", "--users", "12", "--duration", "25s", "--results", str(tmp_path)]) == 0
    rows = {row.name: row for row in read_stats(tmp_path / "loadtest-tier0")}
    assert set(rows) >= JOURNEYS | {"Aggregated"}, sorted(rows)
    assert all(row.failures == 0 for row in rows.values()), {n: r.failures for n, r in rows.items()}
    assert rows["Aggregated"].requests >= 100
    assert (tmp_path / "loadtest-tier0.html").read_text().startswith("<!")
    assert "passed: p95 within 1000 ms" in capsys.readouterr().out


def test_a_run_past_its_p95_threshold_fails_and_says_why(tmp_path, capsys):
    code = main(
        ["--tier", "tier0", "--users", "2", "--duration", "4s", "--max-p95-ms", "0", "--results", str(tmp_path)]
    )
    assert code == 1
    assert "FAILED: p95" in capsys.readouterr().err


def test_a_request_not_answered_in_time_counts_as_an_error(tmp_path, capsys):
    """Visitors give up: with a timeout shorter than any page takes, every request is an error
    rather than a slow success, and the run fails on its error rate."""
    code = main(
        [
            *("--tier", "tier0", "--users", "2", "--duration", "4s", "--results", str(tmp_path)),
            *("--request-timeout", "0.0001", "--max-p95-ms", "100000"),
        ]
    )
    assert code == 1
    rows = {row.name: row for row in read_stats(tmp_path / "loadtest-tier0")}
    assert rows["Aggregated"].requests > 0
    assert rows["Aggregated"].failures == rows["Aggregated"].requests
    assert "error rate 100.00% is over 1.00%" in capsys.readouterr().err
