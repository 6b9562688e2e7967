# Helpers for test topologies in network namespaces (sourced, bash).
#
# Everything created through these helpers is recorded and removed by
# netns_cleanup, which callers install with `trap netns_cleanup EXIT` before
# creating anything. Names come from the caller and must be unique per run
# (include $$).
#
# Two traps of veth + XDP (docs/architecture.md): every veth gets `ethtool -K tx off`
# (partial checksums cannot be completed by an XDP rewrite), and every veth end
# that receives XDP_TX'd or redirected frames must run an XDP program
# (netns_xdp_pass).

NETNS_CREATED=()
NETNS_PIDS=()

netns_log() { echo "[netns] $*" >&2; }

# netns_add NAME: a namespace with loopback up.
netns_add() {
    ip netns add "$1"
    NETNS_CREATED+=("$1")
    ip -n "$1" link set lo up
}

# netns_veth NS1 IF1 NS2 IF2: a veth pair between two namespaces, both ends up,
# TX checksum offload off on both.
netns_veth() {
    ip -n "$1" link add "$2" type veth peer name "$4" netns "$3"
    ip -n "$1" link set "$2" up
    ip -n "$3" link set "$4" up
    ip netns exec "$1" ethtool -K "$2" tx off >/dev/null
    ip netns exec "$3" ethtool -K "$4" tx off >/dev/null
}

# netns_xdp_pass NS IF OBJECT: attach the trivial XDP_PASS program (native).
netns_xdp_pass() {
    ip -n "$1" link set dev "$2" xdpdrv obj "$3" sec xdp
}

# netns_bg NS COMMAND...: run COMMAND in NS in the background; killed at cleanup.
netns_bg() {
    local ns=$1
    shift
    ip netns exec "$ns" "$@" &
    NETNS_PIDS+=($!)
}

# netns_steady_client NS URL OUT STOP: from NS, a new connection to URL every
# 0.1 s until the file STOP exists, one line per answer in OUT ("(no answer)"
# when none came within 2 s); its PID in $client_pid (also in NETNS_PIDS).
netns_steady_client() {
    local ns=$1 url=$2 out=$3 stop=$4
    (
        while [ ! -e "$stop" ]; do
            ip netns exec "$ns" curl -s --connect-timeout 0.9 --max-time 2 "$url" || echo "(no answer)"
            sleep 0.1
        done
    ) >"$out" &
    client_pid=$!
    NETNS_PIDS+=("$client_pid")
}

# netns_httpd NS ADDR PORT TEXT DIR: busybox httpd on ADDR:PORT answering TEXT
# (its own document root DIR, so several ports can answer differently).
netns_httpd() {
    local listen="$2:$3"
    case "$2" in *:*) listen="[$2]:$3" ;; esac
    mkdir -p "$5"
    echo "$4" >"$5/index.html"
    netns_bg "$1" busybox httpd -f -p "$listen" -h "$5"
}

# netns_addr NS ADDR/PLEN DEV: add an address, without IPv6 duplicate address
# detection (which would delay its use for a second or two).
netns_addr() {
    case "$2" in
        *:*) ip -n "$1" addr add "$2" dev "$3" nodad ;;
        *) ip -n "$1" addr add "$2" dev "$3" ;;
    esac
}

# netns_wait_port NS ADDR PORT: wait (up to 10 s) until something listens.
netns_wait_port() {
    local i
    for i in $(seq 100); do
        if ip netns exec "$1" busybox nc -z "$2" "$3" 2>/dev/null ||
            ip netns exec "$1" bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    netns_log "nothing listens on $2:$3 in $1"
    return 1
}

netns_cleanup() {
    set +e  # best effort: one failure must not leave the rest behind
    local pid ns
    for pid in "${NETNS_PIDS[@]}"; do
        kill "$pid" 2>/dev/null
    done
    for pid in "${NETNS_PIDS[@]}"; do
        wait "$pid" 2>/dev/null
    done
    NETNS_PIDS=()
    for ns in "${NETNS_CREATED[@]}"; do
        ip netns del "$ns" 2>/dev/null
    done
    NETNS_CREATED=()
}

# netns_web_reals PREFIX MIB BIND ADDR...: a random file of MIB MiB in
# $work/big (its sha256 in $want), and for the n-th ADDR a busybox httpd in
# namespace ${PREFIX}r<n> serving $work/web<n>: "This is web<n>" and the file
# as /big. BIND "any": it listens on port 80 of every address (a DR real
# answers for the VIP it holds on lo); "addr": on ADDR:80 only. Returns once
# each answers on ADDR:80.
netns_web_reals() {
    local p=$1 mib=$2 bind=$3 n=1 addr
    shift 3
    head -c "${mib}M" /dev/urandom >"$work/big"
    want=$(sha256sum <"$work/big" | cut -d' ' -f1)
    for addr in "$@"; do
        mkdir -p "$work/web$n"
        echo "This is web$n" >"$work/web$n/index.html"
        ln "$work/big" "$work/web$n/big"
        if [ "$bind" = any ]; then
            netns_bg "${p}r$n" busybox httpd -f -p 80 -h "$work/web$n"
        else
            netns_bg "${p}r$n" busybox httpd -f -p "$addr:80" -h "$work/web$n"
        fi
        n=$((n + 1))
    done
    n=1
    for addr in "$@"; do
        netns_wait_port "${p}r$n" "$addr" 80
        n=$((n + 1))
    done
}

# netns_check_download PID FILE SHA256: waits for the curl download PID and
# reports through the caller's `fail` unless curl exited 0 and FILE has the
# expected SHA256 (the transfer survived whatever the scenario did meanwhile).
netns_check_download() {
    local rc=0 got
    wait "$1" || rc=$?
    [ "$rc" -eq 0 ] || fail "the download failed (curl exit $rc)"
    got=$(sha256sum <"$2" | cut -d' ' -f1)
    [ "$got" = "$3" ] || fail "the download is corrupt ($(stat -c %s "$2" 2>/dev/null || echo 0) bytes)"
}
