#!/bin/sh
# Replica (tier2): on first start, a base backup of the primary (PRIMARY_HOST, default db) with a
# replication slot and standby.signal (pg_basebackup -R -C -S), then a hot standby.
set -eu
# A fresh volume arrives root-owned: hand it to postgres, then run as postgres (never as root).
if [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA" && chown postgres:postgres "$PGDATA" && chmod 700 "$PGDATA"
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi
primary=${PRIMARY_HOST:-db}
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    # The container network's DNS may not know the primary yet, or lose it for a moment: the whole
    # copy is retried (from an empty directory) for a minute before the replica gives up.
    tries=0
    until {
        pg_isready -h "$primary" -U postgres -q &&
        # A slot left by an earlier replica (a recreated volume, a failed backup) would block -C.
        psql -h "$primary" -U postgres -qAt -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'milestones_replica' AND NOT active" >/dev/null &&
        pg_basebackup -h "$primary" -U postgres -D "$PGDATA" -R -C -S milestones_replica -X stream --checkpoint=fast
    }; do
        tries=$((tries + 1))
        [ "$tries" -lt 60 ] || { echo "replica: no base backup from $primary after $tries tries" >&2; exit 1; }
        find "$PGDATA" -mindepth 1 -delete
        sleep 1
    done
    chmod 700 "$PGDATA"
fi
exec postgres -c listen_addresses='*' -c hot_standby_feedback=on -c wal_receiver_status_interval=1s \
    -c shared_preload_libraries=pg_stat_statements
