#!/usr/bin/env bash
# Runs every Strata test: unit tests and end-to-end tests against a real server driven by
# AWSSDK.S3 and the AWS CLI. Installs the Debian packages the client tests need when missing.
# The last line is "N passed, N failed, N skipped", counted from the test results.
set -uo pipefail
cd "$(dirname "$0")"

if ! [ -x /usr/bin/aws ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing Debian awscli for the client tests..."
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq awscli) >/dev/null 2>&1 \
      || echo "warning: could not install awscli; the AWS CLI tests will fail"
  else
    echo "warning: /usr/bin/aws (Debian awscli) is missing; run as root or install it, or the AWS CLI tests will fail"
  fi
fi

results=TestResults
rm -rf "$results"
dotnet test Strata.slnx -c Release --logger "trx" --results-directory "$results" "$@"
status=$?

# Real clients (AWS CLI, s3cmd, rclone, boto3, AWS SDK for JS v3, minio-js, s3fs) against a live server.
clients_log="$results/clients.txt"
mkdir -p "$results"
clients/run.sh | tee "$clients_log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

python3 - "$results" "$clients_log" <<'PY'
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
last = open(sys.argv[2]).read().strip().splitlines()[-1:] or [""]
m = re.match(r"(\d+) passed, (\d+) failed, (\d+) skipped", last[0])
if m:
    p += int(m.group(1)); f += int(m.group(2)); s += int(m.group(3))
else:
    f += 1
    print("client suite printed no summary", file=sys.stderr)
print(f"{p} passed, {f} failed, {s} skipped")
PY
exit $status
