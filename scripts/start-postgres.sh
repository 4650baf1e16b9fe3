#!/usr/bin/env bash
# Installs (if needed) and starts a local PostgreSQL for the tests, and
# creates the role and database they use. Prints the connection URL.
# Needs root (CI runs as root); idempotent.
# --fresh drops the test database first: a machine that keeps PostgreSQL
# between runs (as CI's can) would otherwise hand the tests what an earlier
# run left in it.
set -euo pipefail
fresh=0
if [ "${1:-}" = "--fresh" ]; then fresh=1; fi
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
version=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | grep -q "^$version main"; then
  pg_createcluster "$version" main >&2
fi
pg_ctlcluster "$version" main start >&2 2>/dev/null || true
for _ in $(seq 1 30); do
  su postgres -c "pg_isready -q" && break
  sleep 1
done
# The test suites run side by side, each application with its own pool: the
# default 100 connections is too few for them (a setting of the test machine only).
if [ "$(su postgres -c "psql -qtAc 'SHOW max_connections'")" -lt 300 ]; then
  su postgres -c "psql -qc 'ALTER SYSTEM SET max_connections = 300'" >&2
  pg_ctlcluster "$version" main restart >&2
  for _ in $(seq 1 30); do
    su postgres -c "pg_isready -q" && break
    sleep 1
  done
fi
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='opendti'\"" | grep -q 1 \
  || su postgres -c "psql -qc \"CREATE ROLE opendti LOGIN PASSWORD 'opendti'\"" >&2
if [ "$fresh" = 1 ]; then su postgres -c "dropdb --if-exists --force opendti_test" >&2; fi
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='opendti_test'\"" | grep -q 1 \
  || su postgres -c "createdb -O opendti opendti_test" >&2
echo "postgres://opendti:opendti@127.0.0.1:5432/opendti_test"
