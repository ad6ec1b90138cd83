#!/usr/bin/env bash
# Starts Strata on its embedded defaults: S3 on 127.0.0.1:30600, data in ./strata-data.
# Extra arguments are passed on (e.g. --port 9000 --data-dir /srv/strata); see --help.
set -euo pipefail
cd "$(dirname "$0")"
exec dotnet run --project src/Strata.Cli -c Release -- serve "$@"
