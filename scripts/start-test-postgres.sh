#!/usr/bin/env bash
# Starts a local PostgreSQL for the test suite (loopback only) and prints the URL to export:
#   export OSG_TEST_POSTGRES_URL=$(scripts/start-test-postgres.sh)
# Installs Debian's postgresql package when it is missing (needs root, as on CI machines).
# The server also accepts TLS, with a self-signed certificate for localhost and 127.0.0.1 kept
# in its data folder (server.crt, server.key): the sslmode tests connect with it. Idempotent.
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
# TLS: a self-signed certificate in the data folder, made once; ssl on in the cluster's config.
command -v openssl >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >&2; }
data_dir=$(pg_lsclusters -h | awk '$1=="'"$version"'" && $2=="main" {print $6}')
if [ ! -s "$data_dir/server.crt" ] || [ ! -s "$data_dir/server.key" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$data_dir/server.key" -out "$data_dir/server.crt" >/dev/null 2>&1
  chown postgres:postgres "$data_dir/server.crt" "$data_dir/server.key"
  chmod 0600 "$data_dir/server.key"
fi
pg_conftool "$version" main set ssl on >&2
pg_conftool "$version" main set ssl_cert_file "$data_dir/server.crt" >&2
pg_conftool "$version" main set ssl_key_file "$data_dir/server.key" >&2
if ! pg_lsclusters -h | awk '$1=="'"$version"'" && $2=="main" {print $4}' | grep -q online; then
  pg_ctlcluster "$version" main start >&2
fi
port=$(pg_lsclusters -h | awk '$1=="'"$version"'" && $2=="main" {print $3}')
for _ in $(seq 1 50); do
  su postgres -c "psql -p $port -qtAc 'SELECT 1'" >/dev/null 2>&1 && break
  sleep 0.2
done
su postgres -c "psql -p $port -qtAc \"ALTER USER postgres PASSWORD '$password'\"" >/dev/null
# A cluster that was already running picks the TLS settings up on reload.
if [ "$(su postgres -c "psql -p $port -qtAc 'SHOW ssl'")" != "on" ]; then
  su postgres -c "psql -p $port -qtAc 'SELECT pg_reload_conf()'" >/dev/null
  for _ in $(seq 1 50); do
    [ "$(su postgres -c "psql -p $port -qtAc 'SHOW ssl'")" = "on" ] && break
    sleep 0.1
  done
fi
if ! su postgres -c "psql -p $port -qtAc \"SELECT 1 FROM pg_database WHERE datname = '$database'\"" | grep -q 1; then
  su postgres -c "createdb -p $port $database" >&2
fi
echo "postgres://postgres:$password@127.0.0.1:$port/$database"
