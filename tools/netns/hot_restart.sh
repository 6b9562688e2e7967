#!/usr/bin/env bash
# Hot restart: with cleanstop=no, xvsd killed with SIGKILL in the middle of a
# download and started again loses no flow.
#
#   client ── director (xvsd, virtual 192.168.0.105:80 masq) ── r1, r2
#
# 1. a rate-limited 200 MB download starts through the XDP NAT plane;
#    /metrics (director namespace, 127.0.0.1) shows the XDP plane at work;
# 2. xvsd gets SIGKILL: nothing cleans up, the attached program and the pinned
#    maps keep forwarding, and the download keeps growing with no daemon;
# 3. xvsd starts again on the same instance: it reuses the pinned maps (same
#    ABI version) and swaps its freshly loaded program in for the old one
#    atomically (XDP_FLAGS_REPLACE); the download's connection entry is still
#    listed by xvsadm -Lnc;
# 4. new connections succeed; the download completes and its sha256 matches.
#
# Usage: hot_restart.sh BUILD_DIR     (root; non-zero exit on failure)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
XVS_BUILD=$(cd "${1:?usage: hot_restart.sh BUILD_DIR}" && pwd)
source "$here/lib.sh"
source "$here/xvsd.sh"
source "$here/nat_topology.sh"

p=xh$$
scenario_begin hot-restart

vip=192.168.0.105
reals=(192.168.239.129 192.168.239.133)
metrics_port=9917
netns_log "building the topology ($p*)"
nat_topology_up "$p" "$xdp_pass" 192.168.0. 11 20 192.168.0.1 "$vip" 192.168.239.130 24 "${reals[@]}"

netns_web_reals "$p" 200 addr "${reals[@]}"

cat >"$work/xvsd.cf" <<CF
interface=d0
interface=d1
dataplane=xdp
cleanstop=no
metrics=127.0.0.1:$metrics_port
logfile="$work/xvsd.log"
virtual=$vip:80
    real=${reals[0]}:80 masq 1
    real=${reals[1]}:80 masq 1
    scheduler=wrr
    checktype=on
CF

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }
scrape() { ip netns exec "${p}d" curl -sS --max-time 5 "http://127.0.0.1:$metrics_port/metrics"; }
download_entry() {
    xvsadm --instance "$instance" -Lnc | awk '$3 == "ESTABLISHED" && $4 ~ /^192\.168\.0\.11:/'
}

xvsd_start_or_exit "${p}d" "$work/xvsd.cf" "$instance" "$work/xvsd.log"

netns_log "download starts"
ip netns exec "${p}c" curl -s --limit-rate 5M --interface 192.168.0.11 \
    -o "$work/download" "http://$vip/big" &
curl_pid=$!
NETNS_PIDS+=("$curl_pid")
for i in $(seq 100); do
    [ -n "$(download_entry)" ] && break
    sleep 0.1
done
[ -n "$(download_entry)" ] || fail "the download's connection is not in xvsadm -Lnc"

metrics=$(scrape) || fail "GET /metrics failed"
grep -qx 'xvs_dataplane_info{dataplane="xdp"} 1' <<<"$metrics" || fail "metrics: no xdp dataplane_info"
grep -Eq '^xvs_xdp_actions_total\{action="new_conn"\} [1-9]' <<<"$metrics" ||
    fail "metrics: no new_conn XDP action counted"

netns_log "SIGKILL to xvsd $XVSD_PID"
kill -KILL "$XVSD_PID"
wait "$XVSD_PID" 2>/dev/null || true
kill -0 "$curl_pid" 2>/dev/null || fail "the download ended before the kill (too fast)"
before=$(size_of "$work/download")
for i in $(seq 50); do
    [ "$(size_of "$work/download")" -gt "$before" ] && break
    sleep 0.1
done
[ "$(size_of "$work/download")" -gt "$before" ] || fail "the download stalled while no xvsd ran"

netns_log "restarting xvsd"
xvsd_start_or_exit "${p}d" "$work/xvsd.cf" "$instance" "$work/xvsd.log"
[ -n "$(download_entry)" ] || fail "the download's connection entry did not survive the restart"
# The scrape is read whole first: grep -q stops reading at its match and
# curl, failing to write the rest, would fail the pipe (pipefail).
metrics=$(scrape) || fail "metrics not served after restart"
grep -qx 'xvs_dataplane_info{dataplane="xdp"} 1' <<<"$metrics" || fail "metrics after restart lack the data plane line"

for c in 12 13 14 15; do
    answer=$(ip netns exec "${p}c" curl -s --max-time 5 --interface "192.168.0.$c" "http://$vip/" || true)
    case "$answer" in
        "This is web"[12]) ;;
        *) fail "192.168.0.$c after restart: answer '${answer}'" ;;
    esac
done

netns_check_download "$curl_pid" "$work/download" "$want"

# The table fill is the connection census's, which walks the tables within
# its CPU budget (seconds for tables of a million buckets, however empty):
# the restarted daemon's scrape shows the download's entry (FIN_WAIT for
# 2 minutes) once one of its censuses has walked it.
for i in $(seq 300); do
    metrics=$(scrape) || { fail "GET /metrics failed"; break; }
    grep -Eq '^xvs_xdp_map_entries\{map="xvs_conns"\} [1-9]' <<<"$metrics" && break
    sleep 0.2
done
grep -Eq '^xvs_xdp_map_entries\{map="xvs_conns"\} [1-9]' <<<"$metrics" ||
    fail "metrics: the connection table looks empty"

if [ "$failures" -ne 0 ]; then
    cat "$work/xvsd.log" >&2 || true
    echo "hot restart: $failures check(s) failed" >&2
    exit 1
fi
echo "hot restart: download intact across SIGKILL and restart; new connections served"
