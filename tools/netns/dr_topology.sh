# The one-arm DR test topology (sourced, bash; needs lib.sh):
#
#   client ns ${p}c e0 ─┐
#   director ns ${p}d e0 ─┤ bridge br0 in switch ns ${p}s (ports p<ns>)
#   real ns ${p}r1 e0 ───┤   reals hold the VIP on lo with arp_ignore=1,
#   real ns ${p}r2 e0 ───┘   arp_announce=2 and answer the client directly
#
# dr_topology_up PREFIX XDP_PASS_OBJECT CLIENT DIP VIP PLEN VIP_PLEN REAL...
#   Real n lives in ${p}r<n>. The director has forwarding on (bpf_fib_lookup
#   needs it) and VIP+DIP on e0; the switch port facing it runs the XDP_PASS
#   program (it receives the director's XDP_TX frames).
dr_topology_up() {
    local p=$1 xdp_pass=$2 client=$3 dip=$4 vip=$5 plen=$6 vip_plen=$7
    shift 7
    local ns n real
    for ns in s c d; do netns_add "$p$ns"; done
    ip -n "${p}s" link add br0 type bridge
    ip -n "${p}s" link set br0 up
    dr_topology_port "$p" c
    dr_topology_port "$p" d
    netns_addr "${p}c" "$client/$plen" e0
    netns_addr "${p}d" "$dip/$plen" e0
    netns_addr "${p}d" "$vip/$plen" e0
    ip netns exec "${p}d" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
    n=1
    for real in "$@"; do
        dr_topology_add_real "$p" "r$n" "$real" "$vip" "$plen" "$vip_plen"
        n=$((n + 1))
    done
    netns_xdp_pass "${p}s" pd "$xdp_pass"
}

# dr_topology_add_real PREFIX NAME ADDR VIP PLEN VIP_PLEN: one more DR real in
# namespace ${p}NAME (e.g. a fallback server).
dr_topology_add_real() {
    local p=$1 name=$2 real=$3 vip=$4 plen=$5 vip_plen=$6
    netns_add "$p$name"
    dr_topology_port "$p" "$name"
    ip netns exec "$p$name" sysctl -qw net.ipv4.conf.all.arp_ignore=1 \
        net.ipv4.conf.all.arp_announce=2 net.ipv4.conf.e0.arp_ignore=1 \
        net.ipv4.conf.e0.arp_announce=2
    netns_addr "$p$name" "$real/$plen" e0
    netns_addr "$p$name" "$vip/$vip_plen" lo
}

# dr_topology_port PREFIX NAME: veth e0 in ${p}NAME, its peer p<NAME> on br0.
dr_topology_port() {
    local p=$1 name=$2
    netns_veth "${p}s" "p$name" "$p$name" e0
    ip -n "${p}s" link set "p$name" master br0
    ip netns exec "$p$name" sysctl -qw net.ipv6.conf.e0.accept_dad=0 2>/dev/null || true
}
