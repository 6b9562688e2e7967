# The real daemon with --dataplane ipvs on the seed's configuration: rules as
# ipvsadm would make them, xvsadm -Ln identical to ipvsadm -Ln, traffic split
# 1:2 with both ports on one real; xvsadm -Z -t zeroes one service as
# ipvsadm does; xvsadm --set sets IPVS's timeouts; SIGTERM stops it cleanly (cleanstop=yes removes its rules).
. /vmtest/lib.sh
. /vmtest/xvsd_lib.sh

seed_nat_topology

# Set by hand before xvsd starts: the file (its default 0) wins.
on dir sh -c "echo 1 >/proc/sys/net/ipv4/vs/sloppy_tcp" || fail "cannot set sloppy_tcp by hand"
xvsd_start dir $CONF/seed-daemon.cf vmseed --dataplane ipvs
listing_has() {
    local try
    for try in $(seq 1 40); do
        on dir ipvsadm -Ln | grep -Eq "$1" && return 0
        sleep 0.5
    done
    cat "$XVSD_LOG"
    fail "$2: $(on dir ipvsadm -Ln | tr '\n' '|')"
}
listing_has "^  -> 192\.168\.239\.133:0 +Masq +2 " "xvsd did not program web2"
listing_has "^  -> 192\.168\.239\.129:0 +Masq +1 " "xvsd did not program web1"

on dir ipvsadm -Ln >"$SCRATCH/xvsd.L"
cat > "$SCRATCH/expected.L" <<'LIST'
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
FWM  100 wrr persistent 600
  -> 192.168.239.129:0            Masq    1      0          0         
  -> 192.168.239.133:0            Masq    2      0          0         
LIST
tail -n +2 "$SCRATCH/xvsd.L" >"$SCRATCH/xvsd.L.body"
same_file "$SCRATCH/expected.L" "$SCRATCH/xvsd.L.body" "ipvsadm -Ln after xvsd"
on dir xvsadm --instance vmseed -L -n >"$SCRATCH/xvsadm.L" 2>&1 || fail "xvsadm -Ln: $(cat "$SCRATCH/xvsadm.L")"
same_file "$SCRATCH/xvsd.L" "$SCRATCH/xvsadm.L" "xvsadm -Ln vs ipvsadm -Ln"

web1=0
for i in $(seq 10 49); do
    a=$(on cli curl -s -m 5 --interface "192.168.0.$i" http://192.168.0.105/) || fail "curl 192.168.0.$i:80"
    b=$(on cli curl -s -m 5 --interface "192.168.0.$i" http://192.168.0.105:8080/) || fail "curl 192.168.0.$i:8080"
    [ "${a% with 80}" = "${b% with 8080}" ] || fail "client $i split across reals: $a / $b"
    [ "$a" = "This is web1 with 80" ] && web1=$((web1 + 1))
done
echo "40 clients: web1=$web1"
[ "$web1" -ge 11 ] && [ "$web1" -le 15 ] || fail "wrr 1:2 split expected, web1=$web1 of 40"

# --- xvsadm -Z -t: one service zeroed, the other untouched ------------------
# A service nobody serves: ipvsadm's own answer from this kernel is the reference.
want=$(on dir ipvsadm -Z -t 192.168.0.200:80 2>&1)
want_rc=$?
got=$(on dir xvsadm --instance vmseed -Z -t 192.168.0.200:80 2>&1)
got_rc=$?
[ "$got" = "$want" ] && [ "$got_rc" = "$want_rc" ] ||
    fail "xvsadm -Z of an unknown service: '$got' ($got_rc), ipvsadm: '$want' ($want_rc)"
echo "unknown service: '$got' exit $got_rc, as ipvsadm"

# The Conns column of one line of ipvsadm -Ln --stats ("TCP" "VIP:PORT", "->" "REAL:PORT").
conns() {
    on dir ipvsadm -Ln --stats | awk -v a="$1" -v b="$2" '$1 == a && $2 == b { print $3; exit }'
}
# IPVS sums its per-CPU counters on its 2 s estimator tick: waits for WANT.
wait_conns() {
    local try
    for try in $(seq 1 20); do
        [ "$(conns "$1" "$2")" = "$3" ] && return 0
        sleep 0.5
    done
    fail "$4: $(on dir ipvsadm -Ln --stats | tr '\n' '|')"
}
check on dir xvsadm --instance vmseed -A -t 192.168.0.105:81 -s rr
check on dir xvsadm --instance vmseed -a -t 192.168.0.105:81 -r 192.168.239.129:80 -m
for i in 10 11 12; do
    a=$(on cli curl -s -m 5 --interface "192.168.0.$i" http://192.168.0.105:81/) || fail "curl 192.168.0.$i:81"
    [ "$a" = "This is web1 with 80" ] || fail "port 81 answered: $a"
done
wait_conns TCP 192.168.0.105:81 3 "3 connections expected on :81"
fwm_before=$(conns FWM 100)
[ "${fwm_before:-0}" -gt 0 ] || fail "no connections counted on FWM 100"
check on dir xvsadm --instance vmseed -Z -t 192.168.0.105:81
wait_conns TCP 192.168.0.105:81 0 "xvsadm -Z -t left the service's counters"
wait_conns '->' 192.168.239.129:80 0 "xvsadm -Z -t left the real's counters"
# Past an estimator tick, so that a wrong zero would show by now.
sleep 2.5
[ "$(conns TCP 192.168.0.105:81)" = 0 ] || fail "the zeroed service counts again: $(on dir ipvsadm -Ln --stats | tr '\n' '|')"
[ "$(conns FWM 100)" = "$fwm_before" ] || fail "xvsadm -Z -t touched FWM 100: $(on dir ipvsadm -Ln --stats | tr '\n' '|')"
echo "xvsadm -Z -t 192.168.0.105:81 zeroed it; FWM 100 kept $fwm_before connections"

# --- xvsadm --set: IPVS's own timeouts, as ipvsadm --set sets them ---------
check on dir xvsadm --instance vmseed --set 100 0 30
got=$(on dir ipvsadm -L --timeout)
[ "$got" = "Timeout (tcp tcpfin udp): 100 120 30" ] || fail "ipvsadm -L --timeout after xvsadm --set: $got"
got=$(on dir xvsadm --instance vmseed -L --timeout)
[ "$got" = "Timeout (tcp tcpfin udp): 100 120 30" ] || fail "xvsadm -L --timeout: $got"
echo "xvsadm --set 100 0 30: the kernel's timeouts are 100 120 30"
# The file's switches, and the defaults of those it does not set, even over
# values set by hand before xvsd started.
for want in expire_quiescent_template=1 conn_reuse_mode=3 expire_nodest_conn=0 sloppy_tcp=0; do
    got=$(on dir cat "/proc/sys/net/ipv4/vs/${want%=*}")
    [ "$got" = "${want#*=}" ] || fail "$want expected, the kernel's sysctl says $got"
done

xvsd_stop
[ -z "$(on dir ipvsadm -Ln | grep -E '^(FWM|TCP)')" ] || fail "cleanstop=yes left rules: $(on dir ipvsadm -Ln | tr '\n' '|')"

exit 0
