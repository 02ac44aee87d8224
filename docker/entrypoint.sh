#!/bin/sh
# Prepare the database and static files, seed the demo once, then run the command (gunicorn).
set -eu
# On the tier's MIGRATION_DATABASE: from tier2 a direct connection, not the pooler.
database=$(DJANGO_SETTINGS_MODULE="config.settings.${TIER:-tier0}" python -c \
    "import django; django.setup(); from django.conf import settings; print(settings.MIGRATION_DATABASE)")
python manage.py migrate --noinput --database "$database"
python manage.py collectstatic --noinput -v0
if [ "${SEED_DEMO:-1}" = "1" ]; then
    python manage.py seed --demo --if-empty
fi
exec "$@"
