#!/usr/bin/env bash
# Runs every Strata test: unit tests, the storage contract tests (SQLite, PostgreSQL, files, S3),
# end-to-end tests against real servers (one node, and two nodes on PostgreSQL + radosgw) driven
# by AWSSDK.S3 and the AWS CLI, and the real-client suite. Installs and starts (as root, from
# Debian) what they need: PostgreSQL, Ceph radosgw, the clients, Chromium for the web console tests.
# The last line is "N passed, N failed, N skipped", counted from the test results.
set -uo pipefail
cd "$(dirname "$0")"

# need PROGRAM PACKAGE WHAT: installs the Debian package (as root) when the program is missing.
need() {
  [ -x "$1" ] && return
  if [ "$(id -u)" = 0 ]; then
    echo "installing Debian $2 for $3..."
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2") >/dev/null 2>&1 \
      || echo "warning: could not install $2; $3 will fail"
  else
    echo "warning: $1 (Debian $2) is missing; run as root or install it, or $3 will fail"
  fi
}
need /usr/bin/aws awscli "the AWS CLI tests"
need /usr/bin/chromium chromium "the web console tests"

# PostgreSQL and Ceph radosgw (Debian), for the storage contract tests and the two-node cluster tests.
source tests/services/start.sh
trap stop_services EXIT

results=TestResults
rm -rf "$results"
dotnet test Strata.slnx -c Release --logger "trx" --results-directory "$results" "$@"
status=$?

# Real clients (AWS CLI, s3cmd, rclone, boto3, AWS SDK for JS v3, minio-js, s3fs) against a live
# server on the embedded defaults, then against node B of a two-node cluster (PostgreSQL + radosgw).
clients_log="$results/clients.txt"
mkdir -p "$results"
clients/run.sh | tee "$clients_log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
clients/run.sh --cluster | sed 's/^/cluster /' | tee "$results/clients-cluster.txt"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

python3 - "$results" "$clients_log" "$results/clients-cluster.txt" <<'PY'
import glob, re, sys, xml.etree.ElementTree as ET
p = f = s = 0
files = glob.glob(sys.argv[1] + "/*.trx")
for path in files:
    c = ET.parse(path).getroot().find(".//{*}ResultSummary/{*}Counters")
    p += int(c.get("passed", 0)); f += int(c.get("failed", 0)) + int(c.get("error", 0)) + int(c.get("timeout", 0)) + int(c.get("aborted", 0))
    s += int(c.get("notExecuted", 0))
if not files:
    f += 1
    print("no test results found", file=sys.stderr)
for log in sys.argv[2:]:
    last = open(log).read().strip().splitlines()[-1:] or [""]
    m = re.match(r"(?:cluster )?(\d+) passed, (\d+) failed, (\d+) skipped", last[0])
    if m:
        p += int(m.group(1)); f += int(m.group(2)); s += int(m.group(3))
    else:
        f += 1
        print(f"{log}: the client suite printed no summary", file=sys.stderr)
print(f"{p} passed, {f} failed, {s} skipped")
PY
exit $status
