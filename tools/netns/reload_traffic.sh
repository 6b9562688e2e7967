#!/usr/bin/env bash
# Reload under traffic: a 200 MB download through the XDP NAT plane keeps
# going, intact, while SIGHUP reloads change weights, add a real and remove
# another one.
#
#   client ── director (xvsd, virtual 192.168.0.105:80 masq) ── r1, r2, r3
#
# 1. virtual with r1, r2 (weight 1 each); the download starts (rate-limited so
#    it spans the reloads) and lands on one of them, the "serving" real;
# 2. reload: the serving real's weight 1 -> 3, the other real removed, r3 added;
# 3. reload: serving real 3 -> 1, r3 1 -> 2;
# 4. new connections never reach the removed real; the download completes and
#    its sha256 matches the file's.
#
# Usage: reload_traffic.sh BUILD_DIR     (root; non-zero exit on failure)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
XVS_BUILD=$(cd "${1:?usage: reload_traffic.sh BUILD_DIR}" && pwd)
source "$here/lib.sh"
source "$here/xvsd.sh"
source "$here/nat_topology.sh"

p=xr$$
scenario_begin reload

vip=192.168.0.105
reals=(192.168.239.129 192.168.239.133 192.168.239.134)
netns_log "building the topology ($p*)"
nat_topology_up "$p" "$xdp_pass" 192.168.0. 11 20 192.168.0.1 "$vip" 192.168.239.130 24 "${reals[@]}"

netns_web_reals "$p" 200 addr "${reals[@]}"

# write_config "REAL WEIGHT" ...
write_config() {
    {
        echo "interface=d0"
        echo "interface=d1"
        echo "dataplane=xdp"
        echo "logfile=\"$work/xvsd.log\""
        echo "virtual=$vip:80"
        local spec
        for spec in "$@"; do
            set -- $spec
            echo "    real=$1:80 masq $2"
        done
        echo "    scheduler=wrr"
        echo "    checktype=on"
    } >"$work/xvsd.cf"
}

write_config "${reals[0]} 1" "${reals[1]} 1"
xvsd_start_or_exit "${p}d" "$work/xvsd.cf" "$instance" "$work/xvsd.log"

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

netns_log "download starts"
ip netns exec "${p}c" curl -s --limit-rate 25M --interface 192.168.0.11 \
    -o "$work/download" "http://$vip/big" &
curl_pid=$!
NETNS_PIDS+=("$curl_pid")

# The real serving the download, from the connection table.
serving=
for i in $(seq 100); do
    serving=$(xvsadm --instance "$instance" -Lnc |
        awk '$3 == "ESTABLISHED" && $4 ~ /^192\.168\.0\.11:/ { sub(/:80$/, "", $6); print $6; exit }')
    [ -n "$serving" ] && break
    sleep 0.1
done
[ -n "$serving" ] || { fail "the download's connection is not in xvsadm -Lnc"; serving=${reals[0]}; }
other=${reals[0]}
[ "$serving" = "${reals[0]}" ] && other=${reals[1]}
netns_log "download served by $serving; removing $other, adding ${reals[2]}"

write_config "$serving 3" "${reals[2]} 1"
kill -HUP "$XVSD_PID"
for i in $(seq 100); do
    grep -q "${reals[2]}:80" <<<"$(xvsadm --instance "$instance" -Ln)" && break
    sleep 0.1
done
grep -q "$other:80" <<<"$(xvsadm --instance "$instance" -Ln)" && fail "$other still listed after reload"
kill -0 "$curl_pid" 2>/dev/null || fail "the download ended before the first reload applied (too fast)"

write_config "$serving 1" "${reals[2]} 2"
kill -HUP "$XVSD_PID"
for i in $(seq 100); do
    xvsadm --instance "$instance" -Ln | grep -Eq "^  -> ${reals[2]}:80 +Masq +2 " && break
    sleep 0.1
done
xvsadm --instance "$instance" -Ln

other_n=1
[ "$other" = "${reals[1]}" ] && other_n=2
for c in 12 13 14 15 16 17; do
    answer=$(ip netns exec "${p}c" curl -s --max-time 5 --interface "192.168.0.$c" "http://$vip/" || true)
    case "$answer" in
        "This is web$other_n") fail "192.168.0.$c reached the removed real" ;;
        "This is web"[123]) ;;
        *) fail "192.168.0.$c: answer '${answer}'" ;;
    esac
done

netns_check_download "$curl_pid" "$work/download" "$want"
grep "reload:" "$work/xvsd.log" || fail "no reload summary logged"

if [ "$failures" -ne 0 ]; then
    cat "$work/xvsd.log" >&2 || true
    echo "reload under traffic: $failures check(s) failed" >&2
    exit 1
fi
echo "reload under traffic: download intact across two reloads"
