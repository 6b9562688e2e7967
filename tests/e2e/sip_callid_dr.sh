#!/usr/bin/env bash
# --pe sip on the XDP data plane, end to end (one-arm DR, two reals, see
# tools/netns/dr_topology.sh). The reals and the client are the SIP stand-in
# tests/e2e/sip_standin.py (no SIP stack: it answers naming its real).
#
# 1. VIP:5060/udp from the file: rr, persistent=60, netmask=0.0.0.0, pe=sip.
#    Six Call-IDs, each sent from two client addresses, a new port each time
#    (a new flow): every datagram of a Call-ID is answered by one real, and
#    the Call-IDs are spread over both (rr), where persistence by client
#    address alone would send everything to one real.
# 2. A request without a Call-ID from a new port gets no answer (dropped, as
#    IPVS drops it).
# 3. From one client port, datagrams follow the flow's entry whatever their
#    Call-ID (as in IPVS), unless the service has ops=yes (VIP:5062): then
#    every datagram is scheduled by its Call-ID.
# 4. xvsadm lists and saves the engine as ipvsadm does; xvsadm -A ... --pe
#    sip adds another, -S / -C / -R restores the same table; --pe on a TCP
#    service is refused by dataplane=xdp with the reason.
#
# Usage: sip_callid_dr.sh BUILD_DIR     (root; non-zero exit on failure)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
netns_dir=$(cd "$here/../../tools/netns" && pwd)
XVS_BUILD=$(cd "${1:?usage: sip_callid_dr.sh BUILD_DIR}" && pwd)
source "$netns_dir/lib.sh"
source "$netns_dir/xvsd.sh"
source "$netns_dir/dr_topology.sh"

p=xs$$
scenario_begin sip-callid

vip=192.168.239.250 dip=192.168.239.130 client=192.168.239.10 client2=192.168.239.11
real1=192.168.239.129 real2=192.168.239.133
python=$(python3 -c 'import sys; print(sys.executable)')
# The client's one CPU (see send): the first this test may run on, which is
# not CPU 0 under every cpuset.
client_cpu=$("$python" -c 'import os; print(min(os.sched_getaffinity(0)))')

netns_log "building the one-arm DR topology ($p*)"
dr_topology_up "$p" "$xdp_pass" "$client" "$dip" "$vip" 24 32 "$real1" "$real2"
netns_addr "${p}c" "$client2/24" e0
for n in 1 2; do
    for port in 5060 5062; do netns_bg "${p}r$n" "$python" "$here/sip_standin.py" serve "real$n" "$vip" "$port"; done
done
cat >"$work/xvsd.cf" <<CF
interface=e0
dataplane=xdp
logfile="$work/xvsd.log"
virtual=$vip:5060
    real=$real1:5060 gate 1
    real=$real2:5060 gate 1
    scheduler=rr
    protocol=udp
    persistent=60
    netmask=0.0.0.0
    pe=sip
    checktype=on
virtual=$vip:5062
    real=$real1:5062 gate 1
    real=$real2:5062 gate 1
    scheduler=rr
    protocol=udp
    persistent=60
    pe=sip
    ops=yes
    checktype=on
CF
netns_log "starting xvsd (instance $instance)"
xvsd_start_or_exit "${p}d" "$work/xvsd.cf" "$instance" "$work/xvsd.log"
sleep 0.5  # the stand-ins bind while xvsd starts; give the slower one a moment

# send [--port P] LINES: the stand-in client's answers to "SRC SPORT CALLID" lines.
send() {
    local port=5060
    if [ "$1" = --port ]; then port=$2; shift 2; fi
    # One CPU sends (and so, over veth, receives) every datagram: rr keeps its
    # position per CPU (man xvsd, SCHEDULERS ON XDP), so the exact 12/12 and
    # 3/3 spreads below hold only when one CPU's position schedules them all.
    printf '%s\n' "$@" | ip netns exec "${p}c" taskset -c "$client_cpu" "$python" "$here/sip_standin.py" client "$vip" "$port"
}

netns_log "1. one Call-ID, one real, from any client address and port"
requests=()
sport=41000
for i in 1 2 3 4 5 6; do
    for src in "$client" "$client2" "$client" "$client2"; do
        requests+=("$src $sport call-$i@standin.example")
        sport=$((sport + 1))
    done
done
send "${requests[@]}" >"$work/answers"
for i in 1 2 3 4 5 6; do
    reals=$(awk -v id="call-$i@standin.example" '$1 == id { print $4 }' "$work/answers" | sort -u | xargs)
    case "$reals" in
        real1 | real2) ;;
        *) fail "call-$i was answered by '$reals', expected one real" ;;
    esac
done
spread=$(awk '{ print $4 }' "$work/answers" | sort | uniq -c | xargs)
[ "$spread" = "12 real1 12 real2" ] || fail "six Call-IDs over two reals with rr gave: $spread"

netns_log "2. no Call-ID: dropped"
got=$(send "$client 40100 -" | awk '{ print $4 }')
[ "$got" = none ] || fail "a request without Call-ID was answered by $got"

netns_log "3. one client port: the flow's entry, unless ops=yes"
requests=()
for i in 1 2 3 4 5 6; do requests+=("$client 42000 port-$i@standin.example"); done
got=$(send "${requests[@]}" | awk '{ print $4 }' | sort -u | xargs)
case "$got" in
    real1 | real2) ;;
    *) fail "six Call-IDs on one flow went to '$got', expected the flow's one real" ;;
esac
got=$(send --port 5062 "${requests[@]}" | awk '{ print $4 }' | sort | uniq -c | xargs)
[ "$got" = "3 real1 3 real2" ] || fail "with ops=yes, six Call-IDs on one client port gave: $got"

netns_log "4. listing, save, restore"
xvsadm --instance "$instance" -Ln | grep -qx "UDP  $vip:5060 rr persistent 60 mask 0.0.0.0 pe sip" ||
    fail "xvsadm -Ln does not show the engine: $(xvsadm --instance "$instance" -Ln | tr '\n' '|')"
xvsadm --instance "$instance" -A -u "$vip:5061" -s rr -p 30 --pe sip || fail "xvsadm -A --pe sip failed"
xvsadm --instance "$instance" -S -n >"$work/saved"
grep -qx -- "-A -u $vip:5060 -s rr -p 60 -M 0.0.0.0 --pe sip" "$work/saved" || fail "-S lacks 5060: $(tr '\n' '|' <"$work/saved")"
grep -qx -- "-A -u $vip:5061 -s rr -p 30 --pe sip" "$work/saved" || fail "-S lacks 5061: $(tr '\n' '|' <"$work/saved")"
xvsadm --instance "$instance" -C
xvsadm --instance "$instance" -R <"$work/saved" || fail "xvsadm -R of the saved table failed"
xvsadm --instance "$instance" -S -n >"$work/restored"
diff -u "$work/saved" "$work/restored" >&2 || fail "the restored table differs from the saved one"
if out=$(xvsadm --instance "$instance" -A -t "$vip:5070" -s rr -p 30 --pe sip 2>&1); then
    fail "dataplane=xdp took --pe sip on a TCP service"
else
    case "$out" in
        *"persistence engine sip is supported by the XDP data plane only on UDP services"*) ;;
        *) fail "--pe sip on TCP refused without the reason: $out" ;;
    esac
fi
xvsadm --instance "$instance" -A -u "$vip:5071" -p 30 --pe rtsp 2>"$work/rtsp" && fail "--pe rtsp was accepted"
grep -qx "Scheduler or persistence engine not found" "$work/rtsp" || fail "--pe rtsp: $(cat "$work/rtsp")"

scenario_verdict "pe sip on XDP"
