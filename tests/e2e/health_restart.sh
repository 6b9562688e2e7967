#!/usr/bin/env bash
# Health state across a hot restart (one-arm DR on the XDP plane, see
# tools/netns/dr_topology.sh): checktype=connect, quiescent=no, cleanstop=no.
#
# 1. Both reals pass their checks and are listed by `xvsadm -Ln`; a
#    rate-limited download starts through the VIP.
# 2. xvsd gets SIGKILL; the pinned maps keep forwarding with no daemon.
# 3. xvsd starts again and adopts the pinned maps. The reals it finds serving
#    start up (ldirectord keeps the reals it finds in its IPVS table), so the
#    restart takes none out while their first checks run: a watcher polls
#    `xvsadm -Ln` all along and every listing it gets names both reals; a
#    client opening a new connection every 0.1 s across the restart gets an
#    answer every time; the log has no "up -> down" and no "unknown -> up" line.
# 4. The download completes and its sha256 matches (a removed real would have
#    lost it).
#
# Usage: health_restart.sh BUILD_DIR     (root; non-zero exit on failure)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
netns_dir=$(cd "$here/../../tools/netns" && pwd)
XVS_BUILD=$(cd "${1:?usage: health_restart.sh BUILD_DIR}" && pwd)
source "$netns_dir/lib.sh"
source "$netns_dir/xvsd.sh"
source "$netns_dir/dr_topology.sh"

p=xr$$
scenario_begin health-restart

vip=192.168.239.250 dip=192.168.239.130 client=192.168.239.10
real1=192.168.239.129 real2=192.168.239.133
url="http://$vip:80/"

netns_log "building the one-arm DR topology ($p*)"
dr_topology_up "$p" "$xdp_pass" "$client" "$dip" "$vip" 24 32 "$real1" "$real2"
netns_web_reals "$p" 100 any "$real1" "$real2"

# checkinterval=1: the first checks after the restart are spread over up to
# a second, the window in which a real that started down would be missing.
cat >"$work/xvsd.cf" <<CF
interface=e0
dataplane=xdp
cleanstop=no
logfile="$work/xvsd.log"
checkinterval=1
checktimeout=1
quiescent=no
virtual=$vip:80
    real=$real1:80 gate 1
    real=$real2:80 gate 1
    scheduler=wrr
    protocol=tcp
    checktype=connect
CF

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
reals_listed() {  # how many reals `xvsadm -Ln` lists; fails when xvsd does not answer
    local out
    out=$(xvsadm --instance "$instance" -Ln 2>/dev/null) || return 1
    awk '$1 == "->" && $2 ~ /:80$/ { n++ } END { print n + 0 }' <<<"$out"
}

xvsd_start_or_exit "${p}d" "$work/xvsd.cf" "$instance" "$work/xvsd.log"
for i in $(seq 100); do
    [ "$(reals_listed || echo 0)" = 2 ] && break
    sleep 0.1
done
[ "$(reals_listed || echo 0)" = 2 ] || fail "both reals should be up before the restart"

netns_log "1. download and watchers start"
ip netns exec "${p}c" curl -s --limit-rate 10M -o "$work/download" "$url/big" &
curl_pid=$!
NETNS_PIDS+=("$curl_pid")
# The listing watcher: one line per answered `xvsadm -Ln` (the number of reals
# listed), until the stop file appears.
(
    while [ ! -e "$work/stop" ]; do
        if n=$(reals_listed); then echo "$n"; fi
        sleep 0.02
    done
) >"$work/listings" &
watch_pid=$!
NETNS_PIDS+=("$watch_pid")
# The client: a new connection every 0.1 s, one line per answer.
netns_steady_client "${p}c" "$url" "$work/answers" "$work/stop"
sleep 0.5

netns_log "2. SIGKILL to xvsd $XVSD_PID"
kill -KILL "$XVSD_PID"
wait "$XVSD_PID" 2>/dev/null || true
kill -0 "$curl_pid" 2>/dev/null || fail "the download ended before the kill (too fast)"
before_restart=$(wc -l <"$work/listings")
log_before=$(wc -l <"$work/xvsd.log")
sleep 0.5

netns_log "3. restarting xvsd"
xvsd_start_or_exit "${p}d" "$work/xvsd.cf" "$instance" "$work/xvsd.log"
# Two seconds cover the first checks of every real (spread over checkinterval).
sleep 2.5
touch "$work/stop"
wait "$watch_pid" "$client_pid" 2>/dev/null || true

after_restart=$(($(wc -l <"$work/listings") - before_restart))
[ "$after_restart" -ge 20 ] || fail "only $after_restart listings after the restart"
bad=$(grep -cvx 2 "$work/listings" || true)
[ "$bad" -eq 0 ] ||
    fail "$bad of $(wc -l <"$work/listings") listings did not name both reals: $(sort "$work/listings" | uniq -c | tr '\n' ' ')"
unanswered=$(grep -cv "^This is web[12]$" "$work/answers" || true)
[ "$unanswered" -eq 0 ] ||
    fail "$unanswered of $(wc -l <"$work/answers") new connections across the restart got no answer"
tail -n +"$((log_before + 1))" "$work/xvsd.log" >"$work/restart.log"
grep -q "2 checked real(s) found serving in the xdp data plane" "$work/restart.log" ||
    fail "the restarted xvsd did not keep the reals it found serving"
if grep -E "unknown -> up|up -> down" "$work/restart.log"; then
    fail "a real changed state across the restart"
fi

netns_log "4. the download completes"
netns_check_download "$curl_pid" "$work/download" "$want"

xvsadm --instance "$instance" -Ln
if [ "$failures" -ne 0 ]; then
    cat "$work/xvsd.log" >&2 || true
    echo "health restart: $failures check(s) failed" >&2
    exit 1
fi
echo "health restart: both reals listed all along, every new connection answered, download intact"
