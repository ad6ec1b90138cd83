#!/usr/bin/env bash
# Runs every real-client scenario in clients/scenarios against a fresh Strata (auth on).
# Installs the Debian and npm packages the clients need (as root). Prints one line per step,
# then "N passed, N failed, N skipped" (steps) as its last line. Exit 0 only if nothing failed.
#   clients/run.sh [--cluster] [scenario-name ...]     (default: all)
# --cluster: two nodes, A and B, on one PostgreSQL and one S3 chunk store (STRATA_TEST_PG_URL,
# STRATA_TEST_S3 and its keys, as tests/services/start.sh exports them); objects are written
# through A and checked through B, then every scenario runs against B.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
cd "$root"
cluster=0
if [ "${1:-}" = --cluster ]; then cluster=1; shift; fi

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
servers=()
trap 'kill ${servers[*]} 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
# start_node NAME PORT [ARGS...]: a server with its own data dir; waits until it answers.
start_node() {
  local name=$1 p=$2; shift 2
  dotnet "$dll" serve --data-dir "$work/$name" --port "$p" --admin-port "$((p + 1))" --quiet "$@" > "$work/$name.log" 2>&1 &
  servers+=($!)
  for _ in $(seq 1 150); do
    [ -f "$work/$name/root-token" ] && curl -s -o /dev/null "http://127.0.0.1:$p/" && return 0
    sleep 0.2
  done
  echo "not ok $name: server did not start: $(head -c 600 "$work/$name.log" | tr '\n' ' ')"
  return 1
}

passed=0; failed=0; skipped=0
# Below Linux's ephemeral range (32768 and up): a port chosen there can be taken by any outgoing
# connection meanwhile (a cluster node once failed to start that way).
port=$(( 21000 + RANDOM % 8000 ))
if [ $cluster = 0 ]; then
  start_node data "$port" || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
  token_dir="$work/data"
else
  for v in STRATA_TEST_PG_URL STRATA_TEST_S3 STRATA_TEST_S3_ACCESS_KEY STRATA_TEST_S3_SECRET_KEY; do
    [ -n "${!v:-}" ] || { echo "not ok cluster: $v is not set (tests/services/start.sh sets it)"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
  done
  db="strata_clients_$RANDOM$RANDOM"
  pg="${STRATA_TEST_PG_URL#postgres://}"; pg_host="${pg#*@}"; pg_host="${pg_host%%/*}"
  psql -q -h "${pg_host%:*}" -p "${pg_host#*:}" -U "${pg%%@*}" -d postgres -c "CREATE DATABASE $db" >/dev/null \
    || { echo "not ok cluster: cannot create database $db"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
  s3_bucket="${STRATA_TEST_S3#s3://}"; s3_bucket="${s3_bucket%%[/?]*}"
  s3_endpoint="${STRATA_TEST_S3#*endpoint=}"; s3_endpoint="${s3_endpoint%%&*}"
  AWS_ACCESS_KEY_ID=$STRATA_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$STRATA_TEST_S3_SECRET_KEY AWS_DEFAULT_REGION=us-east-1 \
    /usr/bin/aws --endpoint-url "$s3_endpoint" s3api create-bucket --bucket "$s3_bucket" >/dev/null 2>&1 || true
  export STRATA_CHUNKS_ACCESS_KEY=$STRATA_TEST_S3_ACCESS_KEY STRATA_CHUNKS_SECRET_KEY=$STRATA_TEST_S3_SECRET_KEY
  chunks="s3://$s3_bucket/clients-$db?endpoint=$s3_endpoint"
  # The database keeps only the root token's hash: node B gets node A's root-token file, as an operator would give it.
  start_node node-a "$port" --metadata "$STRATA_TEST_PG_URL/$db" --chunks "$chunks" \
    && mkdir -p "$work/node-b" && cp "$work/node-a/root-token" "$work/node-b/root-token" \
    && start_node node-b "$((port + 2))" --metadata "$STRATA_TEST_PG_URL/$db" --chunks "$chunks" \
    || { echo "0 passed, 1 failed, 0 skipped"; exit 1; }
  token_dir="$work/node-b"
  # Written through A, read through B: the nodes share everything but their ports.
  (
    export AWS_ACCESS_KEY_ID=$(cat "$work/node-a/root-token") AWS_SECRET_ACCESS_KEY=$(cat "$work/node-a/root-token") AWS_DEFAULT_REGION=us-east-1
    a="/usr/bin/aws --endpoint-url http://127.0.0.1:$port" b="/usr/bin/aws --endpoint-url http://127.0.0.1:$((port + 2))"
    head -c 3000000 /dev/urandom > "$work/check.bin"
    $a s3 mb s3://master.cluster-check >/dev/null && $a s3 cp "$work/check.bin" s3://master.cluster-check/check.bin >/dev/null \
      && $b s3 cp s3://master.cluster-check/check.bin "$work/check.out" >/dev/null && cmp -s "$work/check.bin" "$work/check.out" \
      && $b s3 ls s3://master.cluster-check/ | grep -q check.bin && $b s3 rm s3://master.cluster-check/check.bin >/dev/null \
      && ! $a s3api head-object --bucket master.cluster-check --key check.bin >/dev/null 2>&1
  ) >> "$work/cluster-check.log" 2>&1
  if [ $? = 0 ]; then echo "ok cluster: write-on-a-read-on-b"; passed=$((passed+1)); else echo "not ok cluster: write-on-a-read-on-b"; failed=$((failed+1)); fi
  [ "$(cat "$work/node-a/root-token")" = "$(cat "$work/node-b/root-token")" ] \
    && { echo "ok cluster: same-root-token"; passed=$((passed+1)); } || { echo "not ok cluster: same-root-token"; failed=$((failed+1)); }
  port=$((port + 2))
fi

scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=($(ls "$here/scenarios"))
for s in "${scenarios[@]}"; do
  path="$here/scenarios/$s"
  [ -x "$path" ] || path="$(ls "$here/scenarios/$s".* 2>/dev/null | head -1)"
  [ -x "$path" ] || { echo "not ok $s: no such scenario"; failed=$((failed+1)); continue; }
  name=$(basename "$path"); name=${name%.*}
  scratch=$(mktemp -d "$work/$name.XXXX")
  out=$(env -u AWS_CA_BUNDLE STRATA_ENDPOINT="http://127.0.0.1:$port" STRATA_HOST="127.0.0.1:$port" \
        STRATA_TOKEN="$(cat "$token_dir/root-token")" STRATA_BUCKET="master.c-${name//[^A-Za-z0-9]/-}-$RANDOM" \
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
