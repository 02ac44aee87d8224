#!/bin/sh
# The app image's entrypoint.
#   prepare  — the one-shot job (compose's `migrate` service, the Kubernetes Job): wait for the
#              database, apply the migrations, seed the demo data once (SEED_DEMO=0 skips it).
#   anything else (gunicorn, a Celery worker, the scheduler, the relay): wait, bounded, until the
#              migrations are applied, then become that command.
set -eu
if [ "${1:-}" = "prepare" ]; then
    python manage.py await_database --migrate
    if [ "${SEED_DEMO:-1}" = "1" ]; then
        python manage.py seed --demo --if-empty
    fi
    exit 0
fi
python manage.py await_database --migrated
exec "$@"
