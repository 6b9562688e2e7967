/* TTL / hop limit of forwarded packets.
 *
 * Contract: hop_decrement() is called once per packet the program sends on
 * by NAT (both directions), after parse_packet() and before the frame is
 * changed in size; it returns 0 after decrementing, -1 when the packet must
 * not be forwarded (the caller drops it and counts XVS_STAT_DROP_TTL).
 *
 * Decisions:
 * - NAT (masq) routes the packet, client to real and real to client, as a
 *   router does: the TTL (IPv4, header checksum updated) or hop limit (IPv6)
 *   goes down by one, so a loop between directors or routers ends. A packet
 *   that arrives with TTL / hop limit <= 1 is dropped and counted; no ICMP
 *   time exceeded is sent (a traceroute shows the director as a silent hop).
 * - DR (gate) and TUN (ipip) leave the client's packet as it is, as IPVS
 *   does: DR hands the frame to a real on the link that owns the VIP, and
 *   TUN's outer header gets a TTL of its own (lib/encap.h).
 */
#ifndef XVS_BPF_TTL_H
#define XVS_BPF_TTL_H

#include <linux/ip.h>
#include <linux/ipv6.h>

#include "lib/csum.h"
#include "lib/parse.h"

/* 1 when the packet's TTL / hop limit is <= 1 (or its header is gone). */
static __always_inline int hop_limit_expired(struct xdp_md *ctx, const struct xvs_packet *p)
{
    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    __u32 off = p->l3_off;
    if (off > XVS_MAX_L3_OFFSET)
        return 1;
    if (p->family == XVS_FAMILY_V4) {
        struct iphdr *ip = data + off;
        return (void *)(ip + 1) > end || ip->ttl <= 1;
    }
    struct ipv6hdr *ip6 = data + off;
    return (void *)(ip6 + 1) > end || ip6->hop_limit <= 1;
}

static __always_inline int hop_decrement(struct xdp_md *ctx, const struct xvs_packet *p)
{
    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    __u32 off = p->l3_off;
    if (off > XVS_MAX_L3_OFFSET)
        return -1;
    if (hop_limit_expired(ctx, p))
        return -1;
    if (p->family == XVS_FAMILY_V4) {
        struct iphdr *ip = data + off;
        if ((void *)(ip + 1) > end)
            return -1;
        /* TTL and protocol share one 16-bit word of the header. */
        __u16 *word = (__u16 *)&ip->ttl;
        __u16 before = *word;
        ip->ttl--;
        csum_apply((__u16 *)&ip->check, csum_delta16(0, before, *word));
        return 0;
    }
    struct ipv6hdr *ip6 = data + off;
    if ((void *)(ip6 + 1) > end)
        return -1;
    ip6->hop_limit--;
    return 0;
}

#endif
