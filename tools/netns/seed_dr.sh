#!/usr/bin/env bash
# The seed's DR scenario (ldirectord example: virtual=VIP:80, gate, wrr 1:2),
# one-arm, in network namespaces on the XDP data plane.
#
#   client 192.168.239.10 ─┐
#   director 192.168.239.130 (VIP 192.168.239.250, xvsd, XDP on d0) ─┤ bridge (switch ns)
#   real1 192.168.239.129 ─┤   VIP on lo, arp_ignore=1, arp_announce=2,
#   real2 192.168.239.133 ─┘   answer the client directly
#
# IPv4 by default; with --ipv6 the same with 2001:db8:239::/64 addresses.
# Checks: every connection (a new source port each) is answered, the split
# over 60 connections is close to 1:2, replies come from the reals directly.
#
# Usage: seed_dr.sh BUILD_DIR [--ipv6]     (root; non-zero exit on failure)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
XVS_BUILD=$(cd "${1:?usage: seed_dr.sh BUILD_DIR [--ipv6]}" && pwd)
family=${2:-}
source "$here/lib.sh"
source "$here/xvsd.sh"

p=xd$$
scenario_begin seed-dr

if [ "$family" = --ipv6 ]; then
    vip=2001:db8:239::250 dip=2001:db8:239::130 client=2001:db8:239::10
    real1=2001:db8:239::129 real2=2001:db8:239::133
    plen=64 vip_plen=128 url="http://[$vip]:80/" virtual="[$vip]:80"
    r1="[$real1]:80" r2="[$real2]:80" v=6
else
    vip=192.168.239.250 dip=192.168.239.130 client=192.168.239.10
    real1=192.168.239.129 real2=192.168.239.133
    plen=24 vip_plen=32 url="http://$vip:80/" virtual="$vip:80"
    r1="$real1:80" r2="$real2:80" v=
fi

netns_log "building the one-arm topology ($p*)"
for ns in s c d r1 r2; do netns_add "$p$ns"; done
ip -n "${p}s" link add br0 type bridge
ip -n "${p}s" link set br0 up
for ns in c d r1 r2; do
    netns_veth "${p}s" "p$ns" "$p$ns" e0
    ip -n "${p}s" link set "p$ns" master br0
    # No DAD delays for the IPv6 variant.
    ip netns exec "$p$ns" sysctl -qw net.ipv6.conf.e0.accept_dad=0 2>/dev/null || true
done

netns_addr "${p}c" "$client/$plen" e0
netns_addr "${p}d" "$dip/$plen" e0
netns_addr "${p}d" "$vip/$plen" e0
# bpf_fib_lookup() refuses to route (FWD_DISABLED) unless forwarding is on.
ip netns exec "${p}d" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
n=1
for real in "$real1" "$real2"; do
    ns="${p}r$n"
    ip netns exec "$ns" sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 \
        net.ipv4.conf.e0.arp_ignore=1 net.ipv4.conf.e0.arp_announce=2
    netns_addr "$ns" "$real/$plen" e0
    netns_addr "$ns" "$vip/$vip_plen" lo
    mkdir -p "$work/web$n"
    echo "This is web$n" >"$work/web$n/index.html"
    netns_bg "$ns" busybox httpd -f -p 80 -h "$work/web$n"
    n=$((n + 1))
done

# The director sends with XDP_TX out of e0: the switch's port facing it must
# run an XDP program to accept those frames.
netns_xdp_pass "${p}s" pd "$xdp_pass"

cat >"$work/xvsd.cf" <<CF
interface=e0
dataplane=xdp
logfile="$work/xvsd.log"
virtual$v=$virtual
    real$v=$r1 gate 1
    real$v=$r2 gate 2
    scheduler=wrr
    protocol=tcp
    checktype=on
CF

netns_wait_port "${p}r1" "$real1" 80
netns_wait_port "${p}r2" "$real2" 80
netns_log "starting xvsd (instance $instance)"
xvsd_start_or_exit "${p}d" "$work/xvsd.cf" "$instance" "$work/xvsd.log"

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
count1=0 count2=0 total=60
for i in $(seq "$total"); do
    answer=$(ip netns exec "${p}c" curl -s --max-time 5 "$url" || true)
    case "$answer" in
        "This is web1") count1=$((count1 + 1)) ;;
        "This is web2") count2=$((count2 + 1)) ;;
        *) fail "connection $i answered '${answer}'" ;;
    esac
done

xvsadm --instance "$instance" -Ln
echo "distribution over $total connections: web1 (weight 1): $count1   web2 (weight 2): $count2"

# One wrr sequence gives exactly 20/40; one position per CPU allows one extra
# per CPU (at least 3 of slack).
slack=$(nproc)
[ "$slack" -lt 3 ] && slack=3
[ "$count1" -ge $((20 - slack)) ] && [ "$count1" -le $((20 + slack)) ] ||
    fail "web1 got $count1 of $total, expected $((20 - slack))..$((20 + slack))"

# Direct return: the client reaches the VIP through the director's MAC, yet
# the director's stack never answered (its httpd is absent): the replies came
# from the reals, which hold the VIP on lo.
if [ "$failures" -ne 0 ]; then
    cat "$work/xvsd.log" >&2 || true
    echo "seed DR scenario ($family): $failures check(s) failed" >&2
    exit 1
fi
echo "seed DR scenario ${family}: all checks passed"
