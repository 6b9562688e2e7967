#!/usr/bin/env bash
# cpack -G DEB in a private directory, then dpkg-deb on the result.
set -euo pipefail
build=$(cd "${1:?usage: deb_test.sh BUILD_DIR}" && pwd)
out=$(mktemp -d "/tmp/xvs-deb-$$-XXXX")
trap 'rm -rf "$out"' EXIT
(cd "$out" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$out" >"$out/cpack.log") ||
    { cat "$out/cpack.log" >&2; exit 1; }
deb=$(ls "$out"/*.deb)
failures=0
contents=$(dpkg-deb -c "$deb")
for f in ./usr/sbin/xvsd ./usr/sbin/xvsadm ./lib/systemd/system/xvsd.service ./etc/xvs/xvs.cf \
    ./usr/share/man/man8/xvsd.8 ./usr/share/man/man8/xvsadm.8 ./usr/share/man/man5/xvs.cf.5; do
    grep -q " $f\$" <<<"$contents" || { echo "FAIL: $f not in $deb" >&2; failures=$((failures + 1)); }
done
depends=$(dpkg-deb -f "$deb" Depends)
for d in libbpf1 libelf1 libnl-3-200 libnl-genl-3-200; do
    grep -qw "$d" <<<"$depends" || { echo "FAIL: Depends lacks $d: $depends" >&2; failures=$((failures + 1)); }
done
[ "$(dpkg-deb -f "$deb" Package)" = xvs ] || { echo "FAIL: package name" >&2; failures=$((failures + 1)); }
[ "$failures" -eq 0 ] || exit 1
echo "deb: $(basename "$deb") holds the expected files"
