# IpvsClient/IpvsDataplane tests against the real IPVS (tests/ipvs/kernel_test.cpp),
# in a namespace of their own.
. /vmtest/lib.sh
netns kt
on kt test_ipvs_kernel >"$SCRATCH/out" 2>&1
status=$?
cat "$SCRATCH/out"
[ "$status" = 0 ] || fail "test_ipvs_kernel: $(grep -A4 'FAILED' "$SCRATCH/out" | tr -s ' \n' ' ' | cut -c1-300)"
exit 0
