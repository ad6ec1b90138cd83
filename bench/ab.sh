#!/usr/bin/env bash
# Same-run A/B of two builds on small PUTs: each round starts a fresh server of one build on its
# embedded defaults (--no-auth), warms it up for 3 s, then drives 4 KiB PUTs with wrk (16
# connections) for SECONDS; the builds alternate, so the host's noise falls on both alike. Per run it
# prints PUT/s, the server's CPU per PUT and what it wrote per PUT (from /proc/PID: bytes and write
# calls); at the end the medians and B/A. A revision is anything git understands; each is built
# in a worktree under /var/tmp.
#   bench/ab.sh REV_A REV_B [ROUNDS] [SECONDS]      e.g. bench/ab.sh HEAD~1 HEAD 4 10
# With AB_BACKEND=pg each server is one node on PostgreSQL + S3 chunks (radosgw) instead, a new
# database per run, from tests/services/start.sh; CPU and write figures are then the server's own only.
set -uo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { sed -n 2,8p "$0"; exit 2; }
revs=("$1" "$2"); rounds=${3:-4}; secs=${4:-10}
command -v wrk >/dev/null || { echo "wrk is missing: bench/compare.sh installs it"; exit 1; }
port=30740 admin=30741
curl -s -o /dev/null "http://127.0.0.1:$port/" && { echo "port $port is already in use"; exit 1; }
work=$(mktemp -d /var/tmp/strata-ab.XXXXXX)   # on disk, not tmpfs: fsync must mean something
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; wait 2>/dev/null; for l in A B; do git worktree remove --force "$work/$l" 2>/dev/null; done; rm -rf "$work"; declare -F stop_services >/dev/null && stop_services' EXIT

dlls=()
for i in 0 1; do
  label=$([ $i = 0 ] && echo A || echo B)
  git worktree add -f --detach "$work/$label" "${revs[$i]}" -q || exit 1
  dotnet build "$work/$label/src/Strata.Cli" -c Release -nologo -v q >/dev/null || { echo "build of ${revs[$i]} failed"; exit 1; }
  dlls+=("$work/$label/src/Strata.Cli/bin/Release/net10.0/strata.dll")
done

backend=()
if [ "${AB_BACKEND:-}" = pg ]; then
  source tests/services/start.sh
  pg="${STRATA_TEST_PG_URL#postgres://}"; hp="${pg#*@}"
  bucket="${STRATA_TEST_S3#s3://}"; bucket="${bucket%%[/?]*}"; endpoint="${STRATA_TEST_S3#*endpoint=}"
  AWS_ACCESS_KEY_ID=$STRATA_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$STRATA_TEST_S3_SECRET_KEY AWS_DEFAULT_REGION=us-east-1 \
    /usr/bin/aws --endpoint-url "$endpoint" s3api create-bucket --bucket "$bucket" >/dev/null 2>&1
  export STRATA_CHUNKS_ACCESS_KEY=$STRATA_TEST_S3_ACCESS_KEY STRATA_CHUNKS_SECRET_KEY=$STRATA_TEST_S3_SECRET_KEY
fi
declare -A all
run() { # label dll
  rm -rf "$work/data"
  if [ "${AB_BACKEND:-}" = pg ]; then
    local db="strata_ab_$RANDOM$RANDOM"
    psql -q -h "${hp%:*}" -p "${hp#*:}" -U "${pg%%@*}" -d postgres -c "CREATE DATABASE $db" || exit 1
    backend=(--metadata "$STRATA_TEST_PG_URL/$db" --chunks "s3://$bucket/ab-$db?endpoint=$endpoint")
  fi
  dotnet "$2" serve --data-dir "$work/data" --port $port --admin-port $admin --no-auth --quiet "${backend[@]}" >"$work/log" 2>&1 &
  pid=$!
  for _ in $(seq 150); do curl -s -o /dev/null "http://127.0.0.1:$admin/health" && break; sleep 0.2; done
  curl -s -o /dev/null -X PUT "http://127.0.0.1:$port/master.bench"
  WRK_PREFIX=w wrk -t2 -c16 -d3s -s bench/wrk/put.lua "http://127.0.0.1:$port/master.bench" >/dev/null
  local c0 w0 s0 c1 w1 s1 out n
  c0=$(awk '{print $14+$15}' /proc/$pid/stat); w0=$(awk '/^wchar/{print $2}' /proc/$pid/io); s0=$(awk '/^syscw/{print $2}' /proc/$pid/io)
  out=$(WRK_PREFIX=m wrk -t2 -c16 -d"${secs}s" -s bench/wrk/put.lua "http://127.0.0.1:$port/master.bench")
  c1=$(awk '{print $14+$15}' /proc/$pid/stat); w1=$(awk '/^wchar/{print $2}' /proc/$pid/io); s1=$(awk '/^syscw/{print $2}' /proc/$pid/io)
  kill $pid; wait $pid 2>/dev/null; pid=
  grep -q "non2xx=0" <<<"$out" || { echo "$1: errors: $out"; return; }
  n=$(awk '/requests in/{print $1}' <<<"$out")
  local rate cpu
  rate=$(awk '/Requests\/sec/{print $2}' <<<"$out")
  cpu=$(awk -v c=$((c1 - c0)) -v n="$n" -v t="$(getconf CLK_TCK)" 'BEGIN{printf "%.3f", c * 1000 / t / n}')
  all[$1]="${all[$1]:-} $rate"; all[$1cpu]="${all[$1cpu]:-} $cpu"
  printf "%s  %9s PUT/s  %s CPU-ms/PUT  %6d B written/PUT  %3d write calls/PUT  (load %s)\n" \
    "$1" "$rate" "$cpu" $(((w1 - w0) / n)) $(((s1 - s0) / n)) "$(cut -d' ' -f1 /proc/loadavg)"
}
for r in $(seq "$rounds"); do
  run A "${dlls[0]}"
  run B "${dlls[1]}"
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
ma=$(median <<<"${all[A]:-}"); mb=$(median <<<"${all[B]:-}")
echo "A = ${revs[0]}: median $ma PUT/s, $(median <<<"${all[Acpu]:-}") CPU-ms/PUT"
echo "B = ${revs[1]}: median $mb PUT/s, $(median <<<"${all[Bcpu]:-}") CPU-ms/PUT"
awk -v a="$ma" -v b="$mb" 'BEGIN{ if (a > 0) printf "B/A = %.2f\n", b / a }'
