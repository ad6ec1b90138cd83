#!/usr/bin/env bash
# Side-by-side figures for the storage backends, one run, same machine: small PUTs (4 KiB, 16
# connections, each a durable commit) and a 1 GiB PUT and GET, for
#   embedded   one node, SQLite + chunk files
#   pg+s3 x1   one node, PostgreSQL + S3 chunk store (radosgw)
#   pg+s3 x2   two nodes on the same PostgreSQL + bucket, the load spread over both
# PostgreSQL and radosgw come from tests/services/start.sh (started unless STRATA_TEST_* are set).
#   bench/scale-out.sh [SECONDS] [small|big|all]
set -uo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
part=${2:-all}
source tests/services/start.sh
work=$(mktemp -d /tmp/strata-bench.XXXXXX)
pids=()
trap 'kill ${pids[*]} 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; stop_services' EXIT
dotnet build src/Strata.Cli -c Release -nologo -v q >/dev/null && dotnet build bench/Strata.Load -c Release -nologo -v q >/dev/null || exit 1
dll=${STRATA_DLL:-src/Strata.Cli/bin/Release/net10.0/strata.dll}   # STRATA_DLL: measure another build
load() { dotnet bench/Strata.Load/bin/Release/net10.0/Strata.Load.dll "$@"; }

db="strata_bench_$RANDOM$RANDOM"
pg="${STRATA_TEST_PG_URL#postgres://}"; hp="${pg#*@}"
psql -q -h "${hp%:*}" -p "${hp#*:}" -U "${pg%%@*}" -d postgres -c "CREATE DATABASE $db" || exit 1
bucket="${STRATA_TEST_S3#s3://}"; bucket="${bucket%%[/?]*}"; endpoint="${STRATA_TEST_S3#*endpoint=}"
AWS_ACCESS_KEY_ID=$STRATA_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$STRATA_TEST_S3_SECRET_KEY AWS_DEFAULT_REGION=us-east-1 \
  /usr/bin/aws --endpoint-url "$endpoint" s3api create-bucket --bucket "$bucket" >/dev/null 2>&1
export STRATA_CHUNKS_ACCESS_KEY=$STRATA_TEST_S3_ACCESS_KEY STRATA_CHUNKS_SECRET_KEY=$STRATA_TEST_S3_SECRET_KEY
cluster=(--metadata "$STRATA_TEST_PG_URL/$db" --chunks "s3://$bucket/bench-$db?endpoint=$endpoint")

node() { # name port [args]
  local name=$1 port=$2; shift 2
  dotnet "$dll" serve --data-dir "$work/$name" --port "$port" --admin-port "$((port + 1))" --quiet "$@" >"$work/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 150); do [ -f "$work/$name/root-token" ] && curl -s -o /dev/null "http://127.0.0.1:$port/" && return; sleep 0.2; done
  echo "node $name did not start: $(cat "$work/$name.log")"; exit 1
}
node embedded 32600
node a 32610 "${cluster[@]}"
mkdir -p "$work/b" && cp "$work/a/root-token" "$work/b/root-token" # only its hash is in the database
node b 32620 "${cluster[@]}"
tok_e=$(cat "$work/embedded/root-token"); tok_c=$(cat "$work/a/root-token")
E=http://127.0.0.1:32600 A=http://127.0.0.1:32610 B=http://127.0.0.1:32620

echo "== 4 KiB PUT, 16 connections, ${secs} s each, interleaved over 2 rounds"
[ "$part" = big ] || for round in 1 2; do
  load put --endpoint $E --token "$tok_e" --bucket "master.small$round" --size 4096 --connections 16 --seconds "$secs" | sed 's/^/embedded  /'
  load put --endpoint $A --token "$tok_c" --bucket "master.small$round" --size 4096 --connections 16 --seconds "$secs" | sed 's/^/pg+s3 x1  /'
  load put --endpoint $A,$B --token "$tok_c" --bucket "master.smallb$round" --size 4096 --connections 16 --seconds "$secs" | sed 's/^/pg+s3 x2  /'
  load put --endpoint $A,$B --token "$tok_c" --bucket "master.smallc$round" --size 4096 --connections 32 --seconds "$secs" | sed 's/^/pg+s3 x2 (32 conns, 2 branches)  /' &
  other=$!
  load put --endpoint $B,$A --token "$tok_c" --bucket "master.smalld$round" --size 4096 --connections 32 --seconds "$secs" | sed 's/^/pg+s3 x2 (32 conns, 2 branches)  /'
  wait $other
done
[ "$part" = small ] && exit 0
echo "== 1 GiB PUT and GET, one connection"
load put --endpoint $E --token "$tok_e" --bucket master.big --size 1073741824 --connections 1 --count 1 | sed 's/^/embedded  /'
load get --endpoint $E --token "$tok_e" --bucket master.big --connections 1 --count 1 --keys 1 | sed 's/^/embedded  /'
load put --endpoint $A --token "$tok_c" --bucket master.big --size 1073741824 --connections 1 --count 1 | sed 's/^/pg+s3 x1  /'
load get --endpoint $A --token "$tok_c" --bucket master.big --connections 1 --count 1 --keys 1 | sed 's/^/pg+s3 x1  /'
load get --endpoint $B --token "$tok_c" --bucket master.big --connections 1 --count 1 --keys 1 | sed 's/^/pg+s3 x2 (GET on the other node)  /'
