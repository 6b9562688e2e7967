#!/usr/bin/env bash
# The demo, as root on a fresh Debian 12: installs the dependencies, builds xvs,
# and runs the seed's NAT scenario on the XDP data plane in network namespaces
# (40 clients, fwmark service on ports 80 and 8080, wrr 1:2 with persistence),
# printing each client's answers, `xvsadm -Ln` and the distribution. Everything
# it creates is torn down at the end, also on failure.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" != 0 ]; then
    echo "demo.sh: run as root (namespaces, XDP)" >&2
    exit 1
fi
"$top/tools/build.sh"
exec "$top/tools/netns/seed_nat.sh" "$top/build"
