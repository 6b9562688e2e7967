#!/usr/bin/env bash
# wlc and connection thresholds on the XDP data plane, end to end (one-arm DR,
# two reals, see tools/netns/dr_topology.sh). Each real answers a connection
# that says HOLD with its name and holds it open (tests/e2e/hold_connection.py
# on the client), and answers anything else as HTTP.
#
# 1. VIP:80, wlc, both reals of weight 1: four held connections go to real2,
#    real1, real2, real1 (IPVS lists the later added real first, and it wins
#    ties); real1's two close. Real2 holds two active connections, real1 two
#    closed ones: ten new requests all go to real1 (256 per active flow
#    against 1 per inactive one), where rr would alternate.
# 2. VIP:8080, wlc, real1 with u:2: four held connections go real2, real1,
#    real2, real1, and real1 is overloaded: new requests all go to real2,
#    though real1 is as loaded. Real1's two held connections are reset: for
#    the 10 s that IPVS keeps a reset connection they still count, then the
#    sweeper deletes them and real1 takes new requests again.
# Every wait polls with a deadline; no fixed sleep decides a result.
#
# Usage: wlc_thresholds_dr.sh BUILD_DIR     (root; non-zero exit on failure)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
netns_dir=$(cd "$here/../../tools/netns" && pwd)
XVS_BUILD=$(cd "${1:?usage: wlc_thresholds_dr.sh BUILD_DIR}" && pwd)
source "$netns_dir/lib.sh"
source "$netns_dir/xvsd.sh"
source "$netns_dir/dr_topology.sh"

p=xw$$
scenario_begin wlc-thresholds

vip=192.168.239.250 dip=192.168.239.130 client=192.168.239.10
real1=192.168.239.129 real2=192.168.239.133

netns_log "building the one-arm DR topology ($p*)"
dr_topology_up "$p" "$xdp_pass" "$client" "$dip" "$vip" 24 32 "$real1" "$real2"
for n in 1 2; do
    cat >"$work/serve$n.sh" <<SERVE
#!/bin/sh
# One connection to web$n: HOLD is held open, anything else answered as HTTP.
IFS= read -r line
case "\$line" in
HOLD*) echo "held by web$n"; exec cat >/dev/null 2>&1 ;;
esac
while IFS= read -r header && [ \${#header} -gt 1 ]; do :; done
printf 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nThis is web$n\n'
SERVE
    chmod +x "$work/serve$n.sh"
    for port in 80 8080; do netns_bg "${p}r$n" busybox nc -ll -p "$port" -e "$work/serve$n.sh"; done
done
cat >"$work/xvsd.cf" <<CF
interface=e0
dataplane=xdp
logfile="$work/xvsd.log"
virtual=$vip:80
    real=$real1:80 gate 1
    real=$real2:80 gate 1
    scheduler=wlc
    protocol=tcp
    checktype=on
virtual=$vip:8080
    real=$real1:8080 gate 1 u:2
    real=$real2:8080 gate 1
    scheduler=wlc
    protocol=tcp
    checktype=on
CF
for r in "${p}r1 $real1" "${p}r2 $real2"; do
    netns_wait_port $r 80
    netns_wait_port $r 8080
done
netns_log "starting xvsd (instance $instance)"
xvsd_start_or_exit "${p}d" "$work/xvsd.cf" "$instance" "$work/xvsd.log"

# The interpreter itself, not a wrapper: SIGTERM must reach the client.
python=$(python3 -c 'import sys; print(sys.executable)')
# hold PORT NAME [--reset]: a held connection to VIP:PORT, its client's pid in
# held_NAME; returns once the real answered (holder NAME tells which).
hold() {
    local out="$work/$2" i
    ip netns exec "${p}c" "$python" "$here/hold_connection.py" "$vip" "$1" ${3:-} >"$out" 2>&1 &
    NETNS_PIDS+=($!)
    eval "held_$2=$!"
    for i in $(seq 50); do
        grep -q "^held by" "$out" && return 0
        sleep 0.1
    done
    fail "held connection $2 to port $1 got no answer: $(cat "$out")"
}
holder() { sed -n 's/^held by //p' "$work/$1"; }
# release NAME: the held connection's client closes it (FIN, or RST if held with --reset).
release() {
    local pid
    eval "pid=\$held_$1"
    kill -TERM "$pid"
    wait "$pid" 2>/dev/null || true
}
# requests PORT N: N short requests to VIP:PORT, the answering real of each.
requests() {
    local i
    for i in $(seq "$2"); do
        ip netns exec "${p}c" curl -s --max-time 3 "http://$vip:$1/" | sed 's/^This is //' || echo "(no answer)"
    done
}

netns_log "1. wlc: connections held on real2 send new ones to real1"
got=""
for name in a1 a2 a3 a4; do
    hold 80 "$name"
    got="$got $(holder "$name")"
done
[ "$got" = " web2 web1 web2 web1" ] || fail "held connections went to$got, expected web2 web1 web2 web1"
release a2
release a4
got=$(requests 80 10 | sort | uniq -c | xargs)
[ "$got" = "10 web1" ] || fail "with two connections held on real2, 10 new ones went: $got"

netns_log "2. thresholds: real1 (u:2) stops at two connections and resumes once they are gone"
got=""
for name in b1 b2 b3 b4; do
    hold 8080 "$name" --reset
    got="$got $(holder "$name")"
done
[ "$got" = " web2 web1 web2 web1" ] || fail "held connections went to$got, expected web2 web1 web2 web1"
got=$(requests 8080 6 | sort | uniq -c | xargs)
[ "$got" = "6 web2" ] || fail "real1 at its upper threshold took new connections: $got"
release b2
release b4
got=$(requests 8080 2 | sort | uniq -c | xargs)
[ "$got" = "2 web2" ] || fail "real1's reset connections stopped counting at once: $got"
resumed=""
for i in $(seq 60); do
    [ "$(requests 8080 1)" = web1 ] && { resumed=yes; break; }
    sleep 0.5
done
[ -n "$resumed" ] || fail "real1 took no new connection within 30 s of its connections' reset"

xvsadm --instance "$instance" -Ln
for name in a1 a3 b1 b3; do release "$name"; done
scenario_verdict "wlc and thresholds on XDP"
