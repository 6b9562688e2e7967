#!/bin/bash
# xvsadm's editing commands against a running xvsd (XDP plane, generic mode on
# lo, in a private network namespace): -A/-a/-e/-d/-D/-E, -R from stdin, the
# ipvsadm refusals and exit codes, -Ln and -Sn byte for byte, a config-defined
# service combined with the edits; the edits kept across a reload (SIGHUP) and
# a restart, and -C with a reload giving the file's table back.
# Usage: xvsadm_edit_e2e.sh BUILD_DIR
set -euo pipefail

build=$(realpath "$1")
if [ -z "${XVS_EDIT_INNER:-}" ]; then
    exec unshare --net env XVS_EDIT_INNER=1 "$0" "$@"
fi
name=edit$$
work=$(mktemp -d /tmp/xvs-edit.XXXXXX)
xvsd_pid=
cleanup() {
    local rc=$?
    [ -n "$xvsd_pid" ] && kill "$xvsd_pid" 2>/dev/null && wait "$xvsd_pid" 2>/dev/null
    [ $rc -ne 0 ] && cat "$work/xvsd.log" 2>/dev/null
    rm -rf "/sys/fs/bpf/xvs/$name" "$work"
    exit $rc
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
xvsadm() { "$build/src/cli/xvsadm" --instance "$name" "$@"; }

# $1: expected exit code, $2: expected stderr, rest: the command.
expect_refusal() {
    local want_rc=$1 want_err=$2 rc=0 err
    shift 2
    err=$(xvsadm "$@" 2>&1 >/dev/null) || rc=$?
    [ "$rc" == "$want_rc" ] && [ "$err" == "$want_err" ] ||
        fail "xvsadm $*: exit $rc '$err', expected $want_rc '$want_err'"
}
expect_out() {  # $1: expected stdout, rest: command
    local want=$1 got
    shift
    got=$(xvsadm "$@") || fail "xvsadm $* failed"
    [ "$got" == "$want" ] || { printf 'expected:\n%s\ngot:\n%s\n' "$want" "$got"; fail "xvsadm $*"; }
}

ip link set lo up
cat >"$work/xvs.cf" <<CF
logfile="$work/xvsd.log"
cleanstop=yes
interface=lo
xdp-mode=generic
virtual=10.9.0.1:443
	real=10.9.1.1:443 gate 1
	checktype=on
	scheduler=rr
CF
start_xvsd() {
    "$build/src/daemon/xvsd" -f "$work/xvs.cf" --foreground --instance "$name" --dataplane xdp \
        --state-dir "$work/state" >>"$work/xvsd.log" 2>&1 &
    xvsd_pid=$!
    # Loading the program takes seconds on a busy host: wait up to a minute.
    for _ in $(seq 600); do
        xvsadm -Ln >/dev/null 2>&1 && return 0
        kill -0 "$xvsd_pid" 2>/dev/null || fail "xvsd exited at start: $(tail -3 "$work/xvsd.log")"
        sleep 0.1
    done
    fail "xvsd did not answer within 60 s: $(tail -3 "$work/xvsd.log")"
}
start_xvsd

xvsadm -A -t 10.9.0.2:80 -s wrr -p
xvsadm -a -t 10.9.0.2:80 -r 10.9.2.1:8080 -m -w 3
xvsadm -a -t 10.9.0.2:80 -r 10.9.2.2
expect_refusal 255 "Service already exists" -A -t 10.9.0.2:80 -s wrr
expect_refusal 255 "Destination already exists" -a -t 10.9.0.2:80 -r 10.9.2.2
expect_refusal 255 "Service not defined" -a -t 10.9.0.3:80 -r 10.9.2.2
expect_refusal 255 "No such destination" -e -t 10.9.0.2:80 -r 10.9.2.9
expect_refusal 255 "No such service" -D -t 10.9.0.3:80
expect_refusal 2 "Zero port specified for non-persistent service" -A -t 10.9.0.4:0 -s rr
# -A without -s asks for ipvsadm's default, wlc, which the XDP plane runs.
xvsadm -A -t 10.9.0.5:80
xvsadm -Ln | grep -q '^TCP  10.9.0.5:80 wlc$' || fail "-A without -s on XDP: $(xvsadm -Ln | tr '\n' '|')"
xvsadm -D -t 10.9.0.5:80
# lblc keeps state per destination address, which the XDP plane does not:
# refused, nothing added.
rc=0; err=$(xvsadm -A -t 10.9.0.5:80 -s lblc 2>&1) || rc=$?
[ $rc == 255 ] && grep -q "scheduler lblc is not supported by the XDP data plane" <<<"$err" ||
    fail "-A -s lblc on XDP: exit $rc '$err'"

# Edits of the configured service combine with the file's.
xvsadm -e -t 10.9.0.1:443 -r 10.9.1.1 -w 4
xvsadm -E -t 10.9.0.1:443 -s sh

xvsadm -R <<'RULES'
# restored rules: a refused line does not stop the rest
-A -u 10.9.0.6:53 -s rr
-a -u 10.9.0.6:53 -r 10.9.3.1:53 -m -w 1
-a -u 10.9.0.6:53 -r 10.9.3.1:53 -m -w 1
-a -u 10.9.0.6:53 -r 10.9.3.2:5353 -m -w 2
RULES
[ $? == 0 ] || fail "-R"

header='IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn'
expect_out "$header
TCP  10.9.0.1:443 sh
  -> 10.9.1.1:443                 Route   4      0          0         
TCP  10.9.0.2:80 wrr persistent 360
  -> 10.9.2.1:8080                Masq    3      0          0         
  -> 10.9.2.2:80                  Route   1      0          0         
UDP  10.9.0.6:53 rr
  -> 10.9.3.1:53                  Masq    1      0          0         
  -> 10.9.3.2:5353                Masq    2      0          0         " -Ln
saved='-A -t 10.9.0.1:443 -s sh
-a -t 10.9.0.1:443 -r 10.9.1.1:443 -g -w 4
-A -t 10.9.0.2:80 -s wrr -p 360
-a -t 10.9.0.2:80 -r 10.9.2.1:8080 -m -w 3
-a -t 10.9.0.2:80 -r 10.9.2.2:80 -g -w 1
-A -u 10.9.0.6:53 -s rr
-a -u 10.9.0.6:53 -r 10.9.3.1:53 -m -w 1
-a -u 10.9.0.6:53 -r 10.9.3.2:5353 -m -w 2'
expect_out "$saved" -Sn

# -S's output restores the same table after -C.
xvsadm -C
expect_out "$header" -Ln
xvsadm -Sn >/dev/null
xvsadm -R <<<"$saved"
expect_out "$saved" -Sn

xvsadm -d -t 10.9.0.2:80 -r 10.9.2.2:80
xvsadm -D -u 10.9.0.6:53
expect_out '-A -t 10.9.0.1:443 -s sh
-a -t 10.9.0.1:443 -r 10.9.1.1:443 -g -w 4
-A -t 10.9.0.2:80 -s wrr -p 360
-a -t 10.9.0.2:80 -r 10.9.2.1:8080 -m -w 3' -Sn

kept='-A -t 10.9.0.1:443 -s sh
-a -t 10.9.0.1:443 -r 10.9.1.1:443 -g -w 4
-A -t 10.9.0.2:80 -s wrr -p 360
-a -t 10.9.0.2:80 -r 10.9.2.1:8080 -m -w 3'

# --set on the XDP plane: the values in force, 0 keeping one.
expect_out "Timeout (tcp tcpfin udp): 900 120 300" -L --timeout
xvsadm --set 100 0 30
expect_out "Timeout (tcp tcpfin udp): 100 120 30" -L --timeout

# A reload keeps xvsadm's changes, as IPVS keeps its table when ldirectord
# reloads; so does a restart (the table is stored under --state-dir).
kill -HUP "$xvsd_pid"
for _ in $(seq 600); do
    grep -q "reload: xvsadm's changes are kept" "$work/xvsd.log" && break
    sleep 0.1
done
grep -q "reload: xvsadm's changes are kept" "$work/xvsd.log" || fail "no reload after SIGHUP"
expect_out "$kept" -Sn
kill "$xvsd_pid"
wait "$xvsd_pid" || fail "xvsd did not exit cleanly"
start_xvsd
expect_out "$kept" -Sn
expect_out "Timeout (tcp tcpfin udp): 100 120 30" -L --timeout

# -C, then a reload: the file's table alone, and nothing stored any more.
xvsadm -C
kill -HUP "$xvsd_pid"
for _ in $(seq 600); do
    [ "$(xvsadm -Sn)" == "-A -t 10.9.0.1:443 -s rr
-a -t 10.9.0.1:443 -r 10.9.1.1:443 -g -w 1" ] && break
    sleep 0.1
done
expect_out '-A -t 10.9.0.1:443 -s rr
-a -t 10.9.0.1:443 -r 10.9.1.1:443 -g -w 1' -Sn
kill "$xvsd_pid"
wait "$xvsd_pid" || fail "xvsd did not exit cleanly"
xvsd_pid=
# What stays stored is --set's values alone (ipvsadm -C leaves timeouts too):
# a start serves the file's table with them.
start_xvsd
expect_out '-A -t 10.9.0.1:443 -s rr
-a -t 10.9.0.1:443 -r 10.9.1.1:443 -g -w 1' -Sn
expect_out "Timeout (tcp tcpfin udp): 100 120 30" -L --timeout
echo "PASS: xvsadm edits the running xvsd, and the edits are kept"
