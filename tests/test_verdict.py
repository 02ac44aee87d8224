"""The milestone matrix's judgement of a load (``bench.verdict``): its bounds, and the reason it names."""

from __future__ import annotations

import pytest

from bench.verdict import BREAKS, HOLDS, STRAINS, judge

pytestmark = pytest.mark.tier_independent


@pytest.mark.parametrize(
    ("p95", "errors", "queue_age", "verdict", "reason"),
    [
        (0.2, 0.0, None, HOLDS, ""),
        (0.5, 0.01, 5.0, HOLDS, ""),  # each bound is inclusive
        (0.74, 0.0, 0.0, STRAINS, "p95 740 ms"),
        (1.9, 0.0, 0.0, STRAINS, "p95 1.9 s"),
        (2.4, 0.0, None, BREAKS, "p95 2.4 s"),
        (0.1, 0.07, 0.0, BREAKS, "errors 7.0%"),
        (0.1, 0.0, 40.0, STRAINS, "queue age 40 s"),
        (0.1, 0.0, 61.0, BREAKS, "queue age 61 s"),
        # The worst figure sets the verdict; every figure at that level is named.
        (3.0, 0.55, 10.0, BREAKS, "p95 3.0 s, errors 55%"),
    ],
)
def test_the_worst_figure_sets_the_verdict_and_is_named(p95, errors, queue_age, verdict, reason):
    judged = judge(requests=100, p95_seconds=p95, error_rate=errors, queue_age_seconds=queue_age)
    assert (judged.verdict, judged.reason) == (verdict, reason)


def test_a_load_nothing_answered_breaks():
    assert judge(requests=0, p95_seconds=0, error_rate=0, queue_age_seconds=None).verdict == BREAKS
