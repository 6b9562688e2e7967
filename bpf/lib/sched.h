/* Service lookup and scheduling of new flows.
 *
 * Lookup order: (VIP, port, proto), then the port-less virtual (VIP, 0, proto),
 * then the fwmark match= entries with the port and without.
 *
 * Every scheduler reads the service's table (abi.h, xvs_sched_tables), built
 * in user space: rr/wrr walk it with a per-CPU position, sh/dh/mh index it by
 * a hash. Weight-0 reals are never in a table, so they get no new flows.
 */
#ifndef XVS_BPF_SCHED_H
#define XVS_BPF_SCHED_H

#include "lib/maps.h"
#include "lib/parse.h"

static __always_inline struct xvs_service *lookup_service(const struct xvs_packet *p,
                                                          __u32 *service_id)
{
    struct xvs_service_key key = {};
    __builtin_memcpy(key.addr, p->dst, 16);
    key.port = p->dport;
    key.proto = p->proto;
    key.family = p->family;
    __u32 *id = bpf_map_lookup_elem(&xvs_services, &key);
    if (!id) {
        key.port = 0;
        id = bpf_map_lookup_elem(&xvs_services, &key);
    }
    if (!id) {
        key.port = p->dport;
        id = bpf_map_lookup_elem(&xvs_matches, &key);
    }
    if (!id) {
        key.port = 0;
        id = bpf_map_lookup_elem(&xvs_matches, &key);
    }
    if (!id)
        return 0;
    __u32 sid = *id;
    struct xvs_service *svc = bpf_map_lookup_elem(&xvs_service_info, &sid);
    if (!svc || !(svc->flags & XVS_SVC_F_IN_USE))
        return 0;
    *service_id = sid;
    return svc;
}

/* Murmur3's finaliser over the words: cheap, well mixed, and the same on every
 * director, which mh needs to stay consistent across them. */
static __always_inline __u32 hash_mix(__u32 h, __u32 w)
{
    w *= 0xcc9e2d51;
    w = (w << 15) | (w >> 17);
    w *= 0x1b873593;
    h ^= w;
    h = (h << 13) | (h >> 19);
    return h * 5 + 0xe6546b64;
}

static __always_inline __u32 hash_final(__u32 h)
{
    h ^= h >> 16;
    h *= 0x85ebca6b;
    h ^= h >> 13;
    h *= 0xc2b2ae35;
    h ^= h >> 16;
    return h;
}

static __always_inline __u32 hash_address(const __u32 *addr, __u32 port)
{
    __u32 h = 0x5851f42d;
#pragma unroll
    for (int i = 0; i < 4; i++)
        h = hash_mix(h, addr[i]);
    h = hash_mix(h, port);
    return hash_final(h);
}

/* Picks a real for a new flow: returns its id, or -1 when the service has no
 * real with weight > 0. */
static __always_inline __s64 schedule_real(const struct xvs_packet *p,
                                           const struct xvs_service *svc, __u32 service_id)
{
    void *table = bpf_map_lookup_elem(&xvs_sched_tables, &service_id);
    if (!table)
        return -1;
    __u32 zero = 0;
    __u32 *lenp = bpf_map_lookup_elem(table, &zero);
    if (!lenp)
        return -1;
    __u32 len = *lenp;
    if (len == 0)
        return -1;
    __u32 slot;
    __u32 port = (svc->flags & XVS_SVC_F_HASH_PORT) ? p->sport : 0;
    switch (svc->sched) {
    case XVS_SCHED_SH:
    case XVS_SCHED_MH:
        slot = hash_address(p->src, port) % len;
        break;
    case XVS_SCHED_DH:
        slot = hash_address(p->dst, 0) % len;
        break;
    default: {
        __u32 *pos = bpf_map_lookup_elem(&xvs_rr_position, &service_id);
        if (!pos)
            return -1;
        slot = *pos % len;
        *pos = slot + 1;
        break;
    }
    }
    slot += 1;
    __u32 *real_id = bpf_map_lookup_elem(table, &slot);
    if (!real_id)
        return -1;
    return *real_id;
}

#endif
