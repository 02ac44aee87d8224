"""The project's runner: starts what a tier needs, in order, waits until each is ready, stops it all.

``make up``, ``make down``, the tests and the benchmarks all go through it, so what a
test proves is what a user runs. It imports no Django: it reads the tier's settings
module for ``RUNNER_SERVICES`` and ``WEB_SERVER`` and passes addresses to every
process through the environment (see ``config/env.py``).

What it runs is a local stack, and it says so: the settings it reads and every process it
starts are in the local environment (``MILESTONES_ENV=local``: plain HTTP allowed, the
development secret key) unless the caller chose another, as the HTTPS tests choose production.
"""

import os

os.environ.setdefault("MILESTONES_ENV", "local")
