#!/usr/bin/env bash
# The unmodified ldirectord drives xvsd through xvsadm (one-arm DR on the XDP
# plane, tools/netns/dr_topology.sh), and xvsd's table is as durable as
# IPVS's: ldirectord writes only on state changes, so a table that vanished
# with a reload or a restart of xvsd would never come back.
#
# 1. ldirectord (wrr, checktype=connect to two busybox httpd reals, weights
#    1 and 2) programs xvsd, whose own file has no virtual service.
# 2. A client opens a new connection every 0.1 s all along; a download runs.
# 3. kill -HUP of xvsd: the table stays, byte for byte.
# 4. xvsd is stopped and started again (cleanstop=no: the XDP program keeps
#    forwarding in between): the table is back from --state-dir, byte for
#    byte, and ldirectord made no call meanwhile.
# 5. Not one of the client's connections failed; the download's sha256 matches.
#
# ldirectord runs /usr/sbin/ipvsadm: in a private mount namespace a wrapper
# that execs `xvsadm --instance NAME` is bind-mounted there, and a tmpfs over
# /run holds ldirectord's pid file, xvsd's run directory and the namespaces.
# Usage: ldirectord_durable.sh BUILD_DIR     (root; non-zero exit on failure)
set -euo pipefail
if [ -z "${XVS_LDURABLE_INNER:-}" ]; then
    exec unshare --mount --propagation private env XVS_LDURABLE_INNER=1 "$0" "$@"
fi
here=$(cd "$(dirname "$0")" && pwd)
netns_dir=$(cd "$here/../../tools/netns" && pwd)
XVS_BUILD=$(cd "${1:?usage: ldirectord_durable.sh BUILD_DIR}" && pwd)
mount -t tmpfs xvs-ldurable-run /run
source "$netns_dir/lib.sh"
source "$netns_dir/xvsd.sh"
source "$netns_dir/dr_topology.sh"

p=xl$$
scenario_begin ldirectord-durable
ld_pid=
trap 'if [ -n "$ld_pid" ]; then kill "$ld_pid" 2>/dev/null; wait "$ld_pid" 2>/dev/null; fi; scenario_end' EXIT

vip=192.168.239.250 dip=192.168.239.130 client=192.168.239.10
real1=192.168.239.129 real2=192.168.239.133
url="http://$vip:80/"

printf '#!/bin/sh\nexec %s --instance %s "$@"\n' "$XVS_BUILD/src/cli/xvsadm" "$instance" >"$work/ipvsadm"
chmod +x "$work/ipvsadm"
mount --bind "$work/ipvsadm" /usr/sbin/ipvsadm

netns_log "building the one-arm DR topology ($p*)"
dr_topology_up "$p" "$xdp_pass" "$client" "$dip" "$vip" 24 32 "$real1" "$real2"
netns_web_reals "$p" 60 any "$real1" "$real2"

cat >"$work/xvsd.cf" <<CF
interface=e0
dataplane=xdp
cleanstop=no
logfile="$work/xvsd.log"
CF
cat >"$work/ld.cf" <<CF
checktimeout=2
checkinterval=1
autoreload=no
quiescent=no
logfile="$work/ldirectord.log"
virtual=$vip:80
	real=$real1:80 gate 1
	real=$real2:80 gate 2
	checktype=connect
	scheduler=wrr
	protocol=tcp
CF

xvsd_start_or_exit "${p}d" "$work/xvsd.cf" "$instance" "$work/xvsd.log" --state-dir "$work/state"
nsenter --net="/run/netns/${p}d" -- ldirectord -d "$work/ld.cf" start >"$work/ldirectord.out" 2>&1 &
ld_pid=$!

header='IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn'
# The rules as -Sn saves them: what ldirectord made, and what must stay.
rules="-A -t $vip:80 -s wrr
-a -t $vip:80 -r $real1:80 -g -w 1
-a -t $vip:80 -r $real2:80 -g -w 2"
got=
for _ in $(seq 300); do
    got=$(xvsadm --instance "$instance" -Sn 2>/dev/null || true)
    [ "$got" = "$rules" ] && break
    sleep 0.1
done
[ "$got" = "$rules" ] || { cat "$work/ldirectord.out" >&2; fail "ldirectord did not program xvsd: $got"; }
page=
for _ in $(seq 50); do
    page=$(ip netns exec "${p}c" curl -s --max-time 2 "$url" || true)
    [ -n "$page" ] && break
    sleep 0.1
done
[ -n "$page" ] || fail "no answer through the VIP"
calls_before=$(grep -c 'Running system(' "$work/ldirectord.out" || true)

netns_log "2. download and client start"
ip netns exec "${p}c" curl -s --limit-rate 8M -o "$work/download" "$url/big" &
curl_pid=$!
NETNS_PIDS+=("$curl_pid")
netns_steady_client "${p}c" "$url" "$work/answers" "$work/stop"
sleep 0.5

netns_log "3. SIGHUP to xvsd"
log_lines=$(wc -l <"$work/xvsd.log")
kill -HUP "$XVSD_PID"
for _ in $(seq 100); do
    tail -n +"$log_lines" "$work/xvsd.log" | grep -q "reload: " && break
    sleep 0.1
done
tail -n +"$log_lines" "$work/xvsd.log" | grep -q "reload: xvsadm's changes are kept on top of the file" ||
    fail "the reload did not keep xvsadm's table: $(tail -n +"$log_lines" "$work/xvsd.log")"
[ "$(xvsadm --instance "$instance" -Sn)" = "$rules" ] || fail "the table changed with the reload: $(xvsadm --instance "$instance" -Sn)"
sleep 0.5

netns_log "4. xvsd stops and starts again"
kill -TERM "$XVSD_PID"
wait "$XVSD_PID" 2>/dev/null || true
sleep 0.5
xvsd_start_or_exit "${p}d" "$work/xvsd.cf" "$instance" "$work/xvsd.log" --state-dir "$work/state"
[ "$(xvsadm --instance "$instance" -Sn)" = "$rules" ] ||
    fail "the restarted xvsd lost the table: $(xvsadm --instance "$instance" -Sn)"
grep -q "xvsadm's table from $work/state/$instance" "$work/xvsd.log" || fail "no stored table was read"
sleep 2
touch "$work/stop"
wait "$client_pid" 2>/dev/null || true

netns_log "5. what the client saw"
calls_after=$(grep -c 'Running system(' "$work/ldirectord.out" || true)
[ "$calls_after" = "$calls_before" ] ||
    fail "ldirectord called ipvsadm $((calls_after - calls_before)) more times: it should have had no reason to"
answers=$(wc -l <"$work/answers")
unanswered=$(grep -cv "^This is web[12]$" "$work/answers" || true)
[ "$answers" -ge 20 ] || fail "only $answers connections were tried"
[ "$unanswered" -eq 0 ] || fail "$unanswered of $answers connections across the reload and the restart failed"
netns_check_download "$curl_pid" "$work/download" "$want"

if [ "$failures" -ne 0 ]; then
    echo "--- ldirectord" >&2
    cat "$work/ldirectord.out" >&2 || true
fi
scenario_verdict "ldirectord drives xvsd; xvsd's table outlives its reload and restart"
