#!/usr/bin/env bash
# Installs, builds and runs every test (unit, BPF, end-to-end, fuzz, vm-test)
# through CTest. Run as root: the BPF and namespace tests need it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/tools/build.sh"
cd "$top/build"
ctest --output-on-failure --timeout 1200 "$@"
