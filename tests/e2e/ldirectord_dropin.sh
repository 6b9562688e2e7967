#!/bin/bash
# The unmodified Debian ldirectord drives xvsd through xvsadm named ipvsadm.
#
# ldirectord runs /sbin/ipvsadm or /usr/sbin/ipvsadm. In a private mount and
# network namespace (the host's /usr/sbin and /run are never touched) a
# wrapper that execs `xvsadm --instance NAME` is bind-mounted over
# /usr/sbin/ipvsadm and a tmpfs over /run (ldirectord's pid file, xvsd's run
# directory). xvsd serves with the XDP plane in generic mode on lo and a
# configuration without virtual services: everything comes from ldirectord.
# Checks: ldirectord's start adds the virtual and its reals (checktype=on), a
# reload of its file edits a weight, removes a real and adds one, its stop
# removes everything; every listing is compared byte for byte; ldirectord
# finds nothing in xvsadm's output it cannot parse and no ipvsadm call fails.
# Usage: ldirectord_dropin.sh BUILD_DIR
set -euo pipefail

build=$(realpath "$1")
if [ -z "${XVS_LDIRECTORD_INNER:-}" ]; then
    exec unshare --mount --net --propagation private \
        env XVS_LDIRECTORD_INNER=1 "$0" "$@"
fi

xvsd=$build/src/daemon/xvsd
xvsadm=$build/src/cli/xvsadm
name=ldd$$
work=$(mktemp -d /tmp/xvs-ldirectord.XXXXXX)
xvsd_pid= ld_pid=

cleanup() {
    local rc=$?
    [ -n "$ld_pid" ] && kill "$ld_pid" 2>/dev/null && wait "$ld_pid" 2>/dev/null
    [ -n "$xvsd_pid" ] && kill "$xvsd_pid" 2>/dev/null && wait "$xvsd_pid" 2>/dev/null
    if [ $rc -ne 0 ] || [ -n "${XVS_TEST_VERBOSE:-}" ]; then
        echo "--- ldirectord output"; cat "$work/ldirectord.out" 2>/dev/null || true
        echo "--- xvsd log"; cat "$work/xvsd.log" 2>/dev/null || true
    fi
    rm -rf "/sys/fs/bpf/xvs/$name" "$work"
    exit $rc
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

ip link set lo up
mount -t tmpfs xvs-ldirectord-run /run
printf '#!/bin/sh\nexec %s --instance %s "$@"\n' "$xvsadm" "$name" >"$work/ipvsadm"
chmod +x "$work/ipvsadm"
mount --bind "$work/ipvsadm" /usr/sbin/ipvsadm

cat >"$work/xvs.cf" <<CF
logfile="$work/xvsd.log"
cleanstop=yes
interface=lo
xdp-mode=generic
CF
"$xvsd" -f "$work/xvs.cf" --foreground --instance "$name" --dataplane xdp --state-dir "$work/state" \
    >>"$work/xvsd.log" 2>&1 &
xvsd_pid=$!
for _ in $(seq 100); do "$xvsadm" --instance "$name" -Ln >/dev/null 2>&1 && break; sleep 0.1; done

ld_config() {  # $1: the reals' lines
    cat >"$work/ld-$name.cf" <<CF
checktimeout=2
checkinterval=1
autoreload=no
quiescent=no
logfile="$work/ldirectord.log"
virtual=10.200.0.1:80
$1
	checktype=on
	scheduler=wrr
	protocol=tcp
CF
}

header='IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn'

# Waits until `ipvsadm ${3:--Ln}` (through the wrapper) prints exactly $1.
# ldirectord removes and re-adds a real it has just added (its first check
# cycle), so one sample can catch a passing state: always wait for the text.
expect_listing() {
    local got
    for _ in $(seq 150); do
        got=$(/usr/sbin/ipvsadm "${3:--Ln}")
        [ "$got" == "$1" ] && return 0
        sleep 0.1
    done
    printf 'expected:\n%s\ngot:\n%s\n' "$1" "$got" >&2
    fail "$2"
}

ld_config "	real=10.200.1.1:80 gate
	real=10.200.1.2:80 gate 2"
ldirectord -d "$work/ld-$name.cf" start >"$work/ldirectord.out" 2>&1 &
ld_pid=$!
expect_listing "$header
TCP  10.200.0.1:80 wrr
  -> 10.200.1.1:80                Route   1      0          0         
  -> 10.200.1.2:80                Route   2      0          0         " \
    "ldirectord's start did not reach xvsd"

ld_config "	real=10.200.1.2:80 gate 5
	real=10.200.1.3:80 gate 3"
kill -HUP "$ld_pid"
expect_listing "$header
TCP  10.200.0.1:80 wrr
  -> 10.200.1.2:80                Route   5      0          0         
  -> 10.200.1.3:80                Route   3      0          0         " \
    "ldirectord's reload (edit, remove, add) did not reach xvsd"

# The same table as ipvsadm -S would save it, and served by the XDP plane.
expect_listing "-A -t 10.200.0.1:80 -s wrr
-a -t 10.200.0.1:80 -r 10.200.1.2:80 -g -w 5
-a -t 10.200.0.1:80 -r 10.200.1.3:80 -g -w 3" "-Sn after the reload" -Sn
grep -q "with the xdp data plane" "$work/xvsd.log" || fail "xvsd is not serving with XDP"
grep -q "xvsadm edit-real: 1 real changed" "$work/xvsd.log" || fail "no edit reached xvsd"
grep -q "xvsadm delete-real: 1 real removed" "$work/xvsd.log" || fail "no removal reached xvsd"

kill -TERM "$ld_pid"
wait "$ld_pid" || true
ld_pid=
expect_listing "$header" "ldirectord's stop did not remove its virtual"

# With -d ldirectord logs to stdout; the logfile exists only when it wrote there too.
logs=$(cat "$work/ldirectord.out" "$work/ldirectord.log" 2>/dev/null || true)
if grep "Unknown line read from ipvsadm\|doesn't seem to be inside\|) failed:" <<<"$logs"; then
    fail "ldirectord could not read or run xvsadm as ipvsadm"
fi
grep -q "Added virtual server: 10.200.0.1:80" <<<"$logs" || fail "ldirectord logged no start"
grep -q "Running system([/a-z]*/ipvsadm -e " <<<"$logs" || fail "ldirectord never edited a real"
echo "PASS: ldirectord drives xvsd through xvsadm"
