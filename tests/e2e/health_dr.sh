#!/usr/bin/env bash
# ldirectord's health semantics end to end on the XDP data plane (one-arm DR,
# two reals and a fallback server, see tools/netns/dr_topology.sh):
#
#   checktype=negotiate service=http request="check.html" receive="This web is OK"
#   checkinterval=1 checktimeout=1, quiescent=yes|no (argument), autoreload=yes
#
# 1. Both reals pass their checks and are listed by `xvsadm -Ln`.
# 2. check.html removed on real2: it leaves the listing (quiescent=no) or stays
#    with weight 0 (quiescent=yes); no new connection reaches it; the log says
#    "real 192.168.239.133:80 up -> down (...)".
# 3. check.html restored: real2 is back with weight 2 and serves again.
# 4. Every real fails: the fallback (a third namespace holding the VIP on lo,
#    like the reals: XDP DR forwards by MAC, so a director-local 127.0.0.1
#    fallback as in ldirectord's example cannot be reached) serves; one real
#    recovers and the fallback goes.
# 5. autoreload: the file is replaced (written aside, renamed over) with a new
#    weight: the listing shows it without a signal. A broken file is logged
#    with FILE:LINE and the listing stays.
# Every wait polls with a deadline; no fixed sleep decides a result.
#
# Usage: health_dr.sh BUILD_DIR yes|no     (root; non-zero exit on failure)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
netns_dir=$(cd "$here/../../tools/netns" && pwd)
XVS_BUILD=$(cd "${1:?usage: health_dr.sh BUILD_DIR yes|no}" && pwd)
quiescent=${2:?usage: health_dr.sh BUILD_DIR yes|no}
source "$netns_dir/lib.sh"
source "$netns_dir/xvsd.sh"
source "$netns_dir/dr_topology.sh"

p=xh$$
scenario_begin health-dr

vip=192.168.239.250 dip=192.168.239.130 client=192.168.239.10
real1=192.168.239.129 real2=192.168.239.133 sorry=192.168.239.140
url="http://$vip:80/"

netns_log "building the one-arm DR topology ($p*)"
dr_topology_up "$p" "$xdp_pass" "$client" "$dip" "$vip" 24 32 "$real1" "$real2"
dr_topology_add_real "$p" f "$sorry" "$vip" 24 32
serve() {  # serve NS DIR TEXT
    mkdir -p "$2"
    echo "$3" >"$2/index.html"
    echo "This web is OK" >"$2/check.html"
    netns_bg "$1" busybox httpd -f -p 80 -h "$2"
}
serve "${p}r1" "$work/web1" "This is web1"
serve "${p}r2" "$work/web2" "This is web2"
serve "${p}f" "$work/sorry" "Sorry, down for maintenance"

write_config() {  # write_config WEIGHT1 [EXTRA_LINE]: written aside, renamed over
    cat >"$work/xvsd.cf.new" <<CF
interface=e0
dataplane=xdp
logfile="$work/xvsd.log"
autoreload=yes
checkinterval=1
checktimeout=1
quiescent=$quiescent
virtual=$vip:80
    real=$real1:80 gate $1
    real=$real2:80 gate 2
    fallback=$sorry:80 gate
    scheduler=wrr
    protocol=tcp
    checktype=negotiate
    service=http
    request="check.html"
    receive="This web is OK"
${2:-}
CF
    mv "$work/xvsd.cf.new" "$work/xvsd.cf"
}
write_config 1

for r in "${p}r1 $real1" "${p}r2 $real2" "${p}f $sorry"; do netns_wait_port $r 80; done
netns_log "starting xvsd (instance $instance, quiescent=$quiescent)"
xvsd_start_or_exit "${p}d" "$work/xvsd.cf" "$instance" "$work/xvsd.log"

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# weight_of ADDR: the weight `xvsadm -Ln` lists for real ADDR:80, "absent" if none.
weight_of() {
    xvsadm --instance "$instance" -Ln | awk -v r="$1:80" '$1 == "->" && $2 == r { print $4; f = 1 } END { if (!f) print "absent" }'
}
# wait_weight ADDR EXPECTED WHAT: poll until listed so (deadline 15 s; a check
# decides within checkinterval + checktimeout, 2 s, plus the first-round spread).
wait_weight() {
    local i w
    for i in $(seq 150); do
        w=$(weight_of "$1")
        [ "$w" = "$2" ] && return 0
        sleep 0.1
    done
    fail "$3: $1 listed with weight '$w', expected '$2'"
    xvsadm --instance "$instance" -Ln >&2
    return 0
}
# answers N: N connections from the client, the answers counted by text.
answers() {
    local i
    for i in $(seq "$1"); do
        ip netns exec "${p}c" curl -s --max-time 3 "$url" || echo "(no answer)"
    done | sort | uniq -c
}
log_has() { grep -qF -- "$1" "$work/xvsd.log"; }
down_weight=absent
[ "$quiescent" = yes ] && down_weight=0

netns_log "1. both reals pass"
wait_weight "$real1" 1 "start"
wait_weight "$real2" 2 "start"
wait_weight "$sorry" absent "start (a real is up: no fallback)"

netns_log "2. check.html removed on real2"
rm "$work/web2/check.html"
wait_weight "$real2" "$down_weight" "real2 failing"
got=$(answers 20)
echo "$got"
echo "$got" | grep -q "20 This is web1" || fail "with real2 down, 20 new connections went: $got"
log_has "TCP $vip:80: real $real2:80 up -> down (" || fail "no state change line for real2 in the log"

netns_log "3. check.html restored on real2"
echo "This web is OK" >"$work/web2/check.html"
wait_weight "$real2" 2 "real2 recovered"
got=$(answers 30)
echo "$got"
echo "$got" | grep -q "This is web2" || fail "a recovered real2 got no connection: $got"
log_has "TCP $vip:80: real $real2:80 down -> up (" || fail "no recovery line for real2 in the log"

netns_log "4. every real fails: the fallback serves"
rm "$work/web1/check.html" "$work/web2/check.html"
wait_weight "$sorry" 1 "every real down"
wait_weight "$real1" "$down_weight" "every real down"
got=$(answers 5)
echo "$got"
echo "$got" | grep -q "5 Sorry, down for maintenance" || fail "the fallback did not serve: $got"
log_has "fallback $sorry:80 on" || fail "no fallback line in the log"
echo "This web is OK" >"$work/web1/check.html"
wait_weight "$real1" 1 "real1 recovered"
wait_weight "$sorry" absent "real1 recovered (fallback gone)"
got=$(answers 5)
echo "$got" | grep -q "5 This is web1" || fail "after real1 recovered: $got"

netns_log "5. autoreload: a new weight without a signal, then a broken file"
write_config 3
wait_weight "$real1" 3 "autoreload of weight 3"
log_has "autoreload: $work/xvsd.cf changed" || fail "no autoreload line in the log"
write_config 3 "    nonsense=1"
line=$(grep -n "nonsense" "$work/xvsd.cf" | cut -d: -f1)
for i in $(seq 150); do log_has "$work/xvsd.cf:$line:" && break; sleep 0.1; done
log_has "$work/xvsd.cf:$line:" || fail "the broken file's error was not logged with $work/xvsd.cf:$line:"
[ "$(weight_of "$real1")" = 3 ] || fail "a broken file changed the listing"
[ "$(weight_of "$real2")" = "$down_weight" ] || fail "a broken file changed real2"

xvsadm --instance "$instance" -Ln
if [ "$failures" -ne 0 ]; then
    cat "$work/xvsd.log" >&2 || true
    echo "health DR scenario (quiescent=$quiescent): $failures check(s) failed" >&2
    exit 1
fi
echo "health DR scenario (quiescent=$quiescent): all checks passed"
