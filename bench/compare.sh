#!/usr/bin/env bash
# Strata side by side with the limits issue 12 measures it against, on this machine, in one run:
#   MD5 on one core   (an S3 ETag is MD5, so one PUT stream cannot go faster)    -> 1 GiB PUT
#   nginx (Debian)    (static files, sendfile: the GET limit)                     -> 4 KiB GET (16, 64 conns), 1 GiB GET
#   s3rver (npm)      (an S3 server in Node that never fsyncs)                    -> 4 KiB PUT (16 conns, each 200 durable in Strata)
# and Strata's peak RSS during 16 concurrent 1 GiB PUTs. The figures run interleaved for N rounds
# (default 3) and the median of each is printed with its ratio. Strata runs on its embedded defaults
# (SQLite + chunk files) with --no-auth, as the other two have none.
#   bench/compare.sh [ROUNDS] [SECONDS]        (installs nginx, wrk and s3rver if missing; needs root for apt)
set -uo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
secs=${2:-10}
here=$(pwd)
if ! command -v wrk >/dev/null || ! [ -x /usr/sbin/nginx ]; then
  echo "installing wrk and nginx (Debian)..."
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light) >/dev/null 2>&1 || { echo "could not install wrk/nginx"; exit 1; }
fi
if ! [ -x bench/.s3rver/node_modules/.bin/s3rver ]; then
  echo "installing s3rver (npm)..."
  mkdir -p bench/.s3rver && (cd bench/.s3rver && npm install --silent --no-audit --no-fund s3rver@3 >/dev/null 2>&1) || { echo "could not install s3rver"; exit 1; }
fi
dotnet build src/Strata.Cli -c Release -nologo -v q >/dev/null && dotnet build bench/Strata.Load -c Release -nologo -v q >/dev/null || exit 1
dll=${STRATA_DLL:-src/Strata.Cli/bin/Release/net10.0/strata.dll}
load() { dotnet bench/Strata.Load/bin/Release/net10.0/Strata.Load.dll "$@"; }

work=$(mktemp -d /var/tmp/strata-compare.XXXXXX)   # on disk, not tmpfs: fsync must mean something
chmod 755 "$work"                                    # nginx's workers run as another user
pids=()
trap 'kill ${pids[*]} 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
S=http://127.0.0.1:30720 N=http://127.0.0.1:30722 R=http://127.0.0.1:30723

strata() { # data-dir: starts Strata on :30720
  # A server left on the port would answer in its place (and this one would fail to bind).
  if curl -s -o /dev/null "$S/"; then echo "port 30720 is already in use: stop what listens there first"; exit 1; fi
  dotnet "$dll" serve --data-dir "$1" --port 30720 --admin-port 30721 --no-auth --quiet >"$1.log" 2>&1 &
  spid=$!; pids+=($spid)
  for _ in $(seq 150); do curl -s -o /dev/null "$S/" && return; sleep 0.2; done
  echo "strata did not start: $(cat "$1.log")"; exit 1
}
strata "$work/strata"
mkdir -p "$work/www/bench/g" "$work/www/bench/k/000" "$work/nginx"
cat >"$work/nginx/nginx.conf" <<EOF
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off; sendfile on; tcp_nopush on; keepalive_requests 1000000;
  client_body_temp_path $work/nginx; proxy_temp_path $work/nginx; fastcgi_temp_path $work/nginx; uwsgi_temp_path $work/nginx; scgi_temp_path $work/nginx;
  server { listen 127.0.0.1:30722; root $work/www; }
}
EOF
/usr/sbin/nginx -c "$work/nginx/nginx.conf" || exit 1
trap 'kill ${pids[*]} 2>/dev/null; /usr/sbin/nginx -c "$work/nginx/nginx.conf" -s stop 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
mkdir -p "$work/s3rver"
bench/.s3rver/node_modules/.bin/s3rver -d "$work/s3rver" -a 127.0.0.1 -p 30723 --silent >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -s -o /dev/null "$R/" && break; sleep 0.2; done

# The same 1,000 small objects on Strata and nginx, and one 1 GiB object (written by the first PUT round).
echo "preparing 1,000 x 4 KiB objects..."
curl -s -o /dev/null -X PUT "$S/master.bench"; curl -s -o /dev/null -X PUT "$R/bench"
for i in $(seq 0 999); do head -c 4096 /dev/urandom >"$work/www/bench/g/$i"; done
(cd "$work/www/bench/g" && ls | xargs -P 8 -I{} curl -s -o /dev/null -T {} "$S/master.bench/g/{}")

declare -A fig
add() { fig[$1]="${fig[$1]:-} $2"; }
wrk_rate() { # url script conns [prefix] -> requests/s (fails on any non-2xx)
  local out; out=$(WRK_PREFIX=${4:-x} wrk -t2 -c"$3" -d"${secs}s" -s "bench/wrk/$2" "$1")
  grep -q "non2xx=0" <<<"$out" || { echo "wrk $1: errors: $out" >&2; echo 0; return; }
  awk '/Requests\/sec/{print $2}' <<<"$out"
}
mbs() { sed -n 's/.* \([0-9.]*\) MB\/s.*/\1/p'; }
for r in $(seq "$rounds"); do
  echo "round $r of $rounds (load $(cut -d' ' -f1-3 /proc/loadavg))"
  add md5 "$(load md5 --size 2147483648 | mbs)"
  # 1 GiB written through the page cache and fsynced, as chunk files are: context, not the disk's
  # own limit (O_DIRECT writes reach more on some VMs; see docs/performance.md).
  add disk "$(dd if=/dev/zero of="$work/dd" bs=4M count=256 conv=fdatasync 2>&1 | awk '/copied/{for(i=1;i<=NF;i++) if($i ~ /^[0-9.]+$/) v=$i; u=$NF} END{print (u=="GB/s" ? v*1000 : v)}')"
  rm -f "$work/dd"
  add put1g "$(load put --raw --endpoint $S --bucket master.big$r --size 1073741824 --connections 1 --count 1 | mbs)"
  [ "$r" = 1 ] && head -c 1073741824 /dev/urandom >"$work/www/bench/k/000/0000000"
  add get1g_strata "$(load get --raw --endpoint $S --bucket master.big$r --connections 1 --count 1 --keys 1 | mbs)"
  add get1g_nginx "$(load get --raw --endpoint $N --bucket bench --connections 1 --count 1 --keys 1 | mbs)"
  add put4k_strata "$(wrk_rate "$S/master.bench" put.lua 16 "r$r")"
  add put4k_s3rver "$(wrk_rate "$R/bench" put.lua 16 "r$r")"
  for c in 16 64; do
    add get4k${c}_strata "$(wrk_rate "$S/master.bench/g" get.lua $c)"
    add get4k${c}_nginx "$(wrk_rate "$N/bench/g" get.lua $c)"
  done
done

# Peak RSS: a fresh Strata, 16 concurrent 1 GiB PUTs of distinct content.
kill "$spid"; wait "$spid" 2>/dev/null
strata "$work/strata-rss"
load put --raw --endpoint $S --bucket master.rss --size 1073741824 --connections 16 --count 16 >"$work/rss.txt"
rss=$(awk '/VmHWM/{print int($2/1024)}' "/proc/$spid/status")

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
m() { median <<<"${fig[$1]}"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.2f", a/b; else print "n/a" }'; }
echo
echo "Strata vs limits, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, median of $rounds rounds (all rounds in brackets)"
printf "%-28s %12s %12s %7s %s\n" figure strata limit ratio target
row() { printf "%-28s %12s %12s %7s %s   [%s] [%s]\n" "$1" "$(m "$2")" "$(m "$3")" "$(ratio "$(m "$2")" "$(m "$3")")" "$4" "${fig[$2]# }" "${fig[$3]# }"; }
row "1 GiB PUT MB/s vs MD5" put1g md5 ">= 0.8"
row "1 GiB PUT MB/s vs dd" put1g disk "(context: dd 1 GiB via page cache + fdatasync)"
row "4 KiB PUT/s (16) vs s3rver" put4k_strata put4k_s3rver ">= 2"
row "4 KiB GET/s (16) vs nginx" get4k16_strata get4k16_nginx ">= 0.5"
row "4 KiB GET/s (64) vs nginx" get4k64_strata get4k64_nginx ">= 0.5"
row "1 GiB GET MB/s vs nginx" get1g_strata get1g_nginx ">= 0.8"
echo "peak RSS during 16 concurrent 1 GiB PUTs: $rss MiB (target < 300); $(cat "$work/rss.txt")"
echo "host load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
