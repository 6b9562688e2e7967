/* TUN (ipip) encapsulation by the real's tunnel type, as IPVS builds it
 * (net/netfilter/ipvs/ip_vs_xmit.c):
 *   ipip  outer IP, protocol IPIP (IPv4 reals) / IPv6 (IPv6 reals)
 *   gue   outer IP, UDP to the real's tun_port, a 4-byte GUE header (version
 *         0, no options) whose protocol is IPIP / IPv6
 *   gre   outer IP, protocol GRE, a GRE header (version 0) with protocol
 *         ETH_P_IP / ETH_P_IPV6, and with XVS_TUN_F_CSUM the checksum field
 *
 * The outer header goes between the L2 header (with its VLAN tags, kept) and
 * the client's packet; outer TTL/hop limit 64, DF copied from the inner IPv4
 * header, IPv4 header checksum computed in full. Bytes after the client's IP
 * datagram (Ethernet padding) are cut first: the kernel trims them on input,
 * and a tunnel checksum must not cover them.
 *
 * Checksums, as IPVS for a packet that arrived with its checksum complete
 * (every frame XDP sees): GUE's UDP checksum is zero without XVS_TUN_F_CSUM,
 * for IPv6 outers too (udp6_set_csum() with nocheck), and computed over the
 * pseudo header and the whole datagram with it; GRE's over the GRE header and
 * the packet. XVS_TUN_F_REMCSUM is sent as XVS_TUN_F_CSUM: IPVS adds the
 * remote checksum offload option only to a CHECKSUM_PARTIAL skb (one whose
 * inner checksum is still to be filled in, i.e. sent by the director itself),
 * so it never adds it to a forwarded packet whose checksum is already there.
 *
 * The GUE source port is a hash of the inner flow (gue_source_port()). The outer source is the
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

/* GUE's header (draft-ietf-intarea-gue, as net/gue.h): version 0, no
 * control flag, no options, no flags: only the protocol byte is set. */
#define XVS_GUE_HLEN 4
#define XVS_GRE_HLEN 4
#define XVS_GRE_CSUM_HLEN 8 /* + checksum and reserved1 */
#define XVS_GRE_F_CSUM 0x8000

/* The kernel's default ip_local_port_range, which udp_flow_src_port() uses. */
#define XVS_GUE_SPORT_MIN 32768
#define XVS_GUE_SPORT_RANGE (60999 - 32768 + 1)

/* The bytes the real's tunnel puts in front of the client's IP packet. */
static __always_inline __u32 tunnel_overhead(const struct xvs_real *r, __u8 family)
{
    __u32 ip = family == XVS_FAMILY_V4 ? sizeof(struct iphdr) : sizeof(struct ipv6hdr);
    if (r->tun_type == XVS_TUN_GUE)
        return ip + sizeof(struct udphdr) + XVS_GUE_HLEN;
    if (r->tun_type == XVS_TUN_GRE)
        return ip + ((r->tun_flags & XVS_TUN_F_CSUM) ? XVS_GRE_CSUM_HLEN : XVS_GRE_HLEN);
    return ip;
}

/* The outer IP header's protocol / next header. */
static __always_inline __u8 tunnel_outer_proto(const struct xvs_real *r, __u8 family)
{
    if (r->tun_type == XVS_TUN_GUE)
        return IPPROTO_UDP;
    if (r->tun_type == XVS_TUN_GRE)
        return IPPROTO_GRE;
    return family == XVS_FAMILY_V4 ? IPPROTO_IPIP : IPPROTO_IPV6;
}

/* The outer UDP source port of GUE. IPVS takes it from the skb's flow hash
 * (udp_flow_src_port()), which XDP does not have, so it cannot be the same
 * port; this is a hash of the inner flow (addresses, protocol, and ports
 * unless the packet is a fragment, so that all of a datagram goes one way),
 * stable for the flow, in the same range, which is what receivers' RSS and
 * ECMP need from it. */
static __always_inline __be16 gue_source_port(const struct xvs_packet *p)
{
    __u32 h = p->src[0] ^ p->src[1] ^ p->src[2] ^ p->src[3];
    h = h * 0x9e3779b1 ^ (p->dst[0] ^ p->dst[1] ^ p->dst[2] ^ p->dst[3]);
    h = h * 0x9e3779b1 ^ p->proto;
    if (p->frag == XVS_FRAG_NONE)
        h = h * 0x9e3779b1 ^ (((__u32)p->sport << 16) | p->dport);
    h ^= h >> 15;
    h *= 0x85ebca6b;
    h ^= h >> 13;
    return bpf_htons(XVS_GUE_SPORT_MIN + (__u16)(((__u64)h * XVS_GUE_SPORT_RANGE) >> 32));
}

/* Cuts what follows the client's IP datagram (l3_end) off the frame. */
static __always_inline int trim_to_datagram(struct xdp_md *ctx, const struct xvs_packet *p)
{
    __s64 extra = (__s64)(ctx->data_end - ctx->data) - p->l3_end;
    if (extra <= 0)
        return 0;
    return bpf_xdp_adjust_tail(ctx, -(int)extra) ? -1 : 0;
}

/* Writes the UDP and GUE headers at t, the checksum left zero. */
static __always_inline int write_gue(__u8 *t, void *end, const struct xvs_packet *p,
                                     const struct xvs_real *r, __u16 udp_len, __u8 inner_proto)
{
    struct udphdr *u = (struct udphdr *)t;
    if ((void *)(t + sizeof(*u) + XVS_GUE_HLEN) > end)
        return -1;
    u->source = gue_source_port(p);
    u->dest = r->tun_port;
    u->len = bpf_htons(udp_len);
    u->check = 0;
    __u8 *g = t + sizeof(*u);
    g[0] = 0; /* version 0, C = 0, hlen 0 */
    g[1] = inner_proto;
    g[2] = 0; /* flags */
    g[3] = 0;
    return 0;
}

/* Writes the GRE header at t, the checksum field (if any) left zero. */
static __always_inline int write_gre(__u8 *t, void *end, int csum, __be16 inner_ethertype)
{
    if ((void *)(t + XVS_GRE_CSUM_HLEN) > end)
        return -1;
    __be16 *w = (__be16 *)t;
    w[0] = csum ? bpf_htons(XVS_GRE_F_CSUM) : 0;
    w[1] = inner_ethertype;
    if (csum) {
        w[2] = 0;
        w[3] = 0;
    }
    return 0;
}

/* Sum of the outer addresses for the UDP pseudo header (v4: 8 bytes, v6: 32). */
static __always_inline __u32 pseudo_addresses(const __u32 *src, const __u32 *dst, int v4)
{
    __u64 s = 0;
    int words = v4 ? 1 : 4;
#pragma unroll
    for (int i = 0; i < 4; i++) {
        if (i < words)
            s += (__u64)(src[i] & 0xffff) + (src[i] >> 16) + (dst[i] & 0xffff) + (dst[i] >> 16);
    }
    return csum_fold32((__u32)s + (__u32)(s >> 32));
}

/* Fills the GUE UDP checksum or the GRE checksum over [t, frame end). */
static __always_inline int tunnel_checksum(struct xdp_md *ctx, __u32 t_off, const struct xvs_real *r,
                                           const __u32 *src, const __u32 *dst, int v4)
{
    int sum = xvs_csum_to_end(ctx, t_off);
    if (sum < 0)
        return -1;
    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    if (t_off > XVS_CSUM_MAX_FROM)
        return -1;
    __u8 *t = data + t_off;
    if ((void *)(t + XVS_GRE_CSUM_HLEN) > end)
        return -1;
    if (r->tun_type == XVS_TUN_GRE) {
        __u16 *check = (__u16 *)(t + 4);
        *check = (__u16)~(__u16)sum;
        return 0;
    }
    struct udphdr *u = (struct udphdr *)t;
    __u32 all = (__u32)sum + pseudo_addresses(src, dst, v4) + bpf_htons(IPPROTO_UDP) + u->len;
    __u16 c = (__u16)~csum_fold32(all);
    u->check = c ? c : 0xffff; /* a computed zero is sent as all ones (RFC 768) */
    return 0;
}

/* Encapsulates the packet for real r from src (outer src).
 * Returns 0 on success; the frame then starts with the moved L2 header.
 * Only hdr and the inner TOS/DF live across the helper calls: the program's
 * stack is nearly all used by its callers. */
static __always_inline int encapsulate(struct xdp_md *ctx, const struct xvs_packet *p,
                                       const __u32 *src, const struct xvs_real *r)
{
    if (p->l3_off > 22)
        return -1;
    if (trim_to_datagram(ctx, p))
        return -1;
    __u32 hdr = tunnel_overhead(r, p->family);
    __u32 tos_df = 0; /* the inner IPv4 TOS << 16 | DF bit */
    {
        void *data = (void *)(long)ctx->data;
        void *end = (void *)(long)ctx->data_end;
        struct iphdr *ip = data + (p->l3_off & 31);
        if ((void *)(ip + 1) > end)
            return -1;
        if (p->family == XVS_FAMILY_V4)
            tos_df = (__u32)ip->tos << 16 | (ip->frag_off & bpf_htons(0x4000));
    }
    if (bpf_xdp_adjust_head(ctx, -(int)hdr))
        return -1;
    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    __u32 l2_len = p->l3_off;
    if (l2_len > 22)
        return -1;
    if (move_l2(data, end, l2_len, hdr))
        return -1;
    int v4 = p->family == XVS_FAMILY_V4;
    __u32 ip_len = v4 ? sizeof(struct iphdr) : sizeof(struct ipv6hdr);
    __u8 *t = data + l2_len + ip_len; /* the tunnel header after the outer IP */
    __u8 inner_proto = v4 ? IPPROTO_IPIP : IPPROTO_IPV6;
    if (r->tun_type == XVS_TUN_GUE) {
        if (write_gue(t, end, p, r, p->l3_len + sizeof(struct udphdr) + XVS_GUE_HLEN, inner_proto))
            return -1;
    } else if (r->tun_type == XVS_TUN_GRE) {
        if (write_gre(t, end, r->tun_flags & XVS_TUN_F_CSUM,
                      v4 ? bpf_htons(ETH_P_IP) : bpf_htons(ETH_P_IPV6)))
            return -1;
    }
    __u8 outer_proto = tunnel_outer_proto(r, p->family);
    if (v4) {
        struct iphdr *o = data + l2_len;
        if ((void *)(o + 1) > end)
            return -1;
        o->version = 4;
        o->ihl = 5;
        o->tos = tos_df >> 16;
        o->tot_len = bpf_htons(p->l3_len + hdr);
        o->id = 0;
        o->frag_off = (__be16)tos_df;
        o->ttl = XVS_TUNNEL_TTL;
        o->protocol = outer_proto;
        o->check = 0;
        o->saddr = src[0];
        o->daddr = r->addr[0];
        o->check = csum_ipv4_header((const __u16 *)o);
    } else {
        struct ipv6hdr *o6 = data + l2_len;
        if ((void *)(o6 + 1) > end)
            return -1;
        *(__be32 *)o6 = bpf_htonl(0x60000000);
        o6->payload_len = bpf_htons(p->l3_len + hdr - sizeof(*o6));
        o6->nexthdr = outer_proto;
        o6->hop_limit = XVS_TUNNEL_TTL;
        __builtin_memcpy(o6->saddr.in6_u.u6_addr32, src, 16);
        __builtin_memcpy(o6->daddr.in6_u.u6_addr32, r->addr, 16);
    }
    int csum = r->tun_type == XVS_TUN_GUE ? (r->tun_flags & (XVS_TUN_F_CSUM | XVS_TUN_F_REMCSUM))
               : r->tun_type == XVS_TUN_GRE ? (r->tun_flags & XVS_TUN_F_CSUM)
                                            : 0;
    if (csum)
        return tunnel_checksum(ctx, l2_len + ip_len, r, src, r->addr, v4);
    return 0;
}

#endif
