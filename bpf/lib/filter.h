/* The address filter: one array read that tells most packets which are not
 * for xvs to leave (XDP_PASS) before any hash lookup. Its meaning and how user
 * space keeps it a superset of the VIPs and NAT reals: include/xvs/abi.h. */
#ifndef XVS_BPF_FILTER_H
#define XVS_BPF_FILTER_H

#include "lib/maps.h"
#include "lib/parse.h"

#define XVS_MAY_BE_VIP 1        /* destination in the VIP set */
#define XVS_MAY_BE_NAT_REPLY 2  /* source in the NAT real set */

static __always_inline int addr_filter_has_bit(__u32 set, __u32 bit)
{
    __u32 word = set * XVS_ADDR_FILTER_WORDS + (bit >> 6);
    __u64 *w = bpf_map_lookup_elem(&xvs_addr_filter, &word);
    return w && (*w >> (bit & 63)) & 1;
}

static __always_inline int addr_filter_has(__u32 set, const __u32 *addr)
{
    return addr_filter_has_bit(set, xvs_addr_filter_bit(addr));
}

static __always_inline int addr_filter_has_v4(__u32 set, __u32 addr)
{
    return addr_filter_has_bit(
        set, xvs_addr_filter_finish(xvs_addr_filter_round(XVS_ADDR_FILTER_SEED, addr)));
}

/* XVS_MAY_BE_* bits for the packet; 0 means it is certainly not ours. */
static __always_inline int addr_filter(const struct xvs_packet *p)
{
    int may = 0;
    if (addr_filter_has(XVS_ADDR_FILTER_DST, p->dst))
        may |= XVS_MAY_BE_VIP;
    if (addr_filter_has(XVS_ADDR_FILTER_SRC, p->src))
        may |= XVS_MAY_BE_NAT_REPLY;
    return may;
}

/* The same answer from the outer headers of an untagged IPv4 or IPv6 frame,
 * before the full parse: most traffic of a director is not for xvs and
 * leaves here. Returns XVS_MAY_BE_* bits, or -1 when the frame needs the full
 * parse to tell (VLAN tags, other EtherTypes, truncated headers). For ICMP
 * errors the outer destination is the VIP the full parse keys on, so the
 * answer holds for them too. */
static __always_inline int addr_prefilter(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > end)
        return -1;
    /* Read in place: the stack is the verifier's scarcest resource. */
    int vip, nat;
    if (eth->h_proto == bpf_htons(ETH_P_IP)) {
        struct iphdr *ip = (void *)(eth + 1);
        if ((void *)(ip + 1) > end)
            return -1;
        vip = addr_filter_has_v4(XVS_ADDR_FILTER_DST, ip->daddr);
        nat = addr_filter_has_v4(XVS_ADDR_FILTER_SRC, ip->saddr);
    } else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
        struct ipv6hdr *ip6 = (void *)(eth + 1);
        if ((void *)(ip6 + 1) > end)
            return -1;
        vip = addr_filter_has(XVS_ADDR_FILTER_DST, ip6->daddr.in6_u.u6_addr32);
        nat = addr_filter_has(XVS_ADDR_FILTER_SRC, ip6->saddr.in6_u.u6_addr32);
    } else {
        return -1;
    }
    /* Both bits honestly: a NAT reply is looked up first (xvs_xdp.bpf.c),
     * and only for packets whose source may be a NAT real. */
    return (vip ? XVS_MAY_BE_VIP : 0) | (nat ? XVS_MAY_BE_NAT_REPLY : 0);
}

#endif
