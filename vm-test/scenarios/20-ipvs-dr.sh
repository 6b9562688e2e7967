# Direct routing (gate) through IpvsDataplane: ipvsadm lists "Route", and the
# reals, holding the VIP on lo, answer the client alternately (rr).
. /vmtest/lib.sh
vip_topology dr
check on dir ipvs_vm_driver apply - $CONF/dr.cf
on dir ipvsadm -Ln >"$SCRATCH/L"
cat "$SCRATCH/L"
grep -q "^TCP  10.0.1.100:80 rr$" "$SCRATCH/L" || fail "service line: $(sed -n 4p "$SCRATCH/L")"
[ "$(grep -Ec '^  -> 10\.0\.[23]\.11:80 +Route +1 ' "$SCRATCH/L")" = 2 ] || fail "two Route reals expected: $(tr '\n' '|' <"$SCRATCH/L")"
expect_both_reals
check on dir ipvs_vm_driver clear $CONF/dr.cf
exit 0
