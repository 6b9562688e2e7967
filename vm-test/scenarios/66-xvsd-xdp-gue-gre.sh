# GUE and GRE tunnels on both planes, against the kernel's own decapsulation:
# r1 takes GUE on UDP 6080 (fou, then tunl0), r2 GRE (a gre device,
# remote any), both with checksums (conf/gue-gre.cf).
#   a) the kernel's IPVS (ipvs_vm_driver) encapsulates; curl gets through
#   b) xvsd --dataplane xdp does the same
#   c) the SYN each plane sent to each real, captured on the real, is compared
#      byte for byte except what cannot match: the outer IPv4 id, TTL (IPVS
#      decrements the inner TTL and copies it, xvs sends 64) and header
#      checksum, GUE's UDP source port (IPVS takes it from the skb flow hash,
#      XDP from a hash of the flow) and the UDP / GRE checksums over the
#      client's packet, which differs between the two runs (its port, its
#      sequence number). Those checksums are verified instead, and the
#      encapsulated packet is compared with the SYN the client sent.
. /vmtest/lib.sh
. /vmtest/xvsd_lib.sh
vip_topology tun
# Checksums in software on every veth: IPVS then sees complete checksums, as
# on a NIC, and the captured frames carry their final checksums.
xdp_veths
on r1 ip fou add port 6080 gue || fail "fou on r1"
# A GRE device for packets to r2's address from anywhere (remote any).
# icsum: a GRE device takes checksummed packets only if it expects them.
on r2 ip link add gre1 type gre local 10.0.3.11 icsum || fail "gre1 on r2"
on r2 ip link set gre1 up
on r2 ip addr add 10.0.1.100/32 dev gre1
on r2 sysctl -qw net.ipv4.conf.gre1.rp_filter=0

# Starts the three captures of one run (prefix $1): the client's SYNs and
# what reaches each real.
# tcpdump runs as root: the VM has no tcpdump user to drop to.
CAPTURES=""
capture_start() {
    on cli tcpdump -Z root -i c0 -U -w "$SCRATCH/$1-cli.pcap" 'tcp[tcpflags] & tcp-syn != 0 and dst port 80' >/dev/null 2>&1 &
    CAPTURES="$CAPTURES $!"
    on r1 tcpdump -Z root -i e0 -U -w "$SCRATCH/$1-r1.pcap" 'udp dst port 6080' >/dev/null 2>&1 &
    CAPTURES="$CAPTURES $!"
    on r2 tcpdump -Z root -i e0 -U -w "$SCRATCH/$1-r2.pcap" 'ip proto 47' >/dev/null 2>&1 &
    CAPTURES="$CAPTURES $!"
    sleep 2
}

capture_stop() {
    sleep 1
    for p in $CAPTURES; do kill "$p" 2>/dev/null; done
    CAPTURES=""
    sleep 1
}

# The frames of a capture, one hex string a line, oldest first.
frames() {
    tcpdump -Z root -r "$1" -xx 2>/dev/null | awk '
        /^[^ \t]/ { if (f != "") print f; f = ""; next }
        { for (i = 2; i <= NF; i++) f = f $i }
        END { if (f != "") print f }'
}

# The one's complement sum of the 16-bit words of hex string $1 from byte $2
# to the end, plus the 16-bit words of $3 (hex, an extra pseudo header).
ones_sum() {
    awk -v h="$1" -v from="$2" -v extra="$3" 'function hexval(c) { return index("0123456789abcdef", c) - 1 }
        function word(s, i,   v, k) { v = 0; for (k = 0; k < 4; k++) v = v * 16 + hexval(substr(s, i + k, 1)); return v }
        BEGIN { s = 0; if (length(h) % 4) h = h "00"
                for (i = from * 2 + 1; i <= length(h); i += 4) s += word(h, i)
                for (i = 1; i <= length(extra); i += 4) s += word(extra, i)
                while (s > 65535) s = (s % 65536) + int(s / 65536); printf "%04x\n", s }'
}

# Hex string $1 with the bytes at the given offsets replaced by "..".
masked() {
    local h=$1 off
    shift
    for off in "$@"; do
        h=$(echo "$h" | awk -v o="$off" '{ print substr($0, 1, o * 2) ".." substr($0, o * 2 + 3) }')
    done
    echo "$h"
}

# Checks one tunnel frame $2 (of plane $1, real $3: gue or gre) against the
# client's SYN $4 and its valid checksums; prints the frame masked.
check_frame() {
    local plane=$1 f=$2 kind=$3 syn=$4 inner_at
    [ -n "$f" ] || fail "$plane: no $kind frame captured"
    [ "$(ones_sum "$f" 14 "" | cut -c1-4)" != "" ] || fail "$plane: checksum helper failed"
    # Outer IPv4 header checksum.
    [ "$(echo "$f" | cut -c29-68 | { read -r ip; ones_sum "$ip" 0 ""; })" = ffff ] || fail "$plane $kind: bad outer IPv4 checksum"
    if [ "$kind" = gue ]; then
        # UDP checksum: pseudo header (addresses, 0x0011, UDP length) + datagram.
        local pseudo
        pseudo="$(echo "$f" | cut -c53-68)0011$(echo "$f" | cut -c77-80)"
        [ "$(ones_sum "$f" 34 "$pseudo")" = ffff ] || fail "$plane gue: bad UDP checksum"
        [ "$(echo "$f" | cut -c85-92)" = 00040000 ] || fail "$plane gue: GUE header $(echo "$f" | cut -c85-92)"
        inner_at=46
    else
        [ "$(ones_sum "$f" 34 "")" = ffff ] || fail "$plane gre: bad GRE checksum"
        [ "$(echo "$f" | cut -c69-76)" = 80000800 ] || fail "$plane gre: GRE header $(echo "$f" | cut -c69-76)"
        inner_at=42
    fi
    # The encapsulated packet is the client's SYN as it sent it, but for its
    # TTL and so its header checksum: IPVS decrements the TTL of what it
    # tunnels (and copies it to the outer header), xvs leaves it (64 outside).
    [ "$(masked "$(echo "$f" | cut -c$((inner_at * 2 + 1))-)" 8 10 11)" = "$(masked "$(echo "$syn" | cut -c29-)" 8 10 11)" ] ||
        fail "$plane $kind: the inner packet is not the client's SYN"
    if [ "$kind" = gue ]; then
        masked "$(echo "$f" | cut -c1-$((inner_at * 2)))" 18 19 22 24 25 34 35 40 41
    else
        masked "$(echo "$f" | cut -c1-$((inner_at * 2)))" 18 19 22 24 25 38 39
    fi
}

# The client's SYN from source port $2 (4 hex digits) in run $1.
client_syn() {
    awk -v p="$2" 'substr($0, 14 * 2 + 20 * 2 + 1, 4) == p { print; exit }' "$SCRATCH/$1-cli.hex"
}

# One run: four requests (two to each real), then the first SYN each real got.
run_plane() {
    local plane=$1 a i
    PLANE=$plane
    capture_start "$plane"
    expect_two_each
    capture_stop
    frames "$SCRATCH/$plane-cli.pcap" >"$SCRATCH/$plane-cli.hex"
    frames "$SCRATCH/$plane-r1.pcap" >"$SCRATCH/$plane-r1.hex"
    frames "$SCRATCH/$plane-r2.pcap" >"$SCRATCH/$plane-r2.hex"
    # SYNs only: the inner TCP flags byte (offset 47 of the inner packet).
    syn_gue=$(awk 'substr($0, 93 + 66, 2) ~ /02|c2/ { print; exit }' "$SCRATCH/$plane-r1.hex")
    syn_gre=$(awk 'substr($0, 85 + 66, 2) ~ /02|c2/ { print; exit }' "$SCRATCH/$plane-r2.hex")
    [ -n "$syn_gue" ] || fail "$plane: no GUE SYN on r1: $(head -c 300 "$SCRATCH/$plane-r1.hex")"
    [ -n "$syn_gre" ] || fail "$plane: no GRE SYN on r2: $(head -c 300 "$SCRATCH/$plane-r2.hex")"
    # The client's SYN of each: the one with the same client port.
    cli_gue=$(client_syn "$plane" "$(echo "$syn_gue" | cut -c$((46 * 2 + 41))-$((46 * 2 + 44)))")
    cli_gre=$(client_syn "$plane" "$(echo "$syn_gre" | cut -c$((42 * 2 + 41))-$((42 * 2 + 44)))")
    check_frame "$plane" "$syn_gue" gue "$cli_gue" >"$SCRATCH/$plane-gue.masked" || exit 1
    check_frame "$plane" "$syn_gre" gre "$cli_gre" >"$SCRATCH/$plane-gre.masked" || exit 1
    echo "$plane GUE: $(cat "$SCRATCH/$plane-gue.masked")"
    echo "$plane GRE: $(cat "$SCRATCH/$plane-gre.masked")"
}

# What reached the reals and their tunnel devices, for a failure's log.
diagnose() {
    capture_stop
    for r in r1 r2; do
        echo "== $r"
        tcpdump -Z root -nn -vv -r "$SCRATCH/$PLANE-$r.pcap" 2>&1 | head -20
        on "$r" ip -s -s link show 2>&1 | grep -A9 -E "tunl0|gre"
        on "$r" ip fou show 2>&1
        on "$r" cat /proc/net/snmp 2>&1 | grep -E "^(Udp|Ip):"
    done
}

expect_two_each() {
    local a i w1=0 w2=0
    for i in 1 2 3 4; do
        a=$(on cli curl -s -m 5 http://10.0.1.100/) || { diagnose; fail "curl to the VIP failed (request $i)"; }
        case "$a" in "This is web1") w1=$((w1 + 1)) ;; "This is web2") w2=$((w2 + 1)) ;; *) fail "unexpected answer: $a" ;; esac
    done
    echo "4 requests: web1 (GUE)=$w1 web2 (GRE)=$w2"
    [ "$w1" = 2 ] && [ "$w2" = 2 ] || fail "rr should alternate: web1=$w1 web2=$w2"
}

# a) the kernel's IPVS
check on dir ipvs_vm_driver apply - $CONF/gue-gre.cf
on dir ipvsadm -Ln --tun-info >"$SCRATCH/L"
cat "$SCRATCH/L"
grep -Eq '^  -> 10\.0\.2\.11:80 +Tunnel +gue:6080:\+c ' "$SCRATCH/L" || fail "IPVS: no gue real: $(tr '\n' '|' <"$SCRATCH/L")"
grep -Eq '^  -> 10\.0\.3\.11:80 +Tunnel +gre:\+c ' "$SCRATCH/L" || fail "IPVS: no gre real: $(tr '\n' '|' <"$SCRATCH/L")"
run_plane ipvs
check on dir ipvs_vm_driver clear $CONF/gue-gre.cf

# b) XDP
xvsd_start dir $CONF/gue-gre.cf vmxdpguegre --dataplane xdp
on dir xvsadm --instance vmxdpguegre -L -n --tun-info >"$SCRATCH/X" 2>&1 || fail "xvsadm -Ln --tun-info: $(cat "$SCRATCH/X")"
cat "$SCRATCH/X"
# xvsadm's listing of the tunnels is ipvsadm's, line for line.
[ "$(grep -- '->' "$SCRATCH/X")" = "$(grep -- '->' "$SCRATCH/L")" ] || fail "xvsadm --tun-info differs from ipvsadm's"
run_plane xdp
xvsd_stop

# c) the frames, masked, are the same
for k in gue gre; do
    cmp -s "$SCRATCH/ipvs-$k.masked" "$SCRATCH/xdp-$k.masked" ||
        fail "$k frames differ: IPVS $(cat "$SCRATCH/ipvs-$k.masked") XDP $(cat "$SCRATCH/xdp-$k.masked")"
done
exit 0
