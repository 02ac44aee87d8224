#!/bin/sh
# The app image's entrypoint.
#   prepare  — the one-shot job (compose's `migrate` service, the Kubernetes Job): wait for the
#              database, apply the migrations, seed the demo data once (SEED_DEMO=0 skips it).
#   anything else (gunicorn, a Celery worker, the scheduler, the relay): wait, bounded, until the
#              migrations are applied, then become that command.
set -eu
if [ "${1:-}" = "prepare" ]; then
    # While containers are still starting, the network's DNS may miss a name for a moment: a
    # failed attempt is tried again; a real failure fails three times and the job exits non-zero.
    for attempt in 1 2 3; do
        if python manage.py await_database --migrate \
            && { [ "${SEED_DEMO:-1}" != "1" ] || python manage.py seed --demo --if-empty; }; then
            exit 0
        fi
        echo "prepare: attempt $attempt failed; trying again in 3 s" >&2
        sleep 3
    done
    exit 1
fi
python manage.py await_database --migrated
exec "$@"
