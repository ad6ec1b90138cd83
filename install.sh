#!/usr/bin/env bash
# Builds the strata command once and puts it on PATH, so that it starts without `dotnet run`:
#   ./install.sh            -> ~/.local/bin/strata   (the program itself in ~/.local/lib/strata)
#   ./install.sh /usr/local -> /usr/local/bin/strata
# Framework-dependent: it runs on this machine's .NET 10 runtime (the SDK that builds it has one).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
prefix="${1:-$HOME/.local}"
mkdir -p "$prefix/bin" "$prefix/lib"
lib="$prefix/lib/strata"
rm -rf "$lib.new"
# Not ReadyToRun: that needs a runtime pack this machine may not reach, and the framework-dependent
# app host already starts in a fraction of a second.
dotnet publish "$here/src/Strata.Cli" -c Release -o "$lib.new" -nologo -v q -p:UseAppHost=true >/dev/null
rm -rf "$lib" && mv "$lib.new" "$lib"
ln -sf "$lib/strata" "$prefix/bin/strata"
echo "installed $("$prefix/bin/strata" --version) as $prefix/bin/strata"
case ":$PATH:" in *":$prefix/bin:"*) ;; *) echo "add $prefix/bin to PATH, e.g.: export PATH=\"$prefix/bin:\$PATH\"" ;; esac
