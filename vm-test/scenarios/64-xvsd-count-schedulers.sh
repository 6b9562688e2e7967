# wlc (with an upper threshold) and nq pick the same real for every
# connection on XDP as the kernel's IPVS does: one scripted pattern of
# connections opened, held open and closed runs through IPVS programmed by
# xvsd --dataplane ipvs, then through xvsd --dataplane xdp, and the real of
# each connection must be the same. The reals hold every connection open
# (busybox nc -ll), so ActiveConn and InActConn are what the pattern made.
. /vmtest/lib.sh
. /vmtest/xvsd_lib.sh
vip_topology dr
# A third real, as vip_topology makes the other two.
netns r3
ip link add e0 netns r3 type veth peer name d3 netns dir || fail "veth r3"
on dir ip addr add 10.0.4.1/24 dev d3
on dir ip link set d3 up
on r3 ip addr add 10.0.4.11/24 dev e0
on r3 ip link set e0 up
on r3 ip route add default via 10.0.4.1
on r3 sysctl -qw net.ipv4.conf.all.arp_ignore=1
on r3 sysctl -qw net.ipv4.conf.all.arp_announce=2
on r3 ip addr add 10.0.1.100/32 dev lo
xdp_veths
check on dir ethtool -K d3 tx off >/dev/null
check on r3 ethtool -K e0 tx off >/dev/null
check on r3 ip link set dev e0 xdpdrv obj /vmtest/xdp_pass.bpf.o sec xdp

# Each real answers a connection with its name and holds it until the client closes.
for n in 1 2 3; do
    printf '#!/bin/sh\necho web%s\nexec cat >/dev/null\n' "$n" >"$SCRATCH/hold$n.sh"
    chmod +x "$SCRATCH/hold$n.sh"
    for port in 81 82; do
        ip netns exec "r$n" busybox nc -ll -p "$port" -e "$SCRATCH/hold$n.sh" &
        PIDS="$PIDS $!"
    done
done
# The clients' stdin: a FIFO opened read-write never ends, so each nc holds
# its connection until it is killed (which closes it with a FIN).
mkfifo "$SCRATCH/idle"

# o: open the next connection and wait for its real's name; cN: close
# connection N. Prints "PORT N webK" per connection opened.
PATTERN="o o o o o o c2 c5 o o o c1 o o"
run_pattern() {
    local port=$1 plane=$2 n=0 step i pid
    for step in $PATTERN; do
        if [ "$step" = o ]; then
            n=$((n + 1))
            ip netns exec cli busybox nc 10.0.1.100 "$port" <>"$SCRATCH/idle" >"$SCRATCH/$plane.$port.$n" 2>&1 &
            pid=$!
            PIDS="$PIDS $pid"
            eval "conn_$n=$pid"
            for i in $(seq 1 50); do
                grep -q '^web' "$SCRATCH/$plane.$port.$n" && break
                sleep 0.1
            done
            grep -q '^web' "$SCRATCH/$plane.$port.$n" || fail "$plane: connection $n to port $port got no answer"
            echo "$port $n $(cat "$SCRATCH/$plane.$port.$n")"
        else
            eval "pid=\$conn_${step#c}"
            kill "$pid"
            wait "$pid" 2>/dev/null
            sleep 0.2  # the FIN reaches the director before the next SYN
        fi
    done
}
# Closes what a pattern left open.
close_all() {
    local n pid
    for n in $(seq 1 20); do
        eval "pid=\${conn_$n:-}"
        [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
        eval "conn_$n="
    done
}

for plane in ipvs xdp; do
    xvsd_start dir $CONF/count-schedulers.cf "vmcount$plane" --dataplane "$plane"
    for port in 81 82; do
        run_pattern "$port" "$plane" >>"$SCRATCH/$plane.reals"
        close_all
    done
    [ "$plane" = ipvs ] && on dir ipvsadm -Ln
    on dir xvsadm --instance "vmcount$plane" -L -n
    xvsd_stop
done
cat "$SCRATCH/ipvs.reals"
[ "$(wc -l <"$SCRATCH/ipvs.reals")" = 22 ] || fail "IPVS answered $(wc -l <"$SCRATCH/ipvs.reals") connections of 22"
same_file "$SCRATCH/ipvs.reals" "$SCRATCH/xdp.reals" "the real of each connection on XDP against IPVS"
exit 0
