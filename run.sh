#!/usr/bin/env bash
# Starts Strata on its embedded defaults: S3 on 127.0.0.1:30600, data in ./strata-data.
# Extra arguments are passed on (e.g. --port 9000 --data-dir /srv/strata); see --help-server.
# The server runs as this script's own process (exec), so SIGTERM reaches it and shuts it down gracefully.
set -euo pipefail
cd "$(dirname "$0")"
exec ./strata serve "$@"
