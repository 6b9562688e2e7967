#!/usr/bin/env bash
# Health checks against 1,000 unreachable reals under the default fd limit of
# 1,024 (one-arm DR on the XDP plane, see tools/netns/dr_topology.sh).
#
# The unreachable reals sit behind a route into a namespace that drops what
# it gets: their SYNs vanish, so every one of their checks holds
# its socket until checktimeout. Before xvsd sized its checks in flight from
# the fd limit, they took every fd: the healthy reals went
# "down (cannot create a socket: too many open files)" and accept on the
# control socket ended the daemon.
#
# 1. Both healthy reals come up while the unreachable ones are checked.
# 2. For several check rounds: `xvsadm -Ln` answers every time and lists both
#    healthy reals; 70 idle clients on the control socket (more than its limit)
#    are closed after the idle timeout and leave xvsadm working.
# 3. The log has no "too many open files" and no healthy real going down;
#    xvsd is still running.
#
# Usage: fd_exhaustion.sh BUILD_DIR     (root; non-zero exit on failure)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
netns_dir=$(cd "$here/../../tools/netns" && pwd)
XVS_BUILD=$(cd "${1:?usage: fd_exhaustion.sh BUILD_DIR}" && pwd)
source "$netns_dir/lib.sh"
source "$netns_dir/xvsd.sh"
source "$netns_dir/dr_topology.sh"

p=xf$$
scenario_begin fd-exhaustion

vip=192.168.238.250 dip=192.168.238.130 client=192.168.238.10
real1=192.168.238.129 real2=192.168.238.133
unreachable=1000

netns_log "building the one-arm DR topology ($p*)"
dr_topology_up "$p" "$xdp_pass" "$client" "$dip" "$vip" 24 32 "$real1" "$real2"
netns_httpd "${p}r1" "$real1" 80 "This is web1" "$work/web1"
netns_httpd "${p}r2" "$real2" 80 "This is web2" "$work/web2"
netns_wait_port "${p}r1" "$real1" 80
netns_wait_port "${p}r2" "$real2" 80
# A black hole: 10.250.0.0/16 is routed to namespace ${p}b, which does not
# forward and so drops every SYN without an answer.
netns_add "${p}b"
netns_veth "${p}d" bh0 "${p}b" e0
netns_addr "${p}d" 10.249.0.1/30 bh0
netns_addr "${p}b" 10.249.0.2/30 e0
ip -n "${p}d" route add 10.250.0.0/16 via 10.249.0.2

{
    cat <<CF
interface=e0
dataplane=xdp
logfile="$work/xvsd.log"
checkinterval=2
checktimeout=3
quiescent=no
virtual=$vip:80
    real=$real1:80 gate 1
    real=$real2:80 gate 1
    scheduler=wrr
    protocol=tcp
    checktype=connect
virtual=$vip:8080
CF
    for i in $(seq 0 $((unreachable - 1))); do
        echo "    real=10.250.$((i / 250)).$((i % 250 + 1)):80 gate 1"
    done
    cat <<CF
    scheduler=wrr
    protocol=tcp
    checktype=connect
CF
} >"$work/xvsd.cf"

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
healthy_listed() {  # healthy reals `xvsadm -Ln` lists; fails when xvsd does not answer
    local out
    out=$(xvsadm --instance "$instance" -Ln 2>&1) || { echo "$out" >&2; return 1; }
    awk -v a="$real1:80" -v b="$real2:80" '$1 == "->" && ($2 == a || $2 == b) { n++ } END { print n + 0 }' <<<"$out"
}

# The limit xvsd inherits, soft and hard, as under a unit without LimitNOFILE.
ulimit -n 1024
xvsd_start_or_exit "${p}d" "$work/xvsd.cf" "$instance" "$work/xvsd.log"

netns_log "1. the healthy reals come up"
up=0
for i in $(seq 300); do
    up=$(healthy_listed || echo 0)
    [ "$up" = 2 ] && break
    sleep 0.1
done
[ "$up" = 2 ] || fail "the healthy reals should be up (listed: $up)"

netns_log "2. xvsadm during several check rounds, with 70 idle control clients"
idle_pids=()
for i in $(seq 70); do
    # Connects and sends nothing; ends when xvsd closes the connection.
    timeout 30 perl -MIO::Socket::UNIX -e \
        '$s = IO::Socket::UNIX->new(Peer => $ARGV[0]) or exit 2; 1 while sysread($s, $b, 4096)' \
        "/run/xvs/$instance/control.sock" &
    idle_pids+=($!)
    NETNS_PIDS+=($!)
done
answers=0 refused=0
for i in $(seq 40); do
    if n=$(healthy_listed 2>"$work/xvsadm.err"); then
        answers=$((answers + 1))
        [ "$n" = 2 ] || fail "listing $i shows $n healthy reals"
    elif grep -q "xvsd is busy" "$work/xvsadm.err"; then
        refused=$((refused + 1))  # a clear answer while the idle clients hold the slots
    else
        fail "xvsadm -Ln failed: $(cat "$work/xvsadm.err")"
    fi
    sleep 0.25
done
[ "$answers" -ge 10 ] || fail "only $answers of 40 listings answered ($refused busy)"
closed=0
for pid in "${idle_pids[@]}"; do
    # timeout(1) exits 124 only when xvsd never closed the idle connection.
    rc=0
    wait "$pid" || rc=$?
    [ "$rc" -ne 124 ] && closed=$((closed + 1))
done
[ "$closed" = 70 ] || fail "only $closed of 70 idle control clients were closed"
[ "$(healthy_listed || echo x)" = 2 ] || fail "xvsadm should answer once the idle clients are gone"

netns_log "3. the log"
if grep -i "too many open files" "$work/xvsd.log" >&2; then
    fail "a check or the control socket ran out of fds"
fi
if grep -E "real ($real1|$real2):80 (up|unknown) -> down" "$work/xvsd.log" >&2; then
    fail "a healthy real went down"
fi
grep -q "fd limit 1024: up to 768 health checks in flight" "$work/xvsd.log" ||
    fail "the log should say how many checks the fd limit allows"
kill -0 "$XVSD_PID" 2>/dev/null || fail "xvsd is gone"

if [ "$failures" -ne 0 ]; then
    tail -n 40 "$work/xvsd.log" >&2
    exit 1
fi
netns_log "fd exhaustion: healthy reals stayed up, xvsadm answered ($answers listings, $refused busy)"
