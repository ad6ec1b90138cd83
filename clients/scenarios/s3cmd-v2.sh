#!/usr/bin/env bash
# s3cmd with SigV2 (signature_v2 = True) signatures; the steps live in clients/lib/s3cmd-scenario.sh.
exec "$(dirname "$0")/../lib/s3cmd-scenario.sh" v2
