#!/usr/bin/env bash
# Runs every real-client scenario in clients/scenarios against a fresh Strata (auth on).
# Installs the Debian and npm packages the clients need (as root). Prints one line per step,
# then "N passed, N failed, N skipped" (steps) as its last line. Exit 0 only if nothing failed.
#   clients/run.sh [scenario-name ...]     (default: all)
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
cd "$root"

install_packages() {
  local need=()
  [ -x /usr/bin/aws ] || need+=(awscli)
  command -v s3cmd >/dev/null || need+=(s3cmd)
  command -v rclone >/dev/null || need+=(rclone)
  /usr/bin/python3 -c 'import boto3' 2>/dev/null || need+=(python3-boto3)
  command -v s3fs >/dev/null || need+=(s3fs)
  command -v curl >/dev/null || need+=(curl)
  if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
      echo "installing Debian packages: ${need[*]}" >&2
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}") >/dev/null 2>&1 \
        || echo "warning: apt-get install ${need[*]} failed" >&2
    else
      echo "warning: missing ${need[*]} (run as root to install)" >&2
    fi
  fi
  if [ -f "$here/js/package.json" ] && [ ! -d "$here/js/node_modules" ]; then
    (cd "$here/js" && npm ci --no-audit --no-fund --silent) >&2 || echo "warning: npm ci failed" >&2
  fi
}

install_packages

dll="$root/src/Strata.Cli/bin/Release/net10.0/strata.dll"
if [ ! -f "$dll" ]; then
  dotnet build "$root/src/Strata.Cli" -c Release -nologo -v q >&2 || { echo "0 passed, 1 failed"; exit 1; }
fi

work=$(mktemp -d /tmp/strata-clients.XXXXXX)
port=$(( 31000 + RANDOM % 2000 ))
dotnet "$dll" serve --data-dir "$work/data" --port "$port" --admin-port "$((port + 1))" --quiet > "$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
  [ -f "$work/data/root-token" ] && curl -s -o /dev/null "http://127.0.0.1:$port/" && break
  sleep 0.2
done

passed=0; failed=0; skipped=0
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=($(ls "$here/scenarios"))
for s in "${scenarios[@]}"; do
  path="$here/scenarios/$s"
  [ -x "$path" ] || path="$(ls "$here/scenarios/$s".* 2>/dev/null | head -1)"
  [ -x "$path" ] || { echo "not ok $s: no such scenario"; failed=$((failed+1)); continue; }
  name=$(basename "$path"); name=${name%.*}
  scratch=$(mktemp -d "$work/$name.XXXX")
  out=$(env -u AWS_CA_BUNDLE STRATA_ENDPOINT="http://127.0.0.1:$port" STRATA_HOST="127.0.0.1:$port" \
        STRATA_TOKEN="$(cat "$work/data/root-token")" STRATA_BUCKET="master.c-${name//[^A-Za-z0-9]/-}-$RANDOM" \
        SCRATCH="$scratch" HOME="$scratch" timeout 600 "$path" 2>"$scratch/stderr.log")
  code=$?
  steps=0
  while IFS= read -r line; do
    case "$line" in
      "ok "*) echo "ok $name: ${line#ok }"; passed=$((passed+1)); steps=$((steps+1)) ;;
      "not ok "*) echo "not ok $name: ${line#not ok }"; failed=$((failed+1)); steps=$((steps+1)) ;;
      "skip: "*) echo "skip $name: ${line#skip: }"; skipped=$((skipped+1)); steps=$((steps+1)) ;;
    esac
  done <<< "$out"
  if [ $code -ne 0 ] && [ $code -ne 77 ] && ! grep -q "^not ok" <<< "$out"; then
    echo "not ok $name: exited $code without a failing step (stderr: $(tail -c 300 "$scratch/stderr.log" | tr '\n' ' '))"
    failed=$((failed+1))
  elif [ $steps -eq 0 ]; then
    echo "not ok $name: printed no steps"; failed=$((failed+1))
  fi
done
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
