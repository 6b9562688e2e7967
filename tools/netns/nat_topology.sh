# The NAT test topology (sourced, bash; needs lib.sh):
#
#   client ns ${p}c  c0 ── d0  director ns ${p}d  d1 ── s0  switch ns ${p}s (bridge br0)
#                                                        s1 ── e0  real ns ${p}r1
#                                                        s2 ── e0  real ns ${p}r2 ...
#
# nat_topology_up PREFIX XDP_PASS_OBJECT OUTSIDE_NET CLIENT_FIRST CLIENT_LAST GW VIP DIP PLEN REAL...
#   OUTSIDE_NET is the client prefix text ("192.168.0." or "2001:db8::"), clients
#   get OUTSIDE_NET{FIRST..LAST}; reals get a default route via DIP. Forwarding
#   is enabled on the director (bpf_fib_lookup needs it) and the veth ends that
#   receive redirected frames (c0, s0) run the XDP_PASS program.
nat_topology_up() {
    local p=$1 xdp_pass=$2 net=$3 first=$4 last=$5 gw=$6 vip=$7 dip=$8 plen=$9
    shift 9
    local ns n i real
    for ns in c d s; do netns_add "$p$ns"; done
    netns_veth "${p}c" c0 "${p}d" d0
    netns_veth "${p}d" d1 "${p}s" s0
    ip -n "${p}s" link add br0 type bridge
    ip -n "${p}s" link set s0 master br0
    ip -n "${p}s" link set br0 up

    netns_addr "${p}d" "$gw/$plen" d0
    netns_addr "${p}d" "$vip/$plen" d0
    netns_addr "${p}d" "$dip/$plen" d1
    ip netns exec "${p}d" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1

    for i in $(seq "$first" "$last"); do
        netns_addr "${p}c" "$net$i/$plen" c0
    done
    ip -n "${p}c" route add default via "$gw"

    n=1
    for real in "$@"; do
        netns_add "${p}r$n"
        netns_veth "${p}s" "s$n" "${p}r$n" e0
        ip -n "${p}s" link set "s$n" master br0
        netns_addr "${p}r$n" "$real/$plen" e0
        ip -n "${p}r$n" route add default via "$dip"
        n=$((n + 1))
    done

    netns_xdp_pass "${p}c" c0 "$xdp_pass"
    netns_xdp_pass "${p}s" s0 "$xdp_pass"
}
