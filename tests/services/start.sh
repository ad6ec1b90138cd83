#!/usr/bin/env bash
# Sourced by test.sh: starts the distributed backends the storage and cluster tests run against,
# both on loopback and throwaway: PostgreSQL 15 from Debian (trust auth, data in a temp dir) and
# Ceph radosgw from Debian (start-radosgw.sh: one mon, one memstore OSD). Role strata_pw must give
# a password (the wrong-password test); every other role is trusted. Exports
#   STRATA_TEST_POSTGRES          an Npgsql connection string to the server's postgres database
#   STRATA_TEST_PG_URL            the same server as postgres://USER@HOST:PORT (append /DB)
#   STRATA_TEST_S3, STRATA_TEST_S3_ACCESS_KEY, STRATA_TEST_S3_SECRET_KEY
# and registers stop_services for the EXIT trap. Already-set variables are kept (bring your own).
services_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
services_tmp=$(mktemp -d /tmp/strata-services.XXXXXX)
chmod 755 "$services_tmp"   # the postgres user must reach its data directory inside
services_pids=()

start_postgres() {
  local bin port=${STRATA_TEST_PG_PORT:-54329}
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  if [ -z "$bin" ]; then
    echo "installing Debian postgresql for the PostgreSQL tests..." >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >/dev/null 2>&1
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  fi
  [ -n "$bin" ] || { echo "warning: PostgreSQL is not installed; the PostgreSQL tests will fail" >&2; return; }
  local data="$services_tmp/pg"
  mkdir -p "$data"; chown postgres:postgres "$data"; chmod 700 "$data"
  runuser -u postgres -- "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --no-sync >/dev/null \
    && { echo "host all strata_pw 127.0.0.1/32 scram-sha-256"; cat "$data/pg_hba.conf"; } > "$data/hba" \
    && mv "$data/hba" "$data/pg_hba.conf" && chown postgres:postgres "$data/pg_hba.conf" \
    && runuser -u postgres -- "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 30 \
         -o "-p $port -k $data -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=on" start >/dev/null \
    || { echo "warning: PostgreSQL did not start (see $data/server.log)" >&2; return; }
  services_pg="$bin/pg_ctl -D $data"
  export STRATA_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
  export STRATA_TEST_PG_URL="postgres://postgres@127.0.0.1:$port"
}

start_radosgw() {
  local port=${STRATA_TEST_RGW_PORT:-7480} pids
  pids=$(RGW_MEMSTORE_BYTES=$((3 * 1024 * 1024 * 1024)) "$services_dir/start-radosgw.sh" --fresh "$port" "$services_tmp/rgw" 2>"$services_tmp/rgw.log") \
    || { echo "warning: radosgw did not start; the S3 chunk store tests will fail:" >&2; tail -5 "$services_tmp/rgw.log" >&2; return; }
  services_pids+=($pids)
  export STRATA_TEST_S3="s3://strata-test?endpoint=http://127.0.0.1:$port"
  export STRATA_TEST_S3_ACCESS_KEY=s3tests STRATA_TEST_S3_SECRET_KEY=s3tests-secret
}

stop_services() {
  [ -n "${services_pg:-}" ] && runuser -u postgres -- $services_pg -m immediate stop >/dev/null 2>&1
  [ ${#services_pids[@]} -gt 0 ] && kill "${services_pids[@]}" 2>/dev/null
  rm -rf "$services_tmp"
}

[ -n "${STRATA_TEST_POSTGRES:-}" ] || start_postgres
[ -n "${STRATA_TEST_S3:-}" ] || start_radosgw
