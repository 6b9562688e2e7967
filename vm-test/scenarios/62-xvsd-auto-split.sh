# dataplane=auto, one service per plane: the wrr virtual on XDP, the lblc one
# on IPVS. Both answer curl; ipvsadm -Ln lists only the lblc one, xvsadm -Ln
# both; the log says which plane serves which. /metrics has the XDP
# program's families next to the IPVS service, and the connection census
# counts the XDP VIP's connections.
. /vmtest/lib.sh
. /vmtest/xvsd_lib.sh
vip_topology dr
on dir ip addr add 10.0.1.101/32 dev d0
for ns in r1 r2; do on "$ns" ip addr add 10.0.1.101/32 dev lo; done
xdp_veths
xvsd_start dir $CONF/auto-split.cf vmsplit
grep -q "TCP  10.0.1.100:80 served by xdp" "$XVSD_LOG" || fail "no log line placing 10.0.1.100:80 on XDP"
grep -q "TCP  10.0.1.101:80 served by ipvs: .*lblc" "$XVSD_LOG" || fail "no log line placing 10.0.1.101:80 on IPVS"

on dir ipvsadm -Ln >"$SCRATCH/ipvs.L"
cat "$SCRATCH/ipvs.L"
[ "$(grep -c '^TCP' "$SCRATCH/ipvs.L")" = 1 ] && grep -q '^TCP  10.0.1.101:80 lblc' "$SCRATCH/ipvs.L" ||
    fail "IPVS should hold only the lblc service: $(tr '\n' '|' <"$SCRATCH/ipvs.L")"
on dir xvsadm --instance vmsplit -L -n >"$SCRATCH/xvs.L" 2>&1 || fail "xvsadm -Ln: $(cat "$SCRATCH/xvs.L")"
cat "$SCRATCH/xvs.L"
grep -q '^TCP  10.0.1.100:80 wrr' "$SCRATCH/xvs.L" && grep -q '^TCP  10.0.1.101:80 lblc' "$SCRATCH/xvs.L" ||
    fail "xvsadm -Ln should list both services: $(tr '\n' '|' <"$SCRATCH/xvs.L")"
[ "$(grep -Ec '^  -> 10\.0\.[23]\.11:80 +Route' "$SCRATCH/xvs.L")" = 4 ] || fail "xvsadm -Ln should list four Route reals"

expect_both_reals
for i in 1 2 3 4 5 6; do
    a=$(on cli curl -s -m 5 http://10.0.1.101/) || fail "curl to the IPVS VIP failed (request $i)"
    case "$a" in "This is web1" | "This is web2") ;; *) fail "unexpected answer from the IPVS VIP: $a" ;; esac
done
# Those went through IPVS, not XDP: its connection table has them.
on dir ipvsadm -Lnc | grep -q '10.0.1.101:80' || fail "IPVS saw no connection to 10.0.1.101"
on dir ipvsadm -Lnc | grep -q '10.0.1.100:80' && fail "IPVS saw connections to the XDP VIP"

# The table fill is the census's (every 2 seconds): wait for one after the
# requests above.
for try in $(seq 1 40); do
    on dir curl -s -m 5 -o "$SCRATCH/metrics" http://127.0.0.1:9917/metrics || fail "GET /metrics failed"
    grep -Eq '^xvs_xdp_map_entries\{map="xvs_conns"\} [1-9]' "$SCRATCH/metrics" && break
    sleep 0.25
done
grep -E '^xvs_(dataplane_info|xdp_map_entries|xdp_census_age_seconds)' "$SCRATCH/metrics"
grep -q '^xvs_dataplane_info{dataplane="xdp+ipvs"} 1$' "$SCRATCH/metrics" || fail "metrics: no xdp+ipvs dataplane_info"
grep -Eq '^xvs_xdp_actions_total\{action="new_conn"\} [1-9]' "$SCRATCH/metrics" ||
    fail "metrics: no new_conn XDP action in auto mode"
grep -Eq '^xvs_xdp_map_entries\{map="xvs_conns"\} [1-9]' "$SCRATCH/metrics" ||
    fail "metrics: the census shows no XDP connection entry"
grep -q '^xvs_real_weight{service="TCP 10.0.1.101:80",real="10.0.2.11:80"} 1$' "$SCRATCH/metrics" ||
    fail "metrics: the IPVS service's real is missing"
xvsd_stop
[ -z "$(on dir ipvsadm -Ln | grep '^TCP')" ] || fail "IPVS still has services after the clean stop"
exit 0
