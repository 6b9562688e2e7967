#!/bin/bash
# Reload limits against the real xvsd and xvsadm (XDP plane, generic mode on
# lo, in a private network namespace):
# 1. a 27 MB file of 3,000,000 bad lines: while it parses, xvsadm -Ln answers
#    with the running table; the log gets the first 100 errors, then
#    "... and 2999900 more errors" and the count; the table is unchanged;
# 2. a FIFO, then a symbolic link to /dev/zero as the file: refused at once
#    with what they are, the table unchanged;
# 3. an empty file: refused and logged, the table unchanged;
# 4. the same file with allow-empty=yes: the reload empties the table.
# Usage: reload_limits.sh BUILD_DIR
set -euo pipefail

build=$(realpath "$1")
if [ -z "${XVS_RELOAD_INNER:-}" ]; then
    exec unshare --net env XVS_RELOAD_INNER=1 "$0" "$@"
fi
name=reload$$
work=$(mktemp -d /tmp/xvs-reload-limits.XXXXXX)
cf=$work/xvs.cf
log=$work/xvsd.log
xvsd_pid=
cleanup() {
    local rc=$?
    [ -n "$xvsd_pid" ] && kill "$xvsd_pid" 2>/dev/null && wait "$xvsd_pid" 2>/dev/null
    [ $rc -ne 0 ] && head -c 100000 "$log" 2>/dev/null
    rm -rf "/sys/fs/bpf/xvs/$name" "/run/xvs/$name" "$work"
    exit $rc
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
xvsadm() { "$build/src/cli/xvsadm" --instance "$name" "$@"; }
logged() { grep -qF -- "$1" "$log"; }
# reload_until TEXT: SIGHUP, then wait (up to 60 s) until the log has TEXT.
reload_until() {
    kill -HUP "$xvsd_pid"
    for _ in $(seq 600); do logged "$1" && return 0; sleep 0.1; done
    fail "no '$1' in the log after a reload"
}
expect_table() {  # $1: what -Ln must show, $2: when
    local got
    got=$(xvsadm -Ln) || fail "xvsadm -Ln failed $2"
    [ "$got" == "$1" ] || { printf 'expected:\n%s\ngot:\n%s\n' "$1" "$got"; fail "xvsadm -Ln $2"; }
}

ip link set lo up
cat >"$cf" <<CF
logfile="$log"
interface=lo
xdp-mode=generic
virtual=10.9.0.1:443
	real=10.9.1.1:443 gate 1
	real=10.9.1.2:443 gate 2
	checktype=on
	scheduler=wrr
CF
"$build/src/daemon/xvsd" -f "$cf" --foreground --instance "$name" --dataplane xdp \
    >"$work/xvsd.stderr" 2>&1 &
xvsd_pid=$!
for _ in $(seq 100); do xvsadm -Ln >/dev/null 2>&1 && break; sleep 0.1; done
table=$(xvsadm -Ln)
grep -q "10.9.1.2:443" <<<"$table" || fail "xvsd does not serve the file's virtual: $table"

# 1. A huge bad file. An answer only counts as given during the parse when
# the reload's result was not yet logged once it came back.
awk 'BEGIN { for (i = 0; i < 3000000; i++) print "nonsense" }' >"$cf"
kill -HUP "$xvsd_pid"
during=0
for _ in $(seq 1200); do
    logged "reload: $cf has 3000000 error(s)" && break
    got=$(xvsadm -Ln) || fail "xvsadm -Ln failed while the reload parsed"
    [ "$got" == "$table" ] || fail "the table changed while a bad file parsed: $got"
    logged "reload: $cf has" || during=$((during + 1))
    sleep 0.05
done
logged "reload: $cf has 3000000 error(s)" || fail "the bad file's error count was not logged"
[ "$during" -ge 1 ] || fail "xvsadm got no answer while the reload parsed"
[ "$(grep -c nonsense "$log")" -eq 100 ] || fail "$(grep -c nonsense "$log") error lines logged, not the first 100"
logged "$cf: ... and 2999900 more errors" || fail "no '... and 2999900 more errors' line"
expect_table "$table" "after the bad file"

# 2. Files that are no regular files.
rm "$cf"
mkfifo "$cf"
reload_until "$cf: is a FIFO, not a regular file"
expect_table "$table" "after a FIFO"
rm "$cf"
ln -s /dev/zero "$cf"
reload_until "$cf: is a character device, not a regular file (a symbolic link to /dev/zero)"
expect_table "$table" "after a link to /dev/zero"

# 3. and 4. An empty file is refused; one that says allow-empty=yes empties.
rm "$cf"
: >"$cf"
reload_until "reload refused: $cf has no virtual service and would remove the 1 running service(s)"
expect_table "$table" "after an empty file"
printf 'logfile="%s"\nallow-empty=yes\n' "$log" >"$cf"
reload_until "1 service removed"
xvsadm -Ln | grep -q "10.9.0.1:443" && fail "allow-empty=yes did not empty the table"
echo "PASS: reload limits keep the running table ($during answers during the parse)"
