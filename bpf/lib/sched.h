/* Service lookup and scheduling of new flows.
 *
 * Lookup order: (VIP, port, proto), then the port-less virtual (VIP, 0, proto),
 * then the fwmark match= entries with the port and without.
 *
 * The table schedulers read the service's table (abi.h, xvs_sched_tables),
 * built in user space: rr/wrr walk it with a per-CPU position, sh/dh/mh index
 * it by a hash. lc/wlc/sed/nq/fo/ovf compare the live counts (xvs_real_conns)
 * of every real of the service's list (xvs_sched_lists), in IPVS's list order
 * so that ties go where IPVS sends them. Weight-0 reals are never in a table
 * or a list, so they get no new flows.
 *
 * Overloaded reals (lib/overload.h) get no new flows either, as each IPVS
 * scheduler skips them: the count schedulers pass over them; rr and wrr move
 * on to the next slot whose real is not overloaded, as IPVS's cursor moves
 * over the list (the table is that list's order); sh and mh try the next
 * slots with -fallback and otherwise drop, as IPVS's sh and mh without
 * fallback drop; dh drops, as IPVS's dh. At most XVS_SCHED_SKIP_MAX slots
 * are tried.
 */
#ifndef XVS_BPF_SCHED_H
#define XVS_BPF_SCHED_H

#include "lib/maps.h"
#include "lib/overload.h"
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

/* lc, wlc, sed, nq, fo and ovf over the service's list (abi.h, struct
 * xvs_sched_list), in the order IPVS lists its reals: the real id, or -1 when
 * every real is quiescent or overloaded. Each formula and tie-break is
 * IPVS's (ip_vs_lc.c and the others): the overhead of lc and wlc is active *
 * 256 + inactive, that of sed and nq active + 1; loads are compared as
 * overhead * weight products, and a later real wins only when strictly
 * better, so ties go to the first listed. A subprogram of its own: its
 * loop's registers and keys are not added to the frame of the caller, which
 * has no room for them. */
static __noinline __s64 schedule_by_counts(const struct xvs_sched_list *list, __u32 service_id,
                                           __u32 sched)
{
    __s64 best = -1, best_load = 0, best_weight = 0;
    __u32 len = list->len;
    for (__u32 i = 0; i < XVS_SCHED_LIST_MAX; i++) {
        if (i >= len)
            break;
        __u32 id = list->real_ids[i];
        struct xvs_real *r = bpf_map_lookup_elem(&xvs_reals, &id);
        struct xvs_real_conns *n = bpf_map_lookup_elem(&xvs_real_conns, &id);
        /* An id read while user space rewrote the list may be of a real that
         * left the service: only the service's own reals count. */
        if (!r || !n || !(r->flags & XVS_REAL_F_IN_USE) || r->service_id != service_id ||
            !r->weight || real_overloaded(r, n))
            continue;
        __s64 weight = r->weight;
        /* The sweeper's corrections may leave a count below zero for a
         * moment (abi.h); IPVS's never are. */
        __s64 active = n->active > 0 ? n->active : 0;
        if (sched == XVS_SCHED_FO || sched == XVS_SCHED_OVF) {
            if (sched == XVS_SCHED_OVF && active > weight)
                continue;
            if (weight > best_weight) {
                best = id;
                best_weight = weight;
            }
            continue;
        }
        if (sched == XVS_SCHED_NQ && active == 0)
            return id;
        __s64 load = active + 1;
        if (sched == XVS_SCHED_LC || sched == XVS_SCHED_WLC) {
            __s64 inactive = n->inactive > 0 ? n->inactive : 0;
            load = active * 256 + inactive;
        }
        if (sched == XVS_SCHED_LC)
            weight = 1;
        if (best < 0 || best_load * weight > load * best_weight) {
            best = id;
            best_load = load;
            best_weight = weight;
        }
    }
    return best;
}

/* The first slot after `slot` (0-based, wrapping) whose real is in use, of
 * weight > 0 and not overloaded, within XVS_SCHED_SKIP_MAX slots: (slot << 32)
 * | real id, or -1. Only reached when the slot a table scheduler chose names an
 * overloaded real; a subprogram of its own for the same reason as
 * schedule_by_counts(). The loop counter stays in a register and the key is
 * a copy of it: a counter kept on the stack loses the bounds the verifier
 * needs to see the loop end. */
static __noinline __s64 next_available_slot(void *table, __u32 len, __u32 slot)
{
    for (__u32 step = 1; step <= XVS_SCHED_SKIP_MAX; step++) {
        if (step >= len)
            break;
        __u32 at = slot + step;
        if (at >= len)
            at -= len;
        __u32 key = at + 1;
        __u32 *entry = bpf_map_lookup_elem(table, &key);
        if (!entry)
            break;
        __u32 id = *entry;
        struct xvs_real *r = bpf_map_lookup_elem(&xvs_reals, &id);
        struct xvs_real_conns *n = bpf_map_lookup_elem(&xvs_real_conns, &id);
        if (r && n && (r->flags & XVS_REAL_F_IN_USE) && r->weight && !real_overloaded(r, n))
            return ((__s64)at << 32) | id;
    }
    return -1;
}

/* Picks a real for a new flow: returns its id, or -1 when the service has no
 * real with weight > 0 that is not overloaded. */
static __always_inline __s64 schedule_real(const struct xvs_packet *p,
                                           const struct xvs_service *svc, __u32 service_id)
{
    __u8 sched = svc->sched;
    if (sched >= XVS_SCHED_LC) { /* lc .. ovf, the last codes of enum xvs_sched */
        struct xvs_sched_list *list = bpf_map_lookup_elem(&xvs_sched_lists, &service_id);
        return list ? schedule_by_counts(list, service_id, sched) : -1;
    }
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
    __u32 *pos = 0;
    __u32 port = (svc->flags & XVS_SVC_F_HASH_PORT) ? p->sport : 0;
    switch (sched) {
    case XVS_SCHED_SH:
    case XVS_SCHED_MH:
        slot = hash_address(p->src, port) % len;
        break;
    case XVS_SCHED_DH:
        slot = hash_address(p->dst, 0) % len;
        break;
    default:
        pos = bpf_map_lookup_elem(&xvs_rr_position, &service_id);
        if (!pos)
            return -1;
        slot = *pos % len;
        *pos = slot + 1;
        break;
    }
    __u32 key = slot + 1;
    __u32 *real_id = bpf_map_lookup_elem(table, &key);
    if (!real_id)
        return -1;
    __u32 id = *real_id;
    struct xvs_real_conns *n = bpf_map_lookup_elem(&xvs_real_conns, &id);
    /* The common case ends here: a real that was never overloaded. */
    if (!n || !n->overloaded)
        return id;
    struct xvs_real *r = bpf_map_lookup_elem(&xvs_reals, &id);
    if (!r || !real_overloaded(r, n))
        return id;
    if (sched == XVS_SCHED_DH ||
        ((sched == XVS_SCHED_SH || sched == XVS_SCHED_MH) && !(svc->flags & XVS_SVC_F_FALLBACK)))
        return -1;
    __s64 found = next_available_slot(table, len, slot);
    if (found < 0)
        return -1;
    if (pos)
        *pos = (__u32)(found >> 32) + 1;
    return found & 0xffffffff;
}

#endif
