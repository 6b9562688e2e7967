# Helpers sourced by the scenarios (busybox sh inside the VM).
#   fail "reason"        record the verdict reason and exit 1
#   check CMD...         run CMD, fail with its output if it fails
#   on NS CMD...         run CMD in network namespace NS
#   netns NAME...        create namespaces (lo up), deleted again at exit
#   httpd NS PORT DIR TEXT  serve TEXT as / on PORT from NS (killed at exit)
#   same_file A B WHAT   fail with a diff unless A and B are identical
#   seed_nat_topology    the seed's NAT network (see below)

CONF=/vmtest/conf
SCRATCH=$(mktemp -d)
NETNS=""
PIDS=""

cleanup() {
    for p in $PIDS; do kill "$p" 2>/dev/null; done
    for n in $NETNS; do ip netns del "$n" 2>/dev/null; done
    rm -rf "$SCRATCH"
}
trap cleanup EXIT

fail() {
    echo "$*" >"${VMTEST_REASON:-/dev/stderr}"
    echo "FAIL: $*" >&2
    exit 1
}

check() {
    out=$("$@" 2>&1) || fail "$* -> $out"
    [ -z "$out" ] || echo "$out"
}

on() {
    local where=$1
    shift
    ip netns exec "$where" "$@"
}

netns() {
    for n in "$@"; do
        ip netns add "$n" || fail "ip netns add $n"
        NETNS="$NETNS $n"
        ip -n "$n" link set lo up
    done
}

httpd() {
    local ns=$1 port=$2 dir=$SCRATCH/$3 text=$4
    mkdir -p "$dir"
    echo "$text" >"$dir/index.html"
    ip netns exec "$ns" busybox httpd -f -p "$port" -h "$dir" &
    PIDS="$PIDS $!"
}

same_file() {
    cmp -s "$1" "$2" && return 0
    echo "--- $3: expected (left) vs got (right)" >&2
    diff "$1" "$2" >&2
    fail "$3 differs: $(diff "$1" "$2" | grep '^[-+][^-+]' | head -3 | tr '\n' '|')"
}

# Waits until NS can fetch / from to ADDR:PORT (the server started in background).
wait_port() {
    local ns=$1 addr=$2 port=$3 try
    for try in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
        ip netns exec "$ns" curl -s -m 1 -o /dev/null "http://$addr:$port/" && return 0
        sleep 0.5
    done
    fail "nothing listens on $addr:$port in $ns"
}

# The seed's NAT network: client namespace cli with addresses 192.168.0.10-50
# (40 clients and one spare) -- director dir (VIP 192.168.0.105, DIP
# 192.168.239.130 towards each real) -- reals r1 192.168.239.129 and r2
# 192.168.239.133 with the director as gateway, each serving "This is webN
# with 80" on port 80 (plus check.html for a negotiate check) and "... with
# 8080" on port 8080. No rules: the scenario programs the director.
seed_nat_topology() {
    local n r ns addr i
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
        wait_port "$ns" "$addr" 8080
        n=$((n + 1))
    done
    for i in $(seq 10 50); do on cli ip addr add "192.168.0.$i/24" dev c0; done
    on cli ip link set c0 up
}

# Client 10.0.1.2 -- director (10.0.1.1, VIP 10.0.1.100) -- reals 10.0.2.11
# and 10.0.3.11, each on its own link; the reals hold the VIP themselves
# (on lo for DR, on tunl0 for TUN) without answering ARP for it, and route
# their replies through the director as a plain router.
vip_topology() {
    local mode=$1 n r ns net
    netns cli dir r1 r2
    ip link add c0 netns cli type veth peer name d0 netns dir || fail "veth cli"
    on cli ip addr add 10.0.1.2/24 dev c0
    on cli ip link set c0 up
    on cli ip route add default via 10.0.1.1
    on dir ip addr add 10.0.1.1/24 dev d0
    on dir ip addr add 10.0.1.100/32 dev d0
    on dir ip link set d0 up
    on dir sysctl -qw net.ipv4.ip_forward=1
    # Replies come back from the VIP, an address of the director itself.
    on dir sysctl -qw net.ipv4.conf.all.accept_local=1
    n=1
    for r in r1:2 r2:3; do
        ns=${r%%:*} net=${r#*:}
        ip link add e0 netns "$ns" type veth peer name "d$n" netns dir || fail "veth $ns"
        on dir ip addr add "10.0.$net.1/24" dev "d$n"
        on dir ip link set "d$n" up
        on "$ns" ip addr add "10.0.$net.11/24" dev e0
        on "$ns" ip link set e0 up
        on "$ns" ip route add default via "10.0.$net.1"
        on "$ns" sysctl -qw net.ipv4.conf.all.arp_ignore=1
        on "$ns" sysctl -qw net.ipv4.conf.all.arp_announce=2
        if [ "$mode" = tun ]; then
            on "$ns" ip link set tunl0 up
            on "$ns" ip addr add 10.0.1.100/32 dev tunl0
            on "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0
            on "$ns" sysctl -qw net.ipv4.conf.tunl0.rp_filter=0
        else
            on "$ns" ip addr add 10.0.1.100/32 dev lo
        fi
        httpd "$ns" 80 "w$n" "This is web$n"
        wait_port "$ns" "10.0.$net.11" 80
        n=$((n + 1))
    done
}

# Ten requests to the VIP; both reals must answer (rr).
expect_both_reals() {
    local a i
    web1=0
    web2=0
    for i in 1 2 3 4 5 6 7 8 9 10; do
        a=$(on cli curl -s -m 5 http://10.0.1.100/) || fail "curl to the VIP failed (request $i)"
        case "$a" in "This is web1") web1=$((web1 + 1)) ;; "This is web2") web2=$((web2 + 1)) ;; *) fail "unexpected answer: $a" ;; esac
    done
    echo "10 requests: web1=$web1 web2=$web2"
    [ "$web1" = 5 ] && [ "$web2" = 5 ] || fail "rr should alternate: web1=$web1 web2=$web2"
}
