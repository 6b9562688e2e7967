# Helpers for the scenarios that run xvsd on the XDP plane (sourced after
# lib.sh, busybox sh).
#   xdp_veths            checksum offload off on every veth of vip_topology,
#                        XDP_PASS on the reals' ends (they receive frames the
#                        director redirects with XDP)
#   xvsd_start NS CONF INSTANCE [FLAGS]  start xvsd in NS, wait until it serves
#   xvsd_stop            SIGTERM; xvsd must exit 0 after its clean stop

xdp_veths() {
    local i ns
    for i in d0 d1 d2; do check on dir ethtool -K "$i" tx off >/dev/null; done
    check on cli ethtool -K c0 tx off >/dev/null
    for ns in r1 r2; do
        check on "$ns" ethtool -K e0 tx off >/dev/null
        check on "$ns" ip link set dev e0 xdpdrv obj /vmtest/xdp_pass.bpf.o sec xdp
    done
}

XVSD=""
XVSD_LOG=$SCRATCH/xvsd.log
xvsd_start() {
    local ns=$1 conf=$2 instance=$3 try
    shift 3
    # Started by ip netns exec itself, not through a shell function such as
    # `on`: busybox sh would run the function in a forked subshell, $! would
    # be that shell, and SIGTERM would kill the shell (exit 143) while xvsd
    # went on running without its clean stop.
    ip netns exec "$ns" xvsd -f "$conf" --foreground --instance "$instance" "$@" >"$XVSD_LOG" 2>&1 &
    XVSD=$!
    PIDS="$PIDS $XVSD"
    for try in $(seq 1 60); do
        grep -q "serving .* data plane" "$XVSD_LOG" && { cat "$XVSD_LOG"; return 0; }
        kill -0 "$XVSD" 2>/dev/null || break
        sleep 0.5
    done
    cat "$XVSD_LOG"
    fail "xvsd did not start: $(tail -5 "$XVSD_LOG" | tr '\n' '|')"
}

xvsd_stop() {
    local rc
    kill -TERM "$XVSD" || fail "xvsd is gone before SIGTERM: $(tail -5 "$XVSD_LOG" | tr '\n' '|')"
    wait "$XVSD"
    rc=$?
    cat "$XVSD_LOG"
    [ "$rc" = 0 ] || fail "xvsd exited $rc on SIGTERM instead of 0: $(tail -3 "$XVSD_LOG" | tr '\n' '|')"
    grep -q "cleanstop: " "$XVSD_LOG" || fail "no clean stop in the log: $(tail -3 "$XVSD_LOG" | tr '\n' '|')"
}
