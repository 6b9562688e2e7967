/* Ingress checks: a frame or packet the kernel's IP input would not accept is
 * not balanced either.
 *
 * Contract: frame_verdict() looks at the Ethernet header only and is called
 * on every frame the address prefilter did not already pass; packet_verdict()
 * is called after parse_packet() on a packet that may be for a virtual service
 * or a NAT reply, before any map is looked up or written for it. Both return 0
 * for "go on", else the enum xvs_stat the caller counts with its action
 * (frame_verdict: XDP_PASS untouched; packet_verdict: XDP_DROP).
 *
 * Decisions:
 * - Destination MAC. Only frames addressed to the ingress interface's own
 *   MAC (xvs_ifaces[ingress ifindex], written by the loader when it attaches
 *   the program there) are taken. Broadcast, multicast and other hosts'
 *   unicast frames (PACKET_OTHERHOST, what a flooding switch or a bridge with
 *   ageing_time 0 delivers) go to the stack untouched, whose IP input
 *   discards them. Balancing them made a second director on a flooded
 *   segment re-balance the first one's frames to the reals, and the two feed
 *   each other: a storm. A frame on an interface the loader did not register
 *   is passed the same way.
 * - VLANs. A tagged frame (802.1Q or 802.1ad, outer tag of any stack) is
 *   passed untouched: on an untagged interface it belongs to another
 *   broadcast domain. A VLAN is served by naming its VLAN device
 *   (interface=eth0.100), where the kernel hands the program that VLAN's
 *   frames without their tag and the forwarded frame leaves by the routing
 *   table like any other.
 * - Martian sources are dropped (XVS_STAT_DROP_MARTIAN), as the kernel's
 *   ip_route_input / ip6_rcv_core drop them: IPv4 0.0.0.0/8, 127.0.0.0/8,
 *   multicast 224.0.0.0/4 and 240.0.0.0/4 (which holds 255.255.255.255);
 *   IPv6 ::, ::1, multicast ff00::/8 and IPv4-mapped ::ffff:0:0/96. A packet
 *   whose source is its destination (LAND: src = dst = VIP) is dropped the
 *   same way: its real would answer the VIP, and that answer is a packet to
 *   the VIP again.
 * - An IPv4 header whose checksum does not verify is dropped
 *   (XVS_STAT_DROP_BAD_CSUM), as ip_rcv drops it. L4 checksums are the
 *   real's business (the kernel does not check them when forwarding either).
 */
#ifndef XVS_BPF_INGRESS_H
#define XVS_BPF_INGRESS_H

#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_endian.h>

#include "lib/csum.h"
#include "lib/maps.h"
#include "lib/parse.h"

static __always_inline int frame_verdict(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > end)
        return XVS_STAT_PASS_OTHER_HOST;
    /* Through an opaque copy of ctx: else the compiler keeps &ctx->
     * ingress_ifindex in a register for next_hop()'s read too, and the
     * verifier refuses a load through a modified ctx pointer. */
    struct xdp_md *opaque = ctx;
    asm volatile("" : "+r"(opaque));
    __u32 ifindex = opaque->ingress_ifindex;
    struct xvs_iface *iface = bpf_map_lookup_elem(&xvs_ifaces, &ifindex);
    if (!iface)
        return XVS_STAT_PASS_OTHER_HOST;
    /* Broadcast and multicast have the group bit set, and never equal an
     * interface's own (unicast) address: one comparison covers all three. */
    const __u16 *have = (const __u16 *)eth->h_dest;
    const __u16 *own = (const __u16 *)iface->mac;
    if ((have[0] ^ own[0]) | (have[1] ^ own[1]) | (have[2] ^ own[2]))
        return XVS_STAT_PASS_OTHER_HOST;
    if (eth->h_proto == bpf_htons(ETH_P_8021Q) || eth->h_proto == bpf_htons(ETH_P_8021AD))
        return XVS_STAT_PASS_VLAN;
    return 0;
}

static __always_inline int martian_source_v4(__be32 src)
{
    __u32 first = bpf_ntohl(src) >> 24;
    return first == 0 || first == 127 || first >= 224;
}

static __always_inline int martian_source_v6(const __u32 *src)
{
    if (bpf_ntohl(src[0]) >> 24 == 0xff)
        return 1; /* multicast */
    if (src[0] | src[1])
        return 0;
    if (src[2] == bpf_htonl(0xffff))
        return 1; /* IPv4-mapped */
    return !src[2] && (src[3] == 0 || src[3] == bpf_htonl(1)); /* :: and ::1 */
}

/* The IPv4 header at off (options included) sums to 0xffff. */
static __always_inline int ipv4_header_csum_ok(struct xdp_md *ctx, __u32 off)
{
    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    if (off > XVS_MAX_L3_OFFSET)
        return 0;
    struct iphdr *ip = data + off;
    if ((void *)(ip + 1) > end)
        return 0;
    __u32 words = ip->ihl * 2;
    const __u16 *w = (const __u16 *)ip;
    __u32 sum = 0;
    /* parse_packet() saw the whole header inside the frame; the bound is
     * repeated per word for the verifier. */
#pragma unroll
    for (int i = 0; i < 30; i++) { /* IHL 15: 60 bytes */
        if (i < words && (void *)(w + i + 1) <= end)
            sum += w[i];
    }
    return csum_fold32(sum) == 0xffff;
}

static __always_inline int packet_verdict(struct xdp_md *ctx, const struct xvs_packet *p)
{
    int same = !((p->src[0] ^ p->dst[0]) | (p->src[1] ^ p->dst[1]) | (p->src[2] ^ p->dst[2]) |
                 (p->src[3] ^ p->dst[3]));
    if (same)
        return XVS_STAT_DROP_MARTIAN;
    if (p->family == XVS_FAMILY_V4) {
        if (martian_source_v4(p->src[0]))
            return XVS_STAT_DROP_MARTIAN;
        if (!ipv4_header_csum_ok(ctx, p->l3_off))
            return XVS_STAT_DROP_BAD_CSUM;
        return 0;
    }
    return martian_source_v6(p->src) ? XVS_STAT_DROP_MARTIAN : 0;
}

#endif
