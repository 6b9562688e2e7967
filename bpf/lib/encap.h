/* TUN (ipip) encapsulation: IPIP for IPv4 reals, IP6IP6 for IPv6 reals.
 *
 * The outer header goes between the L2 header (with its VLAN tags, kept) and
 * the client's packet; outer TTL/hop limit 64, DF copied from the inner IPv4
 * header, IPv4 header checksum computed in full. The outer source is the
 * configured tunnel source of the family (xvs_config), else the address user
 * space recorded for the egress interface (xvs_iface_addrs); with neither the
 * packet is dropped and counted: an outer source of 0.0.0.0 would be dropped
 * by the real anyway, and silently.
 */
#ifndef XVS_BPF_ENCAP_H
#define XVS_BPF_ENCAP_H

#include "lib/csum.h"
#include "lib/maps.h"
#include "lib/parse.h"

#define XVS_TUNNEL_TTL 64

/* Fills src with the outer source for the egress ifindex; returns 0 when none. */
static __always_inline int tunnel_source(__u8 family, __u32 ifindex, __u32 *src)
{
    __u32 zero = 0;
    struct xvs_config *cfg = bpf_map_lookup_elem(&xvs_config, &zero);
    struct xvs_iface_addr *ia = bpf_map_lookup_elem(&xvs_iface_addrs, &ifindex);
    if (family == XVS_FAMILY_V4) {
        if (cfg && cfg->tunnel_src_v4) {
            src[0] = cfg->tunnel_src_v4;
            return 1;
        }
        if (ia && ia->v4) {
            src[0] = ia->v4;
            return 1;
        }
        return 0;
    }
    if (cfg && (cfg->tunnel_src_v6[0] | cfg->tunnel_src_v6[1] | cfg->tunnel_src_v6[2] |
                cfg->tunnel_src_v6[3])) {
        __builtin_memcpy(src, cfg->tunnel_src_v6, 16);
        return 1;
    }
    if (ia && (ia->v6[0] | ia->v6[1] | ia->v6[2] | ia->v6[3])) {
        __builtin_memcpy(src, ia->v6, 16);
        return 1;
    }
    return 0;
}

/* Moves the L2 header (l2_len bytes: 14, 18 or 22) from old_start to
 * new_start, which is hdr bytes earlier. */
static __always_inline int move_l2(void *data, void *end, __u32 l2_len, __u32 hdr)
{
    __u8 *dst = data;
    __u8 *src = data + hdr;
    if ((void *)(src + 22) > end)
        return -1;
    if (l2_len == 14)
        __builtin_memmove(dst, src, 14);
    else if (l2_len == 18)
        __builtin_memmove(dst, src, 18);
    else if (l2_len == 22)
        __builtin_memmove(dst, src, 22);
    else
        return -1;
    return 0;
}

/* Encapsulates the packet for real (outer dst) from src (outer src).
 * Returns 0 on success; the frame then starts with the moved L2 header. */
static __always_inline int encapsulate(struct xdp_md *ctx, const struct xvs_packet *p,
                                       const __u32 *src, const __u32 *real)
{
    __u32 l2_len = p->l3_off;
    int v4 = p->family == XVS_FAMILY_V4;
    __u32 hdr = v4 ? sizeof(struct iphdr) : sizeof(struct ipv6hdr);
    __u8 inner_tos = 0;
    __be16 inner_df = 0;
    {
        void *data = (void *)(long)ctx->data;
        void *end = (void *)(long)ctx->data_end;
        if (l2_len > 22)
            return -1;
        struct iphdr *ip = data + l2_len;
        if ((void *)(ip + 1) > end)
            return -1;
        if (v4) {
            inner_tos = ip->tos;
            inner_df = ip->frag_off & bpf_htons(0x4000);
        }
    }
    if (bpf_xdp_adjust_head(ctx, -(int)hdr))
        return -1;
    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    if (move_l2(data, end, l2_len, hdr))
        return -1;
    if (v4) {
        struct iphdr *o = data + l2_len;
        if ((void *)(o + 1) > end)
            return -1;
        o->version = 4;
        o->ihl = 5;
        o->tos = inner_tos;
        o->tot_len = bpf_htons(p->l3_len + sizeof(*o));
        o->id = 0;
        o->frag_off = inner_df;
        o->ttl = XVS_TUNNEL_TTL;
        o->protocol = IPPROTO_IPIP;
        o->check = 0;
        o->saddr = src[0];
        o->daddr = real[0];
        o->check = csum_ipv4_header((const __u16 *)o);
        return 0;
    }
    struct ipv6hdr *o6 = data + l2_len;
    if ((void *)(o6 + 1) > end)
        return -1;
    *(__be32 *)o6 = bpf_htonl(0x60000000);
    o6->payload_len = bpf_htons(p->l3_len);
    o6->nexthdr = IPPROTO_IPV6;
    o6->hop_limit = XVS_TUNNEL_TTL;
    __builtin_memcpy(o6->saddr.in6_u.u6_addr32, src, 16);
    __builtin_memcpy(o6->daddr.in6_u.u6_addr32, real, 16);
    return 0;
}

#endif
