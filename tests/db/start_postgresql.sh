#!/usr/bin/env bash
# Install (if needed) and start a local PostgreSQL server on 127.0.0.1 for the database tests,
# create the role and database they use, and print the SQLAlchemy URL on stdout:
#
#     export CALIBPIPE_TEST_POSTGRESQL_URL="$(tests/db/start_postgresql.sh)"
#
# Needs root (or sudo) for apt-get and for running commands as the 'postgres' system user.
# Idempotent: re-running it on a machine where the server already runs just prints the URL.
# Environment: PGPORT (default 5432), CALIBPIPE_TEST_PG_USER / _PASSWORD / _DB.
set -euo pipefail

PORT="${PGPORT:-5432}"
USER_NAME="${CALIBPIPE_TEST_PG_USER:-calibpipe}"
PASSWORD="${CALIBPIPE_TEST_PG_PASSWORD:-calibpipe}"
DB_NAME="${CALIBPIPE_TEST_PG_DB:-calibpipe_test}"

log() { echo "start_postgresql: $*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}
as_postgres() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}

if ! command -v pg_lsclusters >/dev/null 2>&1; then
    log "installing the Debian package postgresql"
    as_root apt-get update -qq >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi

# the newest installed major version, and its cluster 'main' (created by the package)
VERSION="$(ls /usr/lib/postgresql | sort -n | tail -1)"
if ! pg_lsclusters --no-header | awk '{print $1, $2}' | grep -qx "$VERSION main"; then
    log "creating cluster $VERSION/main on port $PORT"
    as_root pg_createcluster --port "$PORT" "$VERSION" main >&2
fi
CLUSTER_PORT="$(pg_lsclusters --no-header | awk -v v="$VERSION" '$1 == v && $2 == "main" {print $3}')"
if [ "$CLUSTER_PORT" != "$PORT" ]; then
    log "cluster $VERSION/main listens on port $CLUSTER_PORT (not $PORT): using $CLUSTER_PORT"
    PORT="$CLUSTER_PORT"
fi
if ! pg_lsclusters --no-header | awk -v v="$VERSION" '$1 == v && $2 == "main" {print $4}' \
        | grep -q online; then
    log "starting cluster $VERSION/main (127.0.0.1:$PORT)"
    as_root pg_ctlcluster "$VERSION" main start -o "-c listen_addresses=127.0.0.1" >&2
fi

# wait until it accepts connections
for _ in $(seq 1 60); do
    if as_postgres pg_isready -q -h 127.0.0.1 -p "$PORT"; then break; fi
    sleep 0.5
done
as_postgres pg_isready -q -h 127.0.0.1 -p "$PORT" || { log "server does not answer"; exit 1; }

# role (may create the per-test databases) and database; password authentication over TCP
# (as the superuser 'postgres' over the Unix socket: peer authentication)
as_postgres psql -q -v ON_ERROR_STOP=1 -p "$PORT" -d postgres >&2 <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$USER_NAME') THEN
    CREATE ROLE $USER_NAME LOGIN CREATEDB PASSWORD '$PASSWORD';
  END IF;
END \$\$;
SQL
if ! as_postgres psql -tA -p "$PORT" -d postgres \
        -c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'" | grep -q 1; then
    as_postgres createdb -p "$PORT" -O "$USER_NAME" "$DB_NAME" >&2
fi
log "PostgreSQL $VERSION ready on 127.0.0.1:$PORT, database $DB_NAME, role $USER_NAME"
echo "postgresql+psycopg://$USER_NAME:$PASSWORD@127.0.0.1:$PORT/$DB_NAME"
