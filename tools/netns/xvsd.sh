# Running xvsd and xvsadm for a test topology (sourced, bash; needs lib.sh).
# XVS_BUILD must name the build directory.

# xvsd_start_or_exit NS CONFIG INSTANCE LOG [XVSD_ARG...]: xvsd_start, or the
# daemon's log file on stderr and exit 1 (a scenario cannot go on without its
# director).
xvsd_start_or_exit() {
    local log=$4
    xvsd_start "$1" "$2" "$3" "${@:5}" && return 0
    cat "$log" >&2 || true
    exit 1
}

# xvsd_start NS CONFIG INSTANCE [XVSD_ARG...]: xvsd in the foreground
# (background job) in NS with the extra arguments, waits (up to 60 s) until its
# control socket answers. Stopped with SIGTERM at cleanup.
xvsd_start() {
    local ns=$1 config=$2 instance=$3 i
    shift 3
    XVSD_INSTANCE=$instance
    # nsenter, not `ip netns exec`: the latter gives every invocation a mount
    # namespace of its own with a fresh /sys, so the bpffs xvsd mounts there
    # (and its pinned maps) would vanish with the process, and a restarted
    # daemon could not adopt them. Entering only the network namespace keeps
    # the pins where a real director keeps them.
    nsenter --net="/run/netns/$ns" -- "$XVS_BUILD/src/daemon/xvsd" -f "$config" --foreground \
        --instance "$instance" "$@" &
    XVSD_PID=$!
    NETNS_PIDS+=("$XVSD_PID")
    for i in $(seq 600); do
        if "$XVS_BUILD/src/cli/xvsadm" --instance "$instance" -Ln >/dev/null 2>&1; then
            return 0
        fi
        if ! kill -0 "$XVSD_PID" 2>/dev/null; then
            netns_log "xvsd exited during start"
            return 1
        fi
        sleep 0.1
    done
    netns_log "xvsd did not answer on its control socket"
    return 1
}

xvsadm() { "$XVS_BUILD/src/cli/xvsadm" "$@"; }

# xvsd_stop: SIGTERM and wait, so cleanstop runs before the namespaces go.
xvsd_stop() {
    if [ -n "${XVSD_PID:-}" ] && kill -0 "$XVSD_PID" 2>/dev/null; then
        kill -TERM "$XVSD_PID" || true
        wait "$XVSD_PID" 2>/dev/null || true
    fi
    XVSD_PID=
    # The run directory keeps its lock file after a clean exit; a test's
    # instance is never reused, so remove it.
    # cleanstop=no leaves the pinned maps behind on purpose; a test's are
    # removed here.
    if [ -n "${XVSD_INSTANCE:-}" ]; then
        rm -rf "/run/xvs/$XVSD_INSTANCE" "/sys/fs/bpf/xvs/$XVSD_INSTANCE" "/var/lib/xvs/$XVSD_INSTANCE"
    fi
    XVSD_INSTANCE=
}

# scenario_begin NAME: what every xvsd scenario starts with: a work directory
# ($work), an instance name unique to this run ($instance), the XDP_PASS
# object for receiving veth ends ($xdp_pass), and a trap that stops xvsd and
# removes the namespaces and the work directory at exit, even on failure.
scenario_begin() {
    work=$(mktemp -d "/tmp/xvs-$1-$$-XXXX")
    instance=$1-$$
    xdp_pass="$XVS_BUILD/bpf/xdp_pass.bpf.o"
    trap scenario_end EXIT
    [ -f "$xdp_pass" ] || { echo "missing $xdp_pass (build first)" >&2; exit 1; }
}

scenario_end() {
    set +e
    xvsd_stop
    netns_cleanup
    rm -rf "$work"
}

# A scenario's checks: `fail MESSAGE` reports one and counts it;
# scenario_verdict TITLE ends the scenario: with xvsd's log ($work/xvsd.log)
# and exit 1 when a check failed, else "TITLE: all checks passed".
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
scenario_verdict() {
    if [ "$failures" -ne 0 ]; then
        echo "--- xvsd log" >&2
        cat "$work/xvsd.log" >&2 || true
        echo "$1: $failures check(s) failed" >&2
        exit 1
    fi
    echo "$1: all checks passed"
}
