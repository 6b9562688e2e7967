/* NAT (masq) rewrites with incremental checksum updates.
 *
 * nat_rewrite() changes the destination (client -> real, on the way in) or
 * the source (real -> VIP, replies) address and port of a packet, fixing the
 * IPv4 header checksum and the TCP/UDP checksum (pseudo header + port).
 * Later fragments have no L4 header: only the address changes, the L4
 * checksum in the first fragment already covers it.
 *
 * nat_icmp_error_in() rewrites an ICMP error about a NAT flow for the real:
 * the outer destination, and inside the quoted packet (which the real sent and
 * we had rewritten to come from VIP:vport) the source address and port, with
 * the quoted IPv4 checksum and the ICMP checksum. The quoted L4 checksum is
 * left alone, as IPVS does (the quote is usually truncated anyway).
 *
 * Return 0 on success, -1 if the packet no longer matches its parse.
 */
#ifndef XVS_BPF_NAT_H
#define XVS_BPF_NAT_H

#include "lib/csum.h"
#include "lib/parse.h"

static __always_inline int l4_fix(void *data, void *end, const struct xvs_packet *p, int dst_side,
                                  __u32 delta, __be16 new_port)
{
    __u32 off = p->l4_off;
    if (off == 0)
        return 0;
    if (off > XVS_MAX_L4_OFFSET)
        return -1;
    int is_v4 = p->family == XVS_FAMILY_V4;
    if (p->proto == IPPROTO_TCP) {
        struct tcphdr *th = data + off;
        if ((void *)(th + 1) > end)
            return -1;
        __be16 *port = dst_side ? &th->dest : &th->source;
        if (new_port && new_port != *port) {
            delta = csum_delta16(delta, *port, new_port);
            *port = new_port;
        }
        csum_apply((__u16 *)&th->check, delta);
        return 0;
    }
    if (p->proto == IPPROTO_UDP) {
        struct udphdr *uh = data + off;
        if ((void *)(uh + 1) > end)
            return -1;
        __be16 *port = dst_side ? &uh->dest : &uh->source;
        if (new_port && new_port != *port) {
            delta = csum_delta16(delta, *port, new_port);
            *port = new_port;
        }
        csum_apply_udp((__u16 *)&uh->check, delta, is_v4);
        return 0;
    }
    return -1;
}

static __always_inline int nat_rewrite(struct xdp_md *ctx, const struct xvs_packet *p,
                                       int dst_side, const __u32 *addr, __be16 port)
{
    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    __u32 off = p->l3_off;
    if (off > XVS_MAX_L3_OFFSET)
        return -1;
    __u32 delta = 0;
    if (p->family == XVS_FAMILY_V4) {
        struct iphdr *ip = data + off;
        if ((void *)(ip + 1) > end)
            return -1;
        __u32 *a = dst_side ? &ip->daddr : &ip->saddr;
        delta = csum_delta32(0, *a, addr[0]);
        *a = addr[0];
        csum_apply((__u16 *)&ip->check, delta);
    } else {
        struct ipv6hdr *ip6 = data + off;
        if ((void *)(ip6 + 1) > end)
            return -1;
        __u32 *a = dst_side ? ip6->daddr.in6_u.u6_addr32 : ip6->saddr.in6_u.u6_addr32;
        delta = csum_delta128(0, a, addr);
        __builtin_memcpy(a, addr, 16);
    }
    return l4_fix(data, end, p, dst_side, delta, port);
}

static __always_inline int nat_icmp_error_in(struct xdp_md *ctx, const struct xvs_packet *p,
                                             const __u32 *real, __be16 real_port)
{
    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    __u32 off = p->l3_off, ioff = p->inner_l3_off, poff = p->inner_l4_off, coff = p->l4_off;
    if (off > XVS_MAX_L3_OFFSET || ioff > XVS_MAX_L4_OFFSET || poff > XVS_MAX_L4_OFFSET ||
        coff > XVS_MAX_L4_OFFSET)
        return -1;
    __be16 *ports = data + poff;
    if ((void *)(ports + 2) > end)
        return -1;
    __u32 icmp_delta = 0;
    if (p->family == XVS_FAMILY_V4) {
        struct iphdr *ip = data + off;
        struct iphdr *inner = data + ioff;
        struct icmphdr *ic = data + coff;
        if ((void *)(ip + 1) > end || (void *)(inner + 1) > end || (void *)(ic + 1) > end)
            return -1;
        csum_apply((__u16 *)&ip->check, csum_delta32(0, ip->daddr, real[0]));
        ip->daddr = real[0];
        __u32 d = csum_delta32(0, inner->saddr, real[0]);
        icmp_delta = d;
        inner->saddr = real[0];
        __u16 old_check = inner->check;
        csum_apply((__u16 *)&inner->check, d);
        icmp_delta = csum_delta16(icmp_delta, old_check, inner->check);
        if (real_port && real_port != ports[0]) {
            icmp_delta = csum_delta16(icmp_delta, ports[0], real_port);
            ports[0] = real_port;
        }
        csum_apply((__u16 *)&ic->checksum, icmp_delta);
        return 0;
    }
    struct ipv6hdr *ip6 = data + off;
    struct ipv6hdr *inner6 = data + ioff;
    struct icmp6hdr *ic6 = data + coff;
    if ((void *)(ip6 + 1) > end || (void *)(inner6 + 1) > end || (void *)(ic6 + 1) > end)
        return -1;
    /* ICMPv6's checksum covers the pseudo header: the outer destination too. */
    icmp_delta = csum_delta128(0, ip6->daddr.in6_u.u6_addr32, real);
    __builtin_memcpy(ip6->daddr.in6_u.u6_addr32, real, 16);
    icmp_delta = csum_delta128(icmp_delta, inner6->saddr.in6_u.u6_addr32, real);
    __builtin_memcpy(inner6->saddr.in6_u.u6_addr32, real, 16);
    if (real_port && real_port != ports[0]) {
        icmp_delta = csum_delta16(icmp_delta, ports[0], real_port);
        ports[0] = real_port;
    }
    csum_apply((__u16 *)&ic6->icmp6_cksum, icmp_delta);
    return 0;
}

#endif
