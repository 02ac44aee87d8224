"""tier3 with log-ins from one address counted as if from many: what a load test needs.

Every simulated user of a load test comes from 127.0.0.1, so ``login-address`` (30 log-ins in five
minutes from one address) would refuse the signed-in visitors of a ladder of loads after its
first rungs, and measure the limiter instead of the tier. The rest of the limits are kept (they
count per user or per token, as for real visitors). ``make bench S=matrix`` runs it; never run it
for real.
"""

from typing import Any

from config.settings.tier3 import *  # noqa: F403


def counted_as_many(limits: dict[str, Any]) -> dict[str, Any]:
    """The tier's limits with log-ins per address lifted; the rest kept."""
    return {**limits, "login-address": {**limits["login-address"], "count": 100_000}}


RATE_LIMITS = counted_as_many(RATE_LIMITS)  # noqa: F405
