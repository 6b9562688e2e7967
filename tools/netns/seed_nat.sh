#!/usr/bin/env bash
# The seed's NAT scenario, in network namespaces, on the XDP data plane.
#
#   client (40 addresses 192.168.0.11-50)          reals: busybox httpd on :80 and :8080
#     c0 ── d0  director (xvsd, XDP on d0 and d1)   ── switch (bridge) ── r1 192.168.239.129
#        VIP 192.168.0.105     DIP 192.168.239.130 d1                 └─ r2 192.168.239.133
#
# fwmark virtual 100 covers VIP:80 and VIP:8080 (match=), wrr 1:2, persistent=360,
# masq. Every client fetches both ports; the script checks that each client sees
# the same real on both ports with its port preserved, that the split is close
# to 1:2, and that `xvsadm -Ln` lists the service in ipvsadm's format.
#
# With --ipv6 the same in IPv6 (2001:db8::/64 outside, 2001:db8:239::/64 inside).
#
# Usage: seed_nat.sh BUILD_DIR [--ipv6]   (root; exits non-zero when a check fails)
# Used by the end-to-end test (tests/e2e) and by tools/demo.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
XVS_BUILD=$(cd "${1:?usage: seed_nat.sh BUILD_DIR [--ipv6]}" && pwd)
family=${2:-}
source "$here/lib.sh"
source "$here/xvsd.sh"
source "$here/nat_topology.sh"

p=xn$$
scenario_begin seed-nat

if [ "$family" = --ipv6 ]; then
    vip=2001:db8::105 gw=2001:db8::1 dip=2001:db8:239::130 net=2001:db8:: plen=64
    real1=2001:db8:239::129 real2=2001:db8:239::133 v=6
    url() { echo "http://[$vip]:$1/"; }
else
    vip=192.168.0.105 gw=192.168.0.1 dip=192.168.239.130 net=192.168.0. plen=24
    real1=192.168.239.129 real2=192.168.239.133 v=
    url() { echo "http://$vip:$1/"; }
fi

netns_log "building the topology ($p*)"
nat_topology_up "$p" "$xdp_pass" "$net" 11 50 "$gw" "$vip" "$dip" "$plen" "$real1" "$real2"
clients=()
for i in $(seq 11 50); do clients+=("$net$i"); done
n=1
for real in "$real1" "$real2"; do
    for port in 80 8080; do
        netns_httpd "${p}r$n" "$real" "$port" "This is web$n with $port" "$work/web$n-$port"
    done
    n=$((n + 1))
done

r1cf=$real1 r2cf=$real2
[ -n "$v" ] && r1cf="[$real1]" r2cf="[$real2]"
cat >"$work/xvsd.cf" <<CF
# The seed's setup (ldirectord.cf + the xvs directives)
interface=d0
interface=d1
dataplane=xdp
logfile="$work/xvsd.log"
cleanstop=yes
virtual$v=100
    match=tcp $(url 80 | sed -e 's|http://||' -e 's|/$||')
    match=tcp $(url 8080 | sed -e 's|http://||' -e 's|/$||')
    real$v=$r1cf masq 1
    real$v=$r2cf masq 2
    scheduler=wrr
    persistent=360
    checktype=on
CF

for n in 1 2; do
    real_var="real$n"
    netns_wait_port "${p}r$n" "${!real_var}" 80
    netns_wait_port "${p}r$n" "${!real_var}" 8080
done

netns_log "starting xvsd (instance $instance)"
xvsd_start_or_exit "${p}d" "$work/xvsd.cf" "$instance" "$work/xvsd.log"

count1=0
count2=0
for client in "${clients[@]}"; do
    a80=$(ip netns exec "${p}c" curl -s --max-time 5 --interface "$client" "$(url 80)" || true)
    a8080=$(ip netns exec "${p}c" curl -s --max-time 5 --interface "$client" "$(url 8080)" || true)
    echo "$client  :80 -> ${a80:-(no answer)}   :8080 -> ${a8080:-(no answer)}"
    case "$a80" in
        "This is web1 with 80") count1=$((count1 + 1)); web=web1 ;;
        "This is web2 with 80") count2=$((count2 + 1)); web=web2 ;;
        *) fail "$client: port 80 answered '${a80}'"; continue ;;
    esac
    [ "$a8080" = "This is $web with 8080" ] ||
        fail "$client: port 8080 answered '${a8080}', expected $web (persistence across ports)"
done

echo
xvsadm --instance "$instance" -Ln | tee "$work/listing"
echo
echo "distribution: web1 (weight 1): $count1   web2 (weight 2): $count2"

# wrr 1:2 over 40 new clients gives 13 or 14 to web1 when one sequence serves
# them all. The XDP scheduler may keep one position per CPU; each CPU's share
# then deviates by at most one from a third, hence the bound of 1 per CPU
# (and at least 3, matching 10..17).
slack=$(nproc)
[ "$slack" -lt 3 ] && slack=3
lo=$((13 - slack))
hi=$((14 + slack))
if [ $((count1 + count2)) -eq 40 ]; then
    [ "$count1" -ge "$lo" ] && [ "$count1" -le "$hi" ] ||
        fail "web1 got $count1 of 40 clients, expected $lo..$hi (wrr 1:2)"
fi

expected_head="IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
FWM  100${v:+ IPv6} wrr persistent 360"
[ "$(head -4 "$work/listing")" = "$expected_head" ] || fail "xvsadm -Ln header/service line differs"
r1name=$real1:0 r2name=$real2:0
[ -n "$v" ] && r1name="\\[$real1\\]:0" r2name="\\[$real2\\]:0"
grep -Eq "^  -> $r1name +Masq +1 " "$work/listing" || fail "xvsadm -Ln lacks $real1 Masq 1"
grep -Eq "^  -> $r2name +Masq +2 " "$work/listing" || fail "xvsadm -Ln lacks $real2 Masq 2"

scenario_verdict "seed NAT scenario${family:+ $family}"
