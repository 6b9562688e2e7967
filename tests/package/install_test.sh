#!/usr/bin/env bash
# cmake --install into a private DESTDIR, then check every file is in place.
set -euo pipefail
build=${1:?usage: install_test.sh BUILD_DIR}
dest=$(mktemp -d "/tmp/xvs-install-$$-XXXX")
trap 'rm -rf "$dest"' EXIT
DESTDIR="$dest" cmake --install "$build" --prefix /usr >/dev/null
failures=0
for f in usr/sbin/xvsd usr/sbin/xvsadm lib/systemd/system/xvsd.service etc/xvs/xvs.cf \
    usr/share/man/man8/xvsd.8 usr/share/man/man8/xvsadm.8 usr/share/man/man5/xvs.cf.5; do
    [ -s "$dest/$f" ] || { echo "FAIL: $f not installed" >&2; failures=$((failures + 1)); }
done
for f in usr/sbin/xvsd usr/sbin/xvsadm; do
    [ -x "$dest/$f" ] || { echo "FAIL: $f not executable" >&2; failures=$((failures + 1)); }
done
# The installed example config is one the installed daemon accepts.
"$dest/usr/sbin/xvsd" --check -f "$dest/etc/xvs/xvs.cf" >/dev/null ||
    { echo "FAIL: the example config does not validate" >&2; failures=$((failures + 1)); }
grep -q '^ExecStart=/usr/sbin/xvsd ' "$dest/lib/systemd/system/xvsd.service" ||
    { echo "FAIL: the unit does not start /usr/sbin/xvsd" >&2; failures=$((failures + 1)); }
[ "$failures" -eq 0 ] || exit 1
echo "install: all files in place"
