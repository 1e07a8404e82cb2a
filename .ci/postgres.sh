#!/usr/bin/env bash
# Install (Debian packages), start and prepare a local PostgreSQL for the test suite; print its URL.
# Everything goes to stderr except the URL, so callers can do SZWATCH_TEST_PG="$(bash .ci/postgres.sh)".
# The server must not inherit the caller's pipes: a postgres holding the $(…) pipe open makes the
# command substitution wait forever (this hung CI once), and one holding a runner's pipe keeps the
# runner waiting. So whatever may start the server runs through `detached`, which closes every
# descriptor above 2 (Python's subprocess does that by default) and gives it no stdin.
set -euo pipefail
exec 3>&1 1>&2

detached() {
  python3 -c 'import subprocess, sys; sys.exit(subprocess.run(sys.argv[1:], stdin=subprocess.DEVNULL).returncode)' "$@"
}

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  # The package's post-install script may start the server itself, so apt must not hand it our pipes
  # either; its output goes to a log that is shown only when the install fails.
  log=$(mktemp)
  if ! detached bash -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql postgresql-contrib' \
      >"$log" 2>&1; then
    cat "$log"
    exit 1
  fi
fi
version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -q "^$version main$"; then
  pg_createcluster "$version" main >/dev/null
fi
detached pg_ctlcluster "$version" main start >/dev/null 2>&1 || true
for _ in $(seq 1 30); do
  su postgres -c "pg_isready -q" && break
  sleep 1
done
port=$(pg_lsclusters -h | awk -v v="$version" '$1==v && $2=="main" {print $3}')
psql_as_postgres() { su postgres -c "psql -p $port -v ON_ERROR_STOP=1 -tAc \"$1\""; }
if [ "$(psql_as_postgres "SELECT 1 FROM pg_roles WHERE rolname='szwatch'")" != "1" ]; then
  psql_as_postgres "CREATE ROLE szwatch LOGIN SUPERUSER PASSWORD 'szwatch'"
fi
if [ "$(psql_as_postgres "SELECT 1 FROM pg_database WHERE datname='szwatch_test'")" != "1" ]; then
  psql_as_postgres "CREATE DATABASE szwatch_test OWNER szwatch"
fi
echo "postgresql+psycopg://szwatch:szwatch@127.0.0.1:$port/szwatch_test" >&3
