#!/bin/sh
# Replica (tier2): on first start, a base backup of the primary with a replication slot and
# standby.signal (pg_basebackup -R -C -S), then a hot standby. Runs as the postgres user.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    until pg_isready -h db -U postgres -q; do sleep 1; done
    pg_basebackup -h db -U postgres -D "$PGDATA" -R -C -S milestones_replica -X stream --checkpoint=fast
    chmod 700 "$PGDATA"
fi
exec postgres -c hot_standby_feedback=on -c wal_receiver_status_interval=1s \
    -c shared_preload_libraries=pg_stat_statements
