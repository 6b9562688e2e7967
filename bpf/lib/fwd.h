/* Sending a rewritten frame on: route lookup, neighbour, MACs, TX or redirect.
 *
 * If the next hop has no resolved neighbour the frame is dropped, counted and
 * the next hop is queued in xvs_pending_neigh for user space to resolve
 * (XdpDataplane::resolve_pending_neighbours()). Passing it to the stack
 * instead would deliver a VIP packet locally, where the director would answer
 * with a RST or port-unreachable and kill the client's connection; dropping
 * costs one retransmission. Other fib failures (no route, blackhole,
 * forwarding disabled, MTU) are dropped with their own counters.
 */
#ifndef XVS_BPF_FWD_H
#define XVS_BPF_FWD_H

#include <linux/if_ether.h>
#include "lib/maps.h"
#include "lib/stats.h"

#ifndef AF_INET
#define AF_INET 2
#endif
#ifndef AF_INET6
#define AF_INET6 10
#endif

static __always_inline void queue_neighbour(const struct bpf_fib_lookup *fib, __u8 family,
                                            __u64 now)
{
    struct xvs_neigh_key k = {};
    if (family == XVS_FAMILY_V4)
        k.addr[0] = fib->ipv4_dst;
    else
        __builtin_memcpy(k.addr, fib->ipv6_dst, 16);
    k.ifindex = fib->ifindex;
    k.family = family;
    bpf_map_update_elem(&xvs_pending_neigh, &k, &now, BPF_NOEXIST);
}

/* Route lookup to dst. Returns -1 on success (fib filled), else the XDP
 * action to return (already counted). */
static __always_inline int fib_route(struct xdp_md *ctx, __u8 family, const __u32 *src,
                                     const __u32 *dst, __u8 proto, __u16 tot_len,
                                     struct bpf_fib_lookup *fib)
{
    __builtin_memset(fib, 0, sizeof(*fib));
    fib->l4_protocol = proto;
    fib->tot_len = tot_len;
    fib->ifindex = ctx->ingress_ifindex;
    if (family == XVS_FAMILY_V4) {
        fib->family = AF_INET;
        fib->ipv4_src = src[0];
        fib->ipv4_dst = dst[0];
    } else {
        fib->family = AF_INET6;
        __builtin_memcpy(fib->ipv6_src, src, 16);
        __builtin_memcpy(fib->ipv6_dst, dst, 16);
    }
    long rc = bpf_fib_lookup(ctx, fib, sizeof(*fib), 0);
    switch (rc) {
    case BPF_FIB_LKUP_RET_SUCCESS:
        return -1;
    case BPF_FIB_LKUP_RET_NO_NEIGH:
        queue_neighbour(fib, family, bpf_ktime_get_ns());
        return counted(XDP_DROP, XVS_STAT_DROP_NO_NEIGH);
    case BPF_FIB_LKUP_RET_FWD_DISABLED:
        return counted(XDP_DROP, XVS_STAT_DROP_FWD_DISABLED);
    case BPF_FIB_LKUP_RET_FRAG_NEEDED:
        return counted(XDP_DROP, XVS_STAT_DROP_FRAG_NEEDED);
    default:
        return counted(XDP_DROP, XVS_STAT_DROP_NO_ROUTE);
    }
}

/* Writes the next hop's MACs into the Ethernet header at the frame start and
 * sends the frame out of the fib's interface. */
static __always_inline int send_to_next_hop(struct xdp_md *ctx, const struct bpf_fib_lookup *fib)
{
    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > end)
        return counted(XDP_DROP, XVS_STAT_DROP_ERROR);
    __builtin_memcpy(eth->h_dest, fib->dmac, ETH_ALEN);
    __builtin_memcpy(eth->h_source, fib->smac, ETH_ALEN);
    if (fib->ifindex == ctx->ingress_ifindex)
        return counted(XDP_TX, XVS_STAT_TX);
    count(XVS_STAT_REDIRECT);
    return bpf_redirect(fib->ifindex, 0);
}

#endif
