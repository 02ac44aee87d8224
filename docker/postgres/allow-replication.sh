#!/bin/sh
# Primary (tier2): let the replica container stream WAL. The image's POSTGRES_HOST_AUTH_METHOD
# line covers "all" databases, which by PostgreSQL's rules does not match "replication".
set -eu
echo "host replication all all trust" >> "$PGDATA/pg_hba.conf"
