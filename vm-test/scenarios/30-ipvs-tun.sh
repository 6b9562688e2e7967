# Tunnelling (ipip) through IpvsDataplane: ipvsadm lists "Tunnel", and the
# reals decapsulate on tunl0 (VIP there) and answer the client directly.
. /vmtest/lib.sh
vip_topology tun
check on dir ipvs_vm_driver apply - $CONF/tun.cf
on dir ipvsadm -Ln >"$SCRATCH/L"
cat "$SCRATCH/L"
[ "$(grep -Ec '^  -> 10\.0\.[23]\.11:80 +Tunnel +1 ' "$SCRATCH/L")" = 2 ] || fail "two Tunnel reals expected: $(tr '\n' '|' <"$SCRATCH/L")"
expect_both_reals
check on dir ipvs_vm_driver clear $CONF/tun.cf
exit 0
