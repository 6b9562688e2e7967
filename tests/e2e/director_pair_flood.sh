#!/usr/bin/env bash
# Two directors with the same configuration on one segment that floods every
# unicast frame (the one-arm DR topology of tools/netns/dr_topology.sh, its
# bridge with ageing_time 0, like a switch whose MAC table aged out): a
# primary holding the VIP and a backup without it, both running xvsd.
#
# Each director sees the other's frames to the reals (PACKET_OTHERHOST copies).
# Balancing them again made the two feed each other: every client SYN became
# thousands at the reals, and the storm went on after the clients stopped.
# Checked here: the reals see exactly the SYNs the client sent (one per
# connection, unless it retransmitted), every connection is answered, and no
# packet to port 80 reaches a real once the clients stop.
#
# The broken build must fail fast, not melt the machine: the switch drops
# frames beyond 3,000/s and the storm is measured over a few seconds only.
#
# Usage: director_pair_flood.sh BUILD_DIR     (root; non-zero exit on failure)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
netns_dir=$(cd "$here/../../tools/netns" && pwd)
XVS_BUILD=$(cd "${1:?usage: director_pair_flood.sh BUILD_DIR}" && pwd)
source "$netns_dir/lib.sh"
source "$netns_dir/xvsd.sh"
source "$netns_dir/dr_topology.sh"

p=xf$$
scenario_begin director-pair
backup_instance=$instance-backup
trap 'scenario_end; rm -rf "/run/xvs/$backup_instance" "/sys/fs/bpf/xvs/$backup_instance"' EXIT

vip=192.168.239.250 dip=192.168.239.130 backup_dip=192.168.239.131 client=192.168.239.10
real1=192.168.239.129 real2=192.168.239.133
connections=5

netns_log "building the one-arm DR topology ($p*) with a flooding bridge and a backup director"
dr_topology_up "$p" "$xdp_pass" "$client" "$dip" "$vip" 24 32 "$real1" "$real2"
ip -n "${p}s" link set br0 type bridge ageing_time 0
netns_add "${p}b"
dr_topology_port "$p" b
netns_addr "${p}b" "$backup_dip/24" e0
ip netns exec "${p}b" sysctl -qw net.ipv4.ip_forward=1
netns_xdp_pass "${p}s" pb "$xdp_pass"
# The bound on a storm: the switch forwards at most 2,000 frames a second.
ip netns exec "${p}s" nft -f - <<'NFT'
table bridge xvs_cap {
    chain forward {
        type filter hook forward priority 0;
        limit rate over 2000/second burst 200 packets drop
    }
}
NFT

n=1
for real in "$real1" "$real2"; do
    ip netns exec "${p}r$n" nft -f - <<'NFT'
table inet xvs_count {
    counter syn {}
    counter any {}
    chain input {
        type filter hook input priority 0;
        iifname "e0" tcp dport 80 counter name any
        iifname "e0" tcp dport 80 tcp flags & (syn | ack) == syn counter name syn
    }
}
NFT
    mkdir -p "$work/web$n"
    echo "This is web$n" >"$work/web$n/index.html"
    netns_bg "${p}r$n" busybox httpd -f -p 80 -h "$work/web$n"
    netns_wait_port "${p}r$n" "$real" 80
    n=$((n + 1))
done

# Permanent neighbours everywhere: no resolution delay makes a client
# retransmit a SYN, so every SYN the reals count is one the directors made.
mac_of() { ip -n "$1" -br link show e0 | awk '{ print $3 }'; }
neighbour() { ip -n "$1" neigh replace "$2" lladdr "$3" dev e0 nud permanent; }
neighbour "${p}c" "$vip" "$(mac_of "${p}d")"
for director in d b; do
    neighbour "$p$director" "$real1" "$(mac_of "${p}r1")"
    neighbour "$p$director" "$real2" "$(mac_of "${p}r2")"
    neighbour "$p$director" "$client" "$(mac_of "${p}c")"
done
for n in 1 2; do neighbour "${p}r$n" "$client" "$(mac_of "${p}c")"; done

# The client's own SYNs (retransmissions included): what the reals must see;
# and every packet it sends to port 80, so a late ACK or FIN retransmission
# after the last curl is told from a storm.
ip netns exec "${p}c" nft -f - <<'NFT'
table inet xvs_count {
    counter syn {}
    counter any {}
    chain output {
        type filter hook output priority 0;
        tcp dport 80 counter name any
        tcp dport 80 tcp flags & (syn | ack) == syn counter name syn
    }
}
NFT

cat >"$work/xvsd.cf" <<CF
interface=e0
dataplane=xdp
logfile="$work/xvsd.log"
virtual=$vip:80
    real=$real1:80 gate 1
    real=$real2:80 gate 1
    scheduler=rr
    protocol=tcp
    checktype=on
CF
sed "s|$work/xvsd.log|$work/xvsd-backup.log|" "$work/xvsd.cf" >"$work/xvsd-backup.cf"

netns_log "starting the backup xvsd (instance $backup_instance) and the primary ($instance)"
xvsd_start_or_exit "${p}b" "$work/xvsd-backup.cf" "$backup_instance" "$work/xvsd-backup.log"
xvsd_start_or_exit "${p}d" "$work/xvsd.cf" "$instance" "$work/xvsd.log"

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
# packets_of NS NAME: the packets counter NAME in NS saw.
packets_of() {
    ip netns exec "$1" nft list counter inet xvs_count "$2" |
        awk '/packets/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'
}
# counted NAME: counter NAME summed over both reals.
counted() {
    echo $(($(packets_of "${p}r1" "$1") + $(packets_of "${p}r2" "$1")))
}

for i in $(seq "$connections"); do
    answer=$(ip netns exec "${p}c" curl -s --max-time 2 "http://$vip:80/" || true)
    case "$answer" in
        "This is web1" | "This is web2") ;;
        *) fail "connection $i answered '$answer'" ;;
    esac
done
syns=$(counted syn)
sent=$(packets_of "${p}c" syn)
# A storm goes on by itself; a connection's last segments are done in a second.
# The client is read before the reals at the start and after them at the end,
# so whatever reached the reals in between was counted leaving the client.
sleep 1
client_after=$(packets_of "${p}c" any)
after_clients=$(counted any)
sleep 2
later=$(counted any)
client_later=$(packets_of "${p}c" any)
straggled=$((client_later - client_after))
echo "SYNs at the reals for $connections connections ($sent sent by the client): $syns; packets to port 80 in the 2 s after the clients stopped: $((later - after_clients)) (the client sent $straggled)"
[ "$sent" -ge "$connections" ] || fail "the client counted $sent SYNs for $connections connections"
[ "$syns" -eq "$sent" ] || fail "the reals saw $syns SYNs, the client sent $sent"
[ "$((later - after_clients))" -le "$straggled" ] ||
    fail "$((later - after_clients)) packets to port 80 reached the reals after the clients stopped, $straggled sent"
for instance_log in "$work/xvsd.log" "$work/xvsd-backup.log"; do
    [ "$failures" -eq 0 ] || cat "$instance_log" >&2 || true
done
if [ "$failures" -ne 0 ]; then
    echo "director pair on a flooding segment: $failures check(s) failed" >&2
    exit 1
fi
echo "director pair on a flooding segment: all checks passed"
