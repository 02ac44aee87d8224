#!/bin/sh
# The primary: on the first start, a cluster in $PGDATA (UTF-8, trust on the private network as
# docker/postgres/pg_hba.conf says, which also lets the tier2 replica stream) and the database
# POSTGRES_DB; then PostgreSQL in the foreground, listening on every address.
set -eu
# A fresh volume arrives root-owned: hand it to postgres, then run as postgres (never as root).
if [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA" && chown postgres:postgres "$PGDATA" && chmod 700 "$PGDATA"
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    initdb -D "$PGDATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    cp /etc/milestones/pg_hba.conf "$PGDATA/pg_hba.conf"
    echo "CREATE DATABASE \"${POSTGRES_DB:-milestones}\"" | postgres --single -D "$PGDATA" postgres >/dev/null
fi
exec "$@" -c listen_addresses='*'
