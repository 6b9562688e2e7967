#!/usr/bin/env bash
# GET /metrics under load does not hold up the daemon (XDP plane in generic
# mode on a veth of a namespace; no traffic needed):
#
#   1,000 virtual services x 100 reals (generated, checktype=on: no probes),
#   plus one virtual whose real is checked (checktype=connect) against a
#   busybox httpd in the namespace.
#
# While 16 scrapers loop on /metrics and 40 slow readers send their request
# and never read:
# 1. xvsadm -Ln answers, every time, within 30 s;
# 2. the checked real's server is stopped: the real leaves the listing
#    (quiescent=no) while the scrapes go on;
# 3. xvsd's VmRSS stays under a bound (one body is ~40 MB; a copy per client
#    would be ~2 GB with this many readers);
# 4. the slow readers are closed by xvsd (reset: their connections go) after
#    its response timeout;
# 5. a last scrape still has every real's series.
# Every wait polls with a deadline; no timing is asserted.
#
# Usage: metrics_load.sh BUILD_DIR     (root; non-zero exit on failure)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
netns_dir=$(cd "$here/../../tools/netns" && pwd)
XVS_BUILD=$(cd "${1:?usage: metrics_load.sh BUILD_DIR}" && pwd)
source "$netns_dir/lib.sh"
source "$netns_dir/xvsd.sh"

p=xm$$
scenario_begin metrics-load
fail() {
    echo "FAIL: $*" >&2
    tail -n 20 "$work/xvsd.log" >&2 || true
    exit 1
}

services=1000 reals_per_service=100 scrapers=16 slow_readers=40
port=9918 checked=10.254.0.1
rss_bound_kb=$((1024 * 1024))  # 1 GiB

netns_add "${p}d"
ip -n "${p}d" link add d0 type veth peer name d1
ip -n "${p}d" link set d0 up
ip -n "${p}d" link set d1 up
netns_addr "${p}d" 10.254.0.254/24 d0
netns_addr "${p}d" "$checked/32" d0
netns_httpd "${p}d" "$checked" 80 ok "$work/www"
httpd_pid=${NETNS_PIDS[-1]}
netns_wait_port "${p}d" "$checked" 80

{
    echo "interface=d0"
    echo "dataplane=xdp"
    echo "xdp-mode=generic"
    echo "logfile=\"$work/xvsd.log\""
    echo "metrics=127.0.0.1:$port"
    echo "checkinterval=1"
    echo "checktimeout=1"
    echo "quiescent=no"
    echo "virtual=10.253.0.1:80"
    echo "    real=$checked:80 gate 1"
    echo "    scheduler=rr"
    echo "    checktype=connect"
    for ((s = 0; s < services; s++)); do
        echo "virtual=10.1.$((s / 250)).$((s % 250 + 1)):80"
        for ((r = 0; r < reals_per_service; r++)); do
            echo "    real=10.2.$((r / 250)).$((r % 250 + 1)):80 gate 1"
        done
        echo "    scheduler=rr"
        echo "    checktype=on"
    done
} >"$work/xvsd.cf"

netns_log "starting xvsd with $services x $reals_per_service reals (instance $instance)"
xvsd_start_or_exit "${p}d" "$work/xvsd.cf" "$instance" "$work/xvsd.log" --max-reals 131072
listed() { timeout 30 "$XVS_BUILD/src/cli/xvsadm" --instance "$instance" -Ln; }
for i in $(seq 100); do
    listed | grep -q -- "-> $checked:80" && break
    [ "$i" -lt 100 ] || fail "the checked real never came up"
    sleep 0.2
done

in_ns() { ip netns exec "${p}d" "$@"; }
url="http://127.0.0.1:$port/metrics"
for ((i = 0; i < slow_readers; i++)); do
    # Sends its request and sleeps with the socket open, never reading.
    netns_bg "${p}d" bash -c "exec 3<>/dev/tcp/127.0.0.1/$port; printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3; exec sleep 600"
done
slow_left() { in_ns ss -tnpH state established "( dport = :$port )" | grep -c '"sleep"' || true; }
for i in $(seq 100); do
    [ "$(slow_left)" -eq "$slow_readers" ] && break
    [ "$i" -lt 100 ] || fail "only $(slow_left) of $slow_readers slow readers connected"
    sleep 0.1
done
for ((i = 0; i < scrapers; i++)); do
    # Half of them ask for gzip, as Prometheus does. At the lowest priority:
    # a director's scrapers run elsewhere, these share its CPUs and would
    # otherwise measure the machine, not xvsd.
    gzip=$([ $((i % 2)) -eq 1 ] && echo --compressed || true)
    netns_bg "${p}d" nice -n 19 bash -c "while :; do curl -s $gzip -o /dev/null --max-time 60 -w '%{http_code}\n' '$url' >>'$work/codes.$i'; done"
done
rss_max=0
sample_rss() {
    local rss
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$XVSD_PID/status")
    [ "$rss" -gt "$rss_max" ] && rss_max=$rss
    [ "$rss" -lt "$rss_bound_kb" ] || fail "xvsd's VmRSS is $rss kB, over $rss_bound_kb kB"
}

netns_log "1. xvsadm -Ln answers while $scrapers scrapers and $slow_readers slow readers run"
for i in $(seq 3); do
    listed >/dev/null || fail "xvsadm -Ln did not answer within 30 s under scrapes ($i)"
    sample_rss
    sleep 1
done

netns_log "2. the checked real fails: it leaves the listing while the scrapes go on"
kill "$httpd_pid"
for i in $(seq 60); do
    out=$(listed) || fail "xvsadm -Ln did not answer within 30 s under scrapes"
    grep -q -- "-> $checked:80" <<<"$out" || break
    [ "$i" -lt 60 ] || fail "the failed real is still listed after 30 s"
    sample_rss
    sleep 0.5
done
grep -q "real $checked:80 up -> down" "$work/xvsd.log" || fail "the log does not say the real went down"

netns_log "3./4. VmRSS bounded; the slow readers are closed by xvsd"
for i in $(seq 90); do
    left=$(slow_left)
    [ "$left" -eq 0 ] && break
    [ "$i" -lt 90 ] || fail "$left of $slow_readers slow readers are still connected after 45 s more"
    sample_rss
    sleep 0.5
done
netns_log "max VmRSS ${rss_max} kB; every slow reader was closed"

netns_log "5. scrapes got answers; a last one has every real"
# The scrapers run at nice 19: on a busy machine their first answers may
# still be on the way (each scrape has 60 s).
for i in $(seq 120); do
    cat "$work"/codes.* 2>/dev/null | grep -qx 200 && break
    [ "$i" -lt 120 ] || fail "no scrape got 200 within 60 s more"
    sleep 0.5
done
for gzip in "" --compressed; do
    in_ns curl -sS $gzip --max-time 60 -o "$work/last.txt" "$url" || fail "the last scrape ($gzip) failed"
    n=$(grep -c '^xvs_real_weight{' "$work/last.txt" || true)
    [ "$n" -eq $((services * reals_per_service)) ] ||
        fail "the last scrape ($gzip) has $n xvs_real_weight series, expected $((services * reals_per_service))"
done
netns_log "PASS"
