# xvsd --dataplane xdp with an ipip virtual: XDP encapsulates, the reals
# decapsulate on tunl0 and answer the client through the director.
. /vmtest/lib.sh
. /vmtest/xvsd_lib.sh
vip_topology tun
xdp_veths
xvsd_start dir $CONF/xdp-tun.cf vmxdptun --dataplane xdp
on dir xvsadm --instance vmxdptun -L -n >"$SCRATCH/L" 2>&1 || fail "xvsadm -Ln: $(cat "$SCRATCH/L")"
cat "$SCRATCH/L"
[ "$(grep -Ec '^  -> 10\.0\.[23]\.11:80 +Tunnel +1 ' "$SCRATCH/L")" = 2 ] || fail "two Tunnel reals expected: $(tr '\n' '|' <"$SCRATCH/L")"
expect_both_reals
xvsd_stop
exit 0
