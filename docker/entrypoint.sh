#!/bin/sh
# Prepare the database and static files, seed the demo once, then run the command (gunicorn).
set -eu
python manage.py migrate --noinput
python manage.py collectstatic --noinput -v0
if [ "${SEED_DEMO:-1}" = "1" ]; then
    python manage.py seed --demo --if-empty
fi
exec "$@"
