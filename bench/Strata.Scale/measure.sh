#!/usr/bin/env bash
# Scale figures over HTTP on a data dir built by Strata.Scale (see docs/performance.md, "Scale"):
#   bench/Strata.Scale/measure.sh DIR [PUT_SECONDS]
# Starts `strata serve` on DIR (auth off), then prints
#   - PUT p50/p99 of 4 KiB objects, 1 connection, into master.small (1k files) and master.big (1M files),
#     interleaved over two rounds;
#   - the median of 20 warm requests (curl time_total on 127.0.0.1) for a 1,000-key ListObjectsV2 page of
#     master.big (first page, a page by start-after and by continuation-token from the middle) and for a
#     1,000-entry ListObjectVersions page of master.hist1k and master.hist100k (first page, and from key f0500).
set -uo pipefail
cd "$(dirname "$0")/../.."
dir=$(realpath "$1"); secs=${2:-10}
port=${PORT:-31600}; admin=$((port + 1)); E=http://127.0.0.1:$port
dotnet build src/Strata.Cli -c Release -nologo -v q >/dev/null && dotnet build bench/Strata.Load -c Release -nologo -v q >/dev/null || exit 1
dotnet src/Strata.Cli/bin/Release/net10.0/strata.dll serve --data-dir "$dir" --no-auth --port $port --admin-port $admin --access-log off >/tmp/strata-scale-serve.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
for _ in $(seq 1 300); do curl -s -o /dev/null "$E/" && break; sleep 0.2; done
load() { dotnet bench/Strata.Load/bin/Release/net10.0/Strata.Load.dll "$@"; }
median() { # url: median of 20 after 3 warm-up requests, in ms
  for _ in 1 2 3; do curl -s -o /dev/null "$1"; done
  for _ in $(seq 1 20); do curl -s -o /dev/null -w '%{time_total}\n' "$1"; done | sort -n | sed -n 10p | awk '{printf "%.2f", $1 * 1000}'
}
check() { curl -s "$1" | grep -o "<$2>" | wc -l; }
mid=$(printf 'd0500/f0500000' | base64 | tr -d '=' | tr '+/' '-_')
echo "== list pages (median of 20, ms)"
for b in small big; do
  echo "ListObjectsV2 $b first page: $(median "$E/master.$b/?list-type=2") ms ($(check "$E/master.$b/?list-type=2" Key) keys)"
  echo "ListObjectsV2 $b start-after d0500/f0500000: $(median "$E/master.$b/?list-type=2&start-after=d0500%2Ff0500000") ms ($(check "$E/master.$b/?list-type=2&start-after=d0500%2Ff0500000" Key) keys)"
  echo "ListObjectsV2 $b continuation-token (same key): $(median "$E/master.$b/?list-type=2&continuation-token=$mid") ms"
  echo "ListObjectsV2 $b delimiter / first page: $(median "$E/master.$b/?list-type=2&delimiter=%2F") ms"
done
for h in hist1k hist100k; do
  echo "ListObjectVersions $h first page: $(median "$E/master.$h/?versions") ms ($(check "$E/master.$h/?versions" Version) versions)"
  echo "ListObjectVersions $h key-marker f0500: $(median "$E/master.$h/?versions&key-marker=f0500") ms ($(check "$E/master.$h/?versions&key-marker=f0500" Version) versions)"
done
echo "== 4 KiB PUT, 1 connection, ${secs} s each, 2 rounds"
for round in 1 2; do
  for b in small big; do
    echo "round $round master.$b: $(load put --endpoint $E --token x --bucket master.$b --size 4096 --connections 1 --seconds "$secs")"
  done
done
