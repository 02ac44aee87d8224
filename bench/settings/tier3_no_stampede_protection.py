"""tier3 with the application cache's stampede protection off: every request that finds an entry
stale or missing recomputes it. The baseline ``make bench S=stampede`` counts recomputes against;
never run it for real.
"""

from config.settings.tier3 import *  # noqa: F403

APP_CACHE_OPTIONS = {**APP_CACHE_OPTIONS, "STAMPEDE_PROTECTION": False}  # noqa: F405
