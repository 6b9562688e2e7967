#!/usr/bin/env bash
# supervised=yes and execute= on the real xvsd (one-arm DR on the XDP plane,
# see tools/netns/dr_topology.sh).
#
# 1. xvsd starts WITHOUT --foreground on a file with supervised=yes and
#    logfile=: it must stay in the foreground (the process started here is
#    the one that serves), write its log to stdout, and never create the
#    logfile. A client gets the real's page through the VIP.
# 2. The same file has execute=CHILD.cf: a second instance (named after the
#    file) comes up on its own control socket with CHILD.cf's virtual.
# 3. CHILD.cf gains a real and the parent gets SIGHUP: the child reloads (its
#    table lists the new real).
# 4. The parent gets SIGTERM: the child stops too.
#
# Usage: supervised_execute.sh BUILD_DIR     (root; non-zero exit on failure)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
netns_dir=$(cd "$here/../../tools/netns" && pwd)
XVS_BUILD=$(cd "${1:?usage: supervised_execute.sh BUILD_DIR}" && pwd)
source "$netns_dir/lib.sh"
source "$netns_dir/xvsd.sh"
source "$netns_dir/dr_topology.sh"

p=xu$$
scenario_begin supervised
child=$instance-child
# stop_by_pid_file INSTANCE: the execute= child, or a parent that went to the
# background after all, is this test's too: stopped by the pid its own pid
# file names, and only if that process is an xvsd.
stop_by_pid_file() {
    local pid
    pid=$(cat "/run/xvs/$1/xvsd.pid" 2>/dev/null || true)
    [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = xvsd ] && kill -TERM "$pid" 2>/dev/null
    rm -rf "/run/xvs/$1" "/sys/fs/bpf/xvs/$1"
}
trap 'stop_by_pid_file "$instance"; stop_by_pid_file "$child"; scenario_end' EXIT

vip=192.168.239.250 dip=192.168.239.130 client=192.168.239.10
real1=192.168.239.129 real2=192.168.239.133
child_vip=10.99.0.1

netns_log "building the one-arm DR topology ($p*)"
dr_topology_up "$p" "$xdp_pass" "$client" "$dip" "$vip" 24 32 "$real1" "$real2"
mkdir -p "$work/web1"
echo "This is web1" >"$work/web1/index.html"
netns_bg "${p}r1" busybox httpd -f -p 80 -h "$work/web1"
netns_wait_port "${p}r1" "$real1" 80
# The child serves a virtual on a device of its own (a veth pair inside the
# director): one XDP program per interface, and e0 is the parent's.
ip -n "${p}d" link add d0 type veth peer name d1
ip -n "${p}d" link set d0 up
ip -n "${p}d" link set d1 up

cat >"$work/$child.cf" <<CF
interface=d0
xdp-mode=generic
dataplane=xdp
virtual=$child_vip:80
    real=$real2:80 gate 1
    checktype=on
    scheduler=wrr
    protocol=tcp
CF
cat >"$work/xvsd.cf" <<CF
supervised=yes
interface=e0
dataplane=xdp
logfile="$work/xvsd.log"
execute=$work/$child.cf
checkinterval=1
checktimeout=1
virtual=$vip:80
    real=$real1:80 gate 1
    checktype=connect
    scheduler=wrr
    protocol=tcp
CF

# Not xvsd_start: that passes --foreground, which is what supervised=yes must
# give by itself.
XVSD_INSTANCE=$instance
nsenter --net="/run/netns/${p}d" -- "$XVS_BUILD/src/daemon/xvsd" -f "$work/xvsd.cf" \
    --instance "$instance" >"$work/stdout" 2>"$work/stderr" &
XVSD_PID=$!
NETNS_PIDS+=("$XVSD_PID")

answered=0
for _ in $(seq 600); do
    if xvsadm --instance "$instance" -Ln >/dev/null 2>&1; then answered=1; break; fi
    kill -0 "$XVSD_PID" 2>/dev/null || break
    sleep 0.1
done
[ "$answered" = 1 ] || { cat "$work/stdout" "$work/stderr" >&2; fail "xvsd did not come up"; }
kill -0 "$XVSD_PID" 2>/dev/null || fail "the process started is gone: supervised=yes did not keep it in the foreground"
[ "$(cat "/run/xvs/$instance/xvsd.pid" 2>/dev/null)" = "$XVSD_PID" ] ||
    fail "the serving xvsd is not the process started (pid file: $(cat "/run/xvs/$instance/xvsd.pid" 2>/dev/null))"
grep -q 'supervised=yes: in the foreground' "$work/stdout" ||
    fail "stdout lacks the supervised=yes line: $(head -c 2000 "$work/stdout")"

# The client reaches the real through the VIP once its check passed.
page=
for _ in $(seq 100); do
    page=$(ip netns exec "${p}c" curl -s --max-time 2 "http://$vip/" || true)
    [ "$page" = "This is web1" ] && break
    sleep 0.1
done
[ "$page" = "This is web1" ] || fail "no page through the VIP (got: $page)"
grep -q "$real1" "$work/stdout" || fail "stdout has no line about the real's check"

# 2. The execute= instance.
listing=
for _ in $(seq 300); do
    listing=$(xvsadm --instance "$child" -Ln 2>/dev/null || true)
    grep -q "$real2:80" <<<"$listing" && break
    sleep 0.1
done
grep -q "$child_vip:80" <<<"$listing" && grep -q "$real2:80" <<<"$listing" ||
    fail "the execute= instance $child does not list its virtual: $listing"

# 3. A reload of the parent reloads the child.
sed -i "s|^    real=$real2:80 gate 1|&\n    real=$real1:80 gate 2|" "$work/$child.cf"
kill -HUP "$XVSD_PID"
for _ in $(seq 300); do
    listing=$(xvsadm --instance "$child" -Ln 2>/dev/null || true)
    grep -q "$real1:80" <<<"$listing" && break
    sleep 0.1
done
grep -q "$real1:80" <<<"$listing" || fail "the child did not reload with the parent: $listing"

# 4. SIGTERM of the parent stops the child.
kill -TERM "$XVSD_PID"
wait "$XVSD_PID" 2>/dev/null || true
XVSD_PID=
gone=0
for _ in $(seq 100); do
    if ! xvsadm --instance "$child" -Ln >/dev/null 2>&1; then gone=1; break; fi
    sleep 0.1
done
[ "$gone" = 1 ] || fail "the execute= instance still answers after its parent stopped"
[ ! -e "$work/xvsd.log" ] || fail "logfile= was written although supervised=yes: $(head -c 2000 "$work/xvsd.log")"

if [ "$failures" -ne 0 ]; then
    echo "--- stdout" >&2; cat "$work/stdout" >&2 || true
    echo "--- stderr" >&2; cat "$work/stderr" >&2 || true
fi
scenario_verdict "supervised=yes and execute="
