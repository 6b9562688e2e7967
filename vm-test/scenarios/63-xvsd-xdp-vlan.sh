# A VLAN served on its VLAN device: the client reaches the director over
# VLAN 100 (c0.100 -- d0.100 on the veth c0 -- d0), xvsd attaches to d0.100 in
# generic mode and balances DR traffic over both reals. VLAN 200 on the same
# veth (c0.200 -- d0.200, not served) carries a SYN to the VIP as well: the
# director's own stack must answer it (nothing listens there, so a reset),
# and neither real may see it. Then again with the program on d0 as well,
# which must pass the tagged frames of both VLANs to the kernel untouched.
. /vmtest/lib.sh
. /vmtest/xvsd_lib.sh
vip_topology dr
xdp_veths
# The client's and the director's addresses move from the veth onto VLAN 100.
on cli ip addr flush dev c0
on dir ip addr flush dev d0
for v in 100 200; do
    check on cli ip link add link c0 name c0.$v type vlan id $v
    check on dir ip link add link d0 name d0.$v type vlan id $v
    check on cli ethtool -K c0.$v tx off >/dev/null
    check on dir ethtool -K d0.$v tx off >/dev/null
    on cli ip link set c0.$v up
    on dir ip link set d0.$v up
done
on cli ip addr add 10.0.1.2/24 dev c0.100
on cli ip route replace default via 10.0.1.1
on cli ip addr add 10.0.4.2/24 dev c0.200
on dir ip addr add 10.0.1.1/24 dev d0.100
on dir ip addr add 10.0.1.100/32 dev d0.100
on dir ip addr add 10.0.4.1/24 dev d0.200
# Every packet from VLAN 200's client that reaches a real is counted.
for ns in r1 r2; do
    check on "$ns" nft add table ip vlan200
    check on "$ns" nft add chain ip vlan200 pre '{ type filter hook prerouting priority 0; }'
    check on "$ns" nft add rule ip vlan200 pre ip saddr 10.0.4.2 counter
done

# A request to the VIP over VLAN 200 (routed over c0.200, tagged 200 on the
# wire) must be refused by the director itself.
vlan200_not_balanced() {
    local a rc c ns
    on cli ip route add 10.0.1.100/32 via 10.0.4.1 dev c0.200
    a=$(on cli curl -s -m 5 http://10.0.1.100/)
    rc=$?
    on cli ip route del 10.0.1.100/32
    echo "over VLAN 200: curl exit $rc, answer '$a'"
    case $rc in
        7) ;;  # refused: the director's stack answered the SYN itself
        0) fail "a request over VLAN 200 was balanced: $a" ;;
        *) fail "no reset from the director over VLAN 200 (curl exit $rc): the program took the frame, or it never arrived" ;;
    esac
    for ns in r1 r2; do
        c=$(on "$ns" nft list chain ip vlan200 pre | grep -o 'packets [0-9]*')
        echo "$ns from VLAN 200: $c"
        [ "$c" = "packets 0" ] || fail "$ns saw VLAN 200's traffic ($c)"
    done
}

xvsd_start dir $CONF/xdp-vlan.cf vmxdpvlan --dataplane xdp
on dir ip link show d0.100 | grep -q "xdpgeneric" || fail "no generic XDP program on d0.100: $(on dir ip link show d0.100 | tr '\n' '|')"
on dir ip link show d0 | grep -q "xdp" && fail "an XDP program on d0, which is not configured"
on dir xvsadm --instance vmxdpvlan -L -n || fail "xvsadm -Ln failed"
[ -z "$(on dir ipvsadm -Ln | grep '^TCP')" ] || fail "IPVS has services though XDP serves"
expect_both_reals
vlan200_not_balanced
xvsd_stop
on dir ip link show d0.100 | grep -q "xdp" && fail "XDP still attached to d0.100 after the clean stop"

# The program on d0 sees a VLAN's frames only with their tag in the frame; a
# veth that moves the tag out of band (as a NIC's VLAN receive offload does)
# would hand them over untagged. The client's veth puts the tag in the frame.
check on cli ethtool -K c0 txvlan off >/dev/null
xvsd_start dir $CONF/xdp-vlan-trunk.cf vmxdpvlan --dataplane xdp
for i in d0 d0.100; do
    on dir ip link show "$i" | grep -q "xdpgeneric" || fail "no generic XDP program on $i: $(on dir ip link show "$i" | tr '\n' '|')"
done
expect_both_reals
vlan200_not_balanced
xvsd_stop
for i in d0 d0.100; do
    on dir ip link show "$i" | grep -q "xdp" && fail "XDP still attached to $i after the clean stop"
done
exit 0
