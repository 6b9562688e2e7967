# The real daemon with --dataplane ipvs on the seed's configuration: rules as
# ipvsadm would make them, xvsadm -Ln identical to ipvsadm -Ln, traffic split
# 1:2 with both ports on one real; SIGTERM stops it cleanly (cleanstop=yes
# removes its rules).
. /vmtest/lib.sh
. /vmtest/xvsd_lib.sh

netns cli dir r1 r2
ip link add c0 netns cli type veth peer name d0 netns dir || fail "veth cli"
ip link add e0 netns r1 type veth peer name d1 netns dir || fail "veth r1"
ip link add e0 netns r2 type veth peer name d2 netns dir || fail "veth r2"
on dir ip addr add 192.168.0.105/24 dev d0
on dir ip addr add 192.168.239.130/32 dev d1
on dir ip addr add 192.168.239.130/32 dev d2
for i in d0 d1 d2; do on dir ip link set "$i" up; done
on dir ip route add 192.168.239.129/32 dev d1
on dir ip route add 192.168.239.133/32 dev d2
on dir sysctl -qw net.ipv4.ip_forward=1
n=1
for r in r1:192.168.239.129 r2:192.168.239.133; do
    ns=${r%%:*} addr=${r#*:}
    on "$ns" ip addr add "$addr/24" dev e0
    on "$ns" ip link set e0 up
    on "$ns" ip route add default via 192.168.239.130
    httpd "$ns" 80 "w$n-80" "This is web$n with 80"
    echo "This web is OK" >"$SCRATCH/w$n-80/check.html"
    httpd "$ns" 8080 "w$n-8080" "This is web$n with 8080"
    wait_port "$ns" "$addr" 80
    n=$((n + 1))
done
for i in $(seq 10 49); do on cli ip addr add "192.168.0.$i/24" dev c0; done
on cli ip link set c0 up

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

xvsd_stop
[ -z "$(on dir ipvsadm -Ln | grep '^FWM')" ] || fail "cleanstop=yes left rules: $(on dir ipvsadm -Ln | tr '\n' '|')"

exit 0
