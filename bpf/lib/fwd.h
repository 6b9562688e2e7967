/* Sending a rewritten frame on: route lookup (cached per CPU: next_hop()),
 * neighbour, MACs, TX or redirect.
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

/* Route lookup to dst from src (NULL: any source). Returns -1 on success
 * (fib filled), else the XDP action to return (already counted). */
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
        if (src)
            fib->ipv4_src = src[0];
        fib->ipv4_dst = dst[0];
    } else {
        fib->family = AF_INET6;
        if (src)
            __builtin_memcpy(fib->ipv6_src, src, 16);
        __builtin_memcpy(fib->ipv6_dst, dst, 16);
    }
    long rc = bpf_fib_lookup(ctx, fib, sizeof(*fib), 0);
    switch (rc) {
    case BPF_FIB_LKUP_RET_SUCCESS:
        return -1;
    case BPF_FIB_LKUP_RET_NO_NEIGH:
        queue_neighbour(fib, family, bpf_ktime_get_coarse_ns());
        return counted(XDP_DROP, XVS_STAT_DROP_NO_NEIGH);
    case BPF_FIB_LKUP_RET_FWD_DISABLED:
        return counted(XDP_DROP, XVS_STAT_DROP_FWD_DISABLED);
    case BPF_FIB_LKUP_RET_FRAG_NEEDED:
        return counted(XDP_DROP, XVS_STAT_DROP_FRAG_NEEDED);
    default:
        return counted(XDP_DROP, XVS_STAT_DROP_NO_ROUTE);
    }
}

static __always_inline int same_addr(const __u32 *a, const __u32 *b)
{
    return !((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3]));
}

/* xvs_hop_slot() (xvs/abi.h) indexes xvs_hops with XVS_HOP_CACHE_SIZE slots:
 * the map must have exactly that many. */
_Static_assert(sizeof(*xvs_hops.max_entries) == XVS_HOP_CACHE_SIZE * sizeof(int),
               "xvs_hops must have XVS_HOP_CACHE_SIZE entries");

/* The next hop towards dst for a packet of tot_len bytes (after any
 * encapsulation): this CPU's cached answer while it is younger than
 * XVS_HOP_CACHE_NS, else bpf_fib_lookup's, which is then cached. A route or
 * neighbour change therefore reaches the packets within a second, the same
 * order as the kernel's own neighbour confirmation; failures (no neighbour,
 * no route, MTU) are never cached. The cache is keyed by destination and
 * ingress interface: source-based policy routing towards reals or clients is
 * honoured for the first packet of a second only, so xvs does not support it.
 * Returns the hop, or NULL with *action set (already counted). */
static __always_inline struct xvs_hop *next_hop(struct xdp_md *ctx, __u8 family, const __u32 *src,
                                                const __u32 *dst, __u8 proto, __u16 tot_len,
                                                __u64 now, int *action)
{
    __u32 ingress = ctx->ingress_ifindex;
    __u32 slot = xvs_hop_slot(dst, ingress);
    struct xvs_hop *h = bpf_map_lookup_elem(&xvs_hops, &slot);
    if (!h) {
        *action = counted(XDP_DROP, XVS_STAT_DROP_ERROR);
        return 0;
    }
    int same_key = h->family == family && h->ingress_ifindex == ingress && same_addr(h->dst, dst);
    int fresh = now - h->filled_ns < XVS_HOP_CACHE_NS;
    if (same_key && fresh && tot_len <= h->max_len)
        return h;
    struct bpf_fib_lookup fib;
    int a = fib_route(ctx, family, src, dst, proto, tot_len, &fib);
    if (a >= 0) {
        *action = a;
        return 0;
    }
    if (same_key && fresh && h->egress_ifindex == fib.ifindex) {
        /* A longer packet on the same route passed the MTU check. */
        if (tot_len > h->max_len)
            h->max_len = tot_len;
        return h;
    }
    __builtin_memcpy(h->dst, dst, 16);
    h->ingress_ifindex = ingress;
    h->egress_ifindex = fib.ifindex;
    h->filled_ns = now;
    h->tunnel_src[0] = h->tunnel_src[1] = h->tunnel_src[2] = h->tunnel_src[3] = 0;
    h->max_len = tot_len;
    h->family = family;
    __builtin_memcpy(h->dmac, fib.dmac, ETH_ALEN);
    __builtin_memcpy(h->smac, fib.smac, ETH_ALEN);
    return h;
}

/* Writes the next hop's MACs into the Ethernet header at the frame start and
 * sends the frame out of the hop's interface. */
static __always_inline int send_to_next_hop(struct xdp_md *ctx, const struct xvs_hop *hop)
{
    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > end)
        return counted(XDP_DROP, XVS_STAT_DROP_ERROR);
    __builtin_memcpy(eth->h_dest, hop->dmac, ETH_ALEN);
    __builtin_memcpy(eth->h_source, hop->smac, ETH_ALEN);
    __u32 egress = hop->egress_ifindex;
    if (egress == ctx->ingress_ifindex)
        return counted(XDP_TX, XVS_STAT_TX);
    count(XVS_STAT_REDIRECT);
    return bpf_redirect(egress, 0);
}

#endif
