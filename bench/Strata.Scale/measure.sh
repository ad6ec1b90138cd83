#!/usr/bin/env bash
# Scale figures over HTTP on a data dir built by Strata.Scale (see docs/performance.md, "Scale"):
#   bench/Strata.Scale/measure.sh DIR [PUTS]
# Starts `strata serve` on DIR (auth off; STRATA_DLL: measure another build), then prints
#   - the median and p10 of 30 warm requests (curl time_total on 127.0.0.1, after 3 warm-ups) for a
#     1,000-key ListObjectsV2 page of master.small and master.big (first page, a page from the middle by
#     start-after and by continuation-token: key 500 of small, 500,000 of big) and for a 1,000-entry ListObjectVersions page of
#     master.hist1k and master.hist100k (first page; from key-marker f0500);
#   - PUT p50/p99 of PUTS (400) 4 KiB objects, 1 connection, into master.small (1k files) and master.big
#     (1M files), interleaved over two rounds (Strata.Load; its keys k/... sort after the generated ones);
#   - PUT p50/p90 of 200 4 KiB objects each at random keys among the generated ones (curl, interleaved).
set -uo pipefail
cd "$(dirname "$0")/../.."
dir=$(realpath "$1"); puts=${2:-400}
port=${PORT:-31600}; admin=$((port + 1)); E=http://127.0.0.1:$port
dotnet build src/Strata.Cli -c Release -nologo -v q >/dev/null && dotnet build bench/Strata.Load -c Release -nologo -v q >/dev/null || exit 1
dll=${STRATA_DLL:-src/Strata.Cli/bin/Release/net10.0/strata.dll}
setsid dotnet "$dll" serve --data-dir "$dir" --no-auth --port $port --admin-port $admin --access-log off </dev/null >/tmp/strata-scale-serve.log 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
for _ in $(seq 1 300); do curl -s -o /dev/null "$E/" && break; sleep 0.2; done
load() { dotnet bench/Strata.Load/bin/Release/net10.0/Strata.Load.dll "$@"; }
stats() { # url: median and p10 of 30 after 3 warm-up requests, in ms
  for _ in 1 2 3; do curl -s -o /dev/null "$1"; done
  for _ in $(seq 1 30); do curl -s -o /dev/null -w '%{time_total}\n' "$1"; done | sort -n |
    awk '{a[NR]=$1} END {printf "median %6.2f ms  p10 %6.2f ms", a[int((NR+1)/2)]*1000, a[int(NR/10)+1]*1000}'
}
count() { curl -s "$1" | grep -o "<$2>" | wc -l; }
token() { printf '%s' "$1" | base64 | tr -d '=' | tr '+/' '-_'; }
echo "== list pages (30 warm requests)"
for b in small big; do
  if [ $b = small ]; then mid=d0000/f0000500; else mid=d0500/f0500000; fi
  for q in "list-type=2" "list-type=2&start-after=${mid/\//%2F}" "list-type=2&continuation-token=$(token $mid)"; do
    printf '%-70s %s (%s keys)\n' "ListObjectsV2 master.$b ?$q" "$(stats "$E/master.$b/?$q")" "$(count "$E/master.$b/?$q" Key)"
  done
done
for h in hist1k hist100k; do
  for q in "versions" "versions&key-marker=f0500"; do
    printf '%-70s %s (%s versions)\n' "ListObjectVersions master.$h ?$q" "$(stats "$E/master.$h/?$q")" "$(count "$E/master.$h/?$q" Version)"
  done
done
echo "== 4 KiB PUT, 1 connection, $puts each, 2 rounds"
for round in 1 2; do
  for b in small big; do
    echo "round $round master.$b: $(load put --endpoint $E --token x --bucket master.$b --size 4096 --connections 1 --count "$puts" 2>&1 | tail -1)"
  done
done
echo "== 4 KiB PUT at random keys among the generated ones (curl time_total, 200 each, interleaved)"
head -c 4096 /dev/urandom >"$dir/put-4k"
for i in $(seq 1 200); do
  r=$(( (RANDOM * 32768 + RANDOM) % 1000000 ))
  printf 'small %s\n' "$(curl -s -o /dev/null -w '%{time_total}' -H 'Expect:' -T "$dir/put-4k" "$E/master.small/$(printf 'd0000/f%07d.r%05d' $((r % 1000)) $i)")"
  printf 'big %s\n' "$(curl -s -o /dev/null -w '%{time_total}' -H 'Expect:' -T "$dir/put-4k" "$E/master.big/$(printf 'd%04d/f%07d.r%05d' $((r / 1000)) $r $i)")"
done | awk '{ n[$1]++; v[$1, n[$1]] = $2 * 1000 } END {
  for (b in n) { m = n[b]; for (i = 1; i <= m; i++) a[i] = v[b, i]
    for (i = 2; i <= m; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
    printf "master.%s: p50 %.2f ms, p90 %.2f ms\n", b, a[int((m + 1) / 2)], a[int(m * 9 / 10)] } }'
rm -f "$dir/put-4k"
kill -0 $pid 2>/dev/null || echo "!! the server is gone: $(tail -3 /tmp/strata-scale-serve.log)"
