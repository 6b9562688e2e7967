#!/usr/bin/env bash
# UDP datagrams larger than the MTU whose fragments reach the director last
# first, through xvsd on XDP, for NAT (two-arm) and DR (one-arm).
#
# The client sends 5 datagrams of 4000 bytes, each in three fragments, the
# last one first (tests/e2e/udp_fragments.py, from a packet socket); the real
# server counts what it received. Every later fragment therefore arrives
# before its first: the program holds it, and xvsd replays it once the first
# fragment has chosen the real (bpf/lib/frag.h). Checks: the real received
# every datagram whole (SHA-256 of the payload), and the program held the
# later fragments and expired none (xvs_xdp_actions_total).
#
# Usage: fragments_reversed.sh BUILD_DIR nat|dr [--ipv6]   (root)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
netns=$here/../../tools/netns
XVS_BUILD=$(cd "${1:?usage: fragments_reversed.sh BUILD_DIR nat|dr [--ipv6]}" && pwd)
method=${2:?usage: fragments_reversed.sh BUILD_DIR nat|dr [--ipv6]}
family=${3:-}
source "$netns/lib.sh"
source "$netns/xvsd.sh"
source "$netns/nat_topology.sh"
source "$netns/dr_topology.sh"

p=xf$$
scenario_begin "frag-$method"
frags=$here/udp_fragments.py
datagrams=5
port=5000

if [ "$family" = --ipv6 ]; then
    v=6 any=:: plen=64 label="$method IPv6"
else
    v= any=0.0.0.0 plen=24 label="$method IPv4"
fi

netns_log "building the $method topology ($p*)"
if [ "$method" = nat ]; then
    if [ -n "$v" ]; then
        vip=2001:db8::105 gw=2001:db8::1 dip=2001:db8:239::130 net=2001:db8:: client=2001:db8::11
        real=2001:db8:239::129
    else
        vip=192.168.0.105 gw=192.168.0.1 dip=192.168.239.130 net=192.168.0. client=192.168.0.11
        real=192.168.239.129
    fi
    nat_topology_up "$p" "$xdp_pass" "$net" 11 11 "$gw" "$vip" "$dip" "$plen" "$real"
    client_if=c0 director_if=d0 real_if=d1 interfaces="interface=d0
interface=d1" forward=masq
else
    if [ -n "$v" ]; then
        vip=2001:db8:239::250 dip=2001:db8:239::130 client=2001:db8:239::10
        real=2001:db8:239::129 vip_plen=128
    else
        vip=192.168.239.250 dip=192.168.239.130 client=192.168.239.10
        real=192.168.239.129 vip_plen=32
    fi
    dr_topology_up "$p" "$xdp_pass" "$client" "$dip" "$vip" "$plen" "$vip_plen" "$real"
    client_if=e0 director_if=e0 real_if=e0 interfaces="interface=e0" forward=gate
fi
virtual=$vip:$port realcf=$real:$port
[ -n "$v" ] && virtual="[$vip]:$port" realcf="[$real]:$port"

cat >"$work/xvsd.cf" <<CF
$interfaces
dataplane=xdp
logfile="$work/xvsd.log"
metrics=127.0.0.1:9917
cleanstop=yes
virtual$v=$virtual
    protocol=udp
    real$v=$realcf $forward 1
    scheduler=rr
    checktype=on
CF

netns_log "starting xvsd (instance $instance)"
xvsd_start_or_exit "${p}d" "$work/xvsd.cf" "$instance" "$work/xvsd.log"
# The director knows the real's MAC before the first fragment needs it (an
# unresolved neighbour drops the packet, which is not what this tests).
real_mac=$(ip netns exec "${p}r1" cat /sys/class/net/e0/address)
ip -n "${p}d" neigh replace "$real" lladdr "$real_mac" dev "$real_if" nud permanent

netns_bg "${p}r1" python3 "$frags" receive "$any" "$port" "$datagrams" 5 \
    >"$work/received" 2>"$work/receiver.log"
for i in $(seq 50); do
    grep -q listening "$work/receiver.log" 2>/dev/null && break
    sleep 0.1
done
director_mac=$(ip netns exec "${p}d" cat "/sys/class/net/$director_if/address")
ip netns exec "${p}c" python3 "$frags" send "$client_if" "$director_mac" "$client" "$vip" \
    "$port" "$datagrams" 4000 >"$work/sent"
wait "${NETNS_PIDS[-1]}" || true  # the receiver ends after $datagrams or 5 s of silence


echo "sent:"
cat "$work/sent"
echo "received by the real:"
cat "$work/received"
[ "$(wc -l <"$work/sent")" -eq "$datagrams" ] || fail "the client did not send $datagrams datagrams"
while read -r sum; do
    grep -q "^$sum 4000$" "$work/received" || fail "datagram $sum did not reach the real whole"
done <"$work/sent"

ip netns exec "${p}d" curl -s --max-time 5 http://127.0.0.1:9917/metrics >"$work/metrics" ||
    fail "no metrics from xvsd"
action() {
    sed -n "s/^xvs_xdp_actions_total{action=\"$1\"} //p" "$work/metrics"
}
held=$(action frag_held)
echo "held: ${held:-?}  expired: $(action frag_expired)  full: $(action frag_hold_full)"
[ "${held:-0}" -ge $((2 * datagrams)) ] ||
    fail "the program held ${held:-no} later fragments, expected $((2 * datagrams))"
[ "$(action frag_expired)" = 0 ] || fail "held fragments expired instead of being replayed"
[ "$(action frag_pass)" = 0 ] || fail "fragments were passed to the director's stack"

scenario_verdict "reversed fragments ($label)"
