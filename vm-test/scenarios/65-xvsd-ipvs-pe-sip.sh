# xvsd --dataplane ipvs with pe=sip: the kernel's ip_vs_pe_sip takes the
# engine xvsd sends (IPVS_SVC_ATTR_PE_NAME), ipvsadm lists it, xvsadm's
# listing and save are ipvsadm's byte for byte; xvsadm -E without --pe
# clears it in the kernel, -E with it sets it again; an engine the kernel
# lacks is refused with ipvsadm's text.
. /vmtest/lib.sh
. /vmtest/xvsd_lib.sh

seed_nat_topology
xvsd_start dir $CONF/pe-sip.cf vmpesip --dataplane ipvs

on dir ipvsadm -Ln >"$SCRATCH/ipvsadm.L"
grep -qx "UDP  192.168.0.105:5060 rr persistent 60 mask 255.255.255.0 pe sip" "$SCRATCH/ipvsadm.L" ||
    fail "the kernel does not list the engine: $(tr '\n' '|' <"$SCRATCH/ipvsadm.L")"
on dir xvsadm --instance vmpesip -L -n >"$SCRATCH/xvsadm.L" 2>&1 || fail "xvsadm -Ln: $(cat "$SCRATCH/xvsadm.L")"
same_file "$SCRATCH/ipvsadm.L" "$SCRATCH/xvsadm.L" "xvsadm -Ln vs ipvsadm -Ln"
on dir ipvsadm -S -n >"$SCRATCH/ipvsadm.S"
on dir xvsadm --instance vmpesip -S -n >"$SCRATCH/xvsadm.S" 2>&1 || fail "xvsadm -Sn: $(cat "$SCRATCH/xvsadm.S")"
same_file "$SCRATCH/ipvsadm.S" "$SCRATCH/xvsadm.S" "xvsadm -Sn vs ipvsadm -Sn"
grep -q -- "--pe sip" "$SCRATCH/ipvsadm.S" || fail "ipvsadm -S has no --pe: $(tr '\n' '|' <"$SCRATCH/ipvsadm.S")"

check on dir xvsadm --instance vmpesip -E -u 192.168.0.105:5060 -s rr -p 60
on dir ipvsadm -Ln | grep -q "pe sip" && fail "xvsadm -E without --pe left the engine in the kernel"
check on dir xvsadm --instance vmpesip -E -u 192.168.0.105:5060 -s rr -p 60 --pe sip
on dir ipvsadm -Ln | grep -q "persistent 60 pe sip" || fail "xvsadm -E --pe sip did not set it: $(on dir ipvsadm -Ln | tr '\n' '|')"

got=$(on dir xvsadm --instance vmpesip -A -u 192.168.0.105:5070 -p 30 --pe rtsp 2>&1) && fail "--pe rtsp accepted"
[ "$got" = "Scheduler or persistence engine not found" ] || fail "--pe rtsp: $got"

xvsd_stop
exit 0
