# The seed's NAT firewall-mark service, programmed through IpvsDataplane
# (ipvs_vm_driver) and checked against what ipvsadm itself creates; then
# traffic from 40 client addresses, a quiesced real and a removed real.
. /vmtest/lib.sh

seed_nat_topology

# --- the rules read exactly as ipvsadm's own --------------------------------
check on dir ipvs_vm_driver apply - $CONF/nat-fwmark.cf
on dir ipvsadm -Ln >"$SCRATCH/xvs.L" || fail "ipvsadm -Ln"
on dir ipvsadm -Sn >"$SCRATCH/xvs.S" || fail "ipvsadm -Sn"
check on dir ipvsadm -C
check on dir ipvsadm -A -f 100 -s wrr -p 600
check on dir ipvsadm -a -f 100 -r 192.168.239.129 -m -w 1
check on dir ipvsadm -a -f 100 -r 192.168.239.133 -m -w 2
on dir ipvsadm -Ln >"$SCRATCH/ipvsadm.L"
on dir ipvsadm -Sn >"$SCRATCH/ipvsadm.S"
cat "$SCRATCH/xvs.L"
same_file "$SCRATCH/ipvsadm.L" "$SCRATCH/xvs.L" "ipvsadm -Ln"
same_file "$SCRATCH/ipvsadm.S" "$SCRATCH/xvs.S" "ipvsadm -Sn"
grep -q "^FWM  100 wrr persistent 600$" "$SCRATCH/xvs.L" || fail "service line: $(sed -n 4p "$SCRATCH/xvs.L")"
check on dir ipvsadm -C
check on dir ipvs_vm_driver apply - $CONF/nat-fwmark.cf
on dir nft list table inet xvs_vmtest | grep -q "tcp dport 8080 meta mark set 0x00000064" ||
    fail "mark rule for port 8080 missing: $(on dir nft list ruleset 2>&1 | tr '\n' ' ')"

# --- traffic: same real on both ports, ~1:2 split --------------------------
web1=0
web2=0
for i in $(seq 10 49); do
    a=$(on cli curl -s -m 5 --interface "192.168.0.$i" http://192.168.0.105/) || fail "curl 192.168.0.$i port 80 failed"
    b=$(on cli curl -s -m 5 --interface "192.168.0.$i" http://192.168.0.105:8080/) || fail "curl 192.168.0.$i port 8080 failed"
    case "$a" in "This is web1 with 80") web=web1 ;; "This is web2 with 80") web=web2 ;; *) fail "client $i port 80 got: $a" ;; esac
    [ "$b" = "This is $web with 8080" ] || fail "client $i: port 80 on $web but port 8080 got: $b"
    [ "$web" = web1 ] && web1=$((web1 + 1)) || web2=$((web2 + 1))
done
echo "40 clients: web1=$web1 web2=$web2"
# wrr with weights 1 and 2 hands out web2, web1, web2, ...: 13 and 27.
[ "$web1" -ge 11 ] && [ "$web1" -le 15 ] || fail "wrr 1:2 split expected, got web1=$web1 web2=$web2"

# --- health: quiescent (weight 0), then removed ------------------------------
check on dir ipvs_vm_driver apply $CONF/nat-fwmark.cf $CONF/nat-fwmark-quiesced.cf
on dir ipvsadm -Ln | grep -Eq "^  -> 192\.168\.239\.129:0 +Masq +0 " || fail "weight 0 not listed: $(on dir ipvsadm -Ln | tr '\n' '|')"
a=$(on cli curl -s -m 5 --interface 192.168.0.50 http://192.168.0.105/)
[ "$a" = "This is web2 with 80" ] || fail "a new client reached a quiesced real: $a"
check on dir ipvs_vm_driver apply $CONF/nat-fwmark-quiesced.cf $CONF/nat-fwmark-removed.cf
on dir ipvsadm -Ln | grep -q "192.168.239.129" && fail "removed real still listed: $(on dir ipvsadm -Ln | tr '\n' '|')"
on dir ipvsadm -Ln | grep -Eq "^  -> 192\.168\.239\.133:0 +Masq +2 " || fail "web2 lost"

# --- clean stop: everything xvs made goes, strangers stay -------------------
check on dir ipvsadm -A -t 10.9.9.9:22 -s rr
check on dir ipvs_vm_driver clear $CONF/nat-fwmark-removed.cf
on dir ipvsadm -Ln | grep -q "FWM  100" && fail "service left after clear"
on dir ipvsadm -Ln | grep -q "TCP  10.9.9.9:22 rr" || fail "a service xvs did not create was removed"
on dir nft list tables | grep -q xvs_vmtest && fail "mark table left after clear"
exit 0
