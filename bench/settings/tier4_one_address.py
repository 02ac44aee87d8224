"""tier4 with log-ins from one address counted as if from many, as ``tier3_one_address`` does for
tier3 (and for the same reason): ``make bench S=matrix`` runs it; never run it for real."""

from bench.settings.tier3_one_address import counted_as_many
from config.settings.tier4 import *  # noqa: F403

RATE_LIMITS = counted_as_many(RATE_LIMITS)  # noqa: F405
