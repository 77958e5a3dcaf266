#!/usr/bin/env bash
# Starts a local PostgreSQL for the test suite (loopback only) and prints the URL to export:
#   export OSG_TEST_POSTGRES_URL=$(scripts/start-test-postgres.sh)
# Installs Debian's postgresql package when it is missing (needs root, as on CI machines).
set -euo pipefail
password=osg-test
database=osg_test

if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  echo "installing postgresql" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 && apt-get install -y -qq postgresql >&2
fi
version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -q "^$version main$"; then
  pg_createcluster "$version" main >&2
fi
if ! pg_lsclusters -h | awk '$1=="'"$version"'" && $2=="main" {print $4}' | grep -q online; then
  pg_ctlcluster "$version" main start >&2
fi
port=$(pg_lsclusters -h | awk '$1=="'"$version"'" && $2=="main" {print $3}')
for _ in $(seq 1 50); do
  su postgres -c "psql -p $port -qtAc 'SELECT 1'" >/dev/null 2>&1 && break
  sleep 0.2
done
su postgres -c "psql -p $port -qtAc \"ALTER USER postgres PASSWORD '$password'\"" >/dev/null
if ! su postgres -c "psql -p $port -qtAc \"SELECT 1 FROM pg_database WHERE datname = '$database'\"" | grep -q 1; then
  su postgres -c "createdb -p $port $database" >&2
fi
echo "postgres://postgres:$password@127.0.0.1:$port/$database"
