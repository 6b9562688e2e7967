#!/usr/bin/env bash
# A re-created interface gets the XDP program again, and while it is missing
# xvsd does not look healthy.
#
#   client 192.168.0.11  c0 ── d0  director (xvsd, XDP on d0 and d1)  d1 ── switch ── r1 192.168.239.129
#                            VIP 192.168.0.105        DIP 192.168.239.130
#
# NAT (masq) service VIP:80 → r1:80. The script checks that traffic flows,
# deletes d1 (the real-facing side, where un-rewritten NAT replies would leak),
# checks that xvsadm --status exits 3 naming d1, that /metrics shows it
# unattached and that the log says so; re-creates d1 with the same name and
# address, checks that the program is attached again (ip link), --status and
# /metrics are healthy, and that the VIP answers again; then removes the
# program from d0 (ip link set xdp off) and checks that it comes back. Throughout, the client
# must never receive a packet from the real's own address (a NAT reply that
# left the director without its rewrite).
#
# Usage: interface_recreate.sh BUILD_DIR   (root; exits non-zero when a check fails)
set -euo pipefail
here=$(cd "$(dirname "$0")/../../tools/netns" && pwd)
XVS_BUILD=$(cd "${1:?usage: interface_recreate.sh BUILD_DIR}" && pwd)
source "$here/lib.sh"
source "$here/xvsd.sh"
source "$here/nat_topology.sh"

p=xi$$
scenario_begin iface-recreate

vip=192.168.0.105 gw=192.168.0.1 dip=192.168.239.130 plen=24 client=192.168.0.11
real=192.168.239.129 metrics_port=9917

netns_log "building the topology ($p*)"
nat_topology_up "$p" "$xdp_pass" 192.168.0. 11 11 "$gw" "$vip" "$dip" "$plen" "$real"
netns_httpd "${p}r1" "$real" 80 "This is web1" "$work/web1"

# Every packet the client receives from the real's own address is a leak.
ip netns exec "${p}c" nft -f - <<NFT
table inet xvs_leak {
    counter from_real {}
    chain input {
        type filter hook prerouting priority -300;
        ip saddr $real counter name from_real
    }
}
NFT

cat >"$work/xvsd.cf" <<CF
interface=d0
interface=d1
dataplane=xdp
logfile="$work/xvsd.log"
metrics=127.0.0.1:$metrics_port
cleanstop=yes
virtual=$vip:80
    real=$real:80 masq 1
    scheduler=rr
    checktype=on
CF

netns_wait_port "${p}r1" "$real" 80
netns_log "starting xvsd (instance $instance)"
xvsd_start_or_exit "${p}d" "$work/xvsd.cf" "$instance" "$work/xvsd.log"

fetch() { ip netns exec "${p}c" curl -s --max-time 10 --interface "$client" "http://$vip/" || true; }
status() { xvsadm --instance "$instance" --status >"$work/status" 2>"$work/status.err"; }
metrics() { ip netns exec "${p}d" curl -s --max-time 5 "http://127.0.0.1:$metrics_port/metrics" || true; }
# metrics_showing LINE: a scrape that has LINE, waiting out the endpoint's
# reuse window (a body is shared for 1 s; up to 5 s); else the last scrape.
metrics_showing() {
    local i m
    for i in $(seq 25); do
        m=$(metrics)
        grep -qxF "$1" <<<"$m" && break
        sleep 0.2
    done
    printf '%s\n' "$m"
}
leaked() { ip netns exec "${p}c" nft list counter inet xvs_leak from_real | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }
# wait_status CODE: until xvsadm --status exits with CODE (up to 5 s).
wait_status() {
    local i rc
    for i in $(seq 50); do
        rc=0
        status || rc=$?
        [ "$rc" -eq "$1" ] && return 0
        sleep 0.1
    done
    fail "xvsadm --status exited $rc, expected $1: $(cat "$work/status" "$work/status.err")"
    return 1
}

answer=$(fetch)
[ "$answer" = "This is web1" ] || fail "before: the VIP answered '${answer}'"
wait_status 0 || true
grep -Eq '^d1 +attached +native' "$work/status" || fail "before: --status lacks d1 attached native"

netns_log "deleting d1"
ip -n "${p}d" link del d1
if wait_status 3; then
    grep -q "xvsadm: interface d1 is missing: no such interface (was ifindex" "$work/status.err" ||
        fail "--status does not say why d1 is missing: $(cat "$work/status.err")"
    grep -Eq '^d1 +MISSING' "$work/status" || fail "--status lists d1 as $(grep '^d1' "$work/status")"
    grep -Eq '^d0 +attached' "$work/status" || fail "--status lists d0 as $(grep '^d0' "$work/status")"
fi
m=$(metrics_showing 'xvs_interface_attached{interface="d1",mode="native"} 0')
grep -q '^xvs_interface_attached{interface="d1",mode="native"} 0$' <<<"$m" ||
    fail "/metrics does not show d1 unattached: $(grep xvs_interface <<<"$m")"
xvsadm --instance "$instance" -Ln >/dev/null 2>"$work/list.err" || fail "xvsadm -Ln failed"
grep -q "warning: interface d1 is missing" "$work/list.err" || fail "xvsadm -Ln does not warn about d1"
    grep -q "d1: no such interface" "$work/xvsd.log" || fail "the log does not say d1 disappeared"

netns_log "re-creating d1 with the same name and address"
netns_veth "${p}d" d1 "${p}s" s0
ip -n "${p}s" link set s0 master br0
netns_addr "${p}d" "$dip/$plen" d1
netns_xdp_pass "${p}s" s0 "$xdp_pass"

if wait_status 0; then
    grep -Eq '^d1 +attached +native +[0-9]+ +1$' "$work/status" ||
        fail "--status lists d1 as $(grep '^d1' "$work/status")"
fi
ip -n "${p}d" link show d1 | grep -q "prog/xdp" || fail "ip link show d1 has no XDP program"
m=$(metrics_showing 'xvs_interface_reattachments_total{interface="d1"} 1')
grep -q '^xvs_interface_attached{interface="d1",mode="native"} 1$' <<<"$m" ||
    fail "/metrics does not show d1 attached: $(grep xvs_interface <<<"$m")"
grep -q '^xvs_interface_reattachments_total{interface="d1"} 1$' <<<"$m" ||
    fail "/metrics does not count d1's re-attachment"
grep -q "d1: XDP program attached again (native mode" "$work/xvsd.log" ||
    fail "the log does not say d1 got the program again"

answer=$(fetch)
[ "$answer" = "This is web1" ] || fail "after: the VIP answered '${answer}'"

netns_log "removing the program from d0 (no device change)"
ip -n "${p}d" link set dev d0 xdp off
for i in $(seq 50); do
    status || true
    grep -Eq '^d0 +attached +native +[0-9]+ +1$' "$work/status" && break
    sleep 0.1
done
grep -Eq '^d0 +attached +native +[0-9]+ +1$' "$work/status" ||
    fail "d0 did not get the program back: $(grep '^d0' "$work/status")"
ip -n "${p}d" link show d0 | grep -q "prog/xdp" || fail "ip link show d0 has no XDP program"
answer=$(fetch)
[ "$answer" = "This is web1" ] || fail "after d0: the VIP answered '${answer}'"

n=$(leaked)
[ "${n:-0}" -eq 0 ] || fail "the client received $n packet(s) from the real's own address (NAT reply not rewritten)"

scenario_verdict "interface re-creation"
