# xvsd --dataplane xdp in Debian's 6.1 kernel: the program passes the
# verifier, attaches to d0 and forwards DR traffic (rr over both reals); a
# SIGTERM stops it cleanly.
. /vmtest/lib.sh
. /vmtest/xvsd_lib.sh
vip_topology dr
xdp_veths
xvsd_start dir $CONF/xdp-dr.cf vmxdpdr --dataplane xdp
on dir ip link show d0 | grep -q "xdp" || fail "no XDP program on d0: $(on dir ip link show d0 | tr '\n' '|')"
on dir xvsadm --instance vmxdpdr -L -n || fail "xvsadm -Ln failed"
[ -z "$(on dir ipvsadm -Ln | grep '^TCP')" ] || fail "IPVS has services though XDP serves"
expect_both_reals
xvsd_stop
on dir ip link show d0 | grep -q "xdp" && fail "XDP still attached to d0 after the clean stop"
exit 0
