#!/usr/bin/env bash
# Builds the scale data dir (docs/performance.md, "Scale"): master.small (1,000 files), master.big
# (1,000,000 files, 10,000 per commit), master.hist1k (1,000 commits) and master.hist100k (100,000
# commits), each history commit rewriting one of 1,000 small files.
#   bench/Strata.Scale/generate.sh DIR
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=$1
rm -rf "$dir"
dotnet build bench/Strata.Scale -c Release -nologo -v q >/dev/null
scale() { dotnet bench/Strata.Scale/bin/Release/net10.0/Strata.Scale.dll "$@"; }
scale files "$dir" small 1000
scale files "$dir" big 1000000 10000
scale history "$dir" hist1k 1000
scale history "$dir" hist100k 100000
