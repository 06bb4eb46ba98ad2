#!/bin/sh
# docker-entrypoint-initdb.d hook for docker-compose.yml: allow logical replication connections
# (pg_hba's "all" database does not match them) with the same password auth as normal ones.
set -eu
echo "host replication all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
