/* Connection tracking: which real a flow or a persistent client belongs to
 * (fragmented datagrams: lib/frag.h).
 *
 * Decisions (IPVS's, with its behaviour switches in xvs_config.behaviour,
 * XVS_CFG_*; their defaults are the kernel's):
 * - A real is identified by (id, generation). A flow whose real was removed
 *   is dropped packet by packet and kept until it times out, so a real that
 *   comes back (user space gives it its old id and generation) continues
 *   them (expire_nodest_conn=0); with XVS_CFG_EXPIRE_NODEST_CONN the entry is
 *   deleted at its next packet (still dropped), and a SYN to a flow of a
 *   quiescent real is scheduled afresh.
 * - A quiescent real (weight 0) keeps its entries: established flows and
 *   persistence templates still reach it (IPVS: expire_quiescent_template=0);
 *   with XVS_CFG_EXPIRE_QUIESCENT_TEMPLATE a template to it is stale when a
 *   new flow of its client comes (expire_quiescent_template=1).
 * - TCP is tracked from the client side only (DR/TUN never see replies):
 *   SYN -> SYN_RECV (60 s), any ACK -> ESTABLISHED (900 s), FIN -> FIN_WAIT
 *   (120 s), RST -> CLOSE (10 s). A SYN to a flow in CLOSE (or, with
 *   XVS_CFG_CONN_REUSE_FIN, in FIN_WAIT) of a service without persistence is
 *   a new connection, scheduled afresh (conn_reuse_mode=1, bit 2); otherwise
 *   it restarts the flow on its real.
 * - A TCP segment without an entry starts a flow only if it is a SYN (with
 *   XVS_CFG_SLOPPY_TCP: any but a RST); the others go to the stack, as IPVS
 *   passes them (sloppy_tcp=0). Directors sharing flows by Maglev alone, with
 *   no sync, need sloppy_tcp=1.
 * - UDP entries live 300 s after the last datagram; with ops (one-packet
 *   scheduling) no entry is made.
 * - Expiry is checked on use against the coarse monotonic clock (now_ns());
 *   the LRU evicts.
 * - An established flow's packet costs one hash lookup: the connection table
 *   is looked up before the service (the entry names its service and real),
 *   and a persistence template is refreshed only when the flow's own entry is
 *   (once a second), not per packet.
 */
#ifndef XVS_BPF_CONN_H
#define XVS_BPF_CONN_H

#include "lib/maps.h"
#include "lib/overload.h"
#include "lib/parse.h"

static __always_inline void conn_key_of(const struct xvs_packet *p, struct xvs_conn_key *k)
{
    __builtin_memcpy(k->src, p->src, 16);
    __builtin_memcpy(k->dst, p->dst, 16);
    k->sport = p->sport;
    k->dport = p->dport;
    k->proto = p->proto;
    k->family = p->family;
    k->pad = 0;
}

/* The real behind (id, generation), or 0 if it was removed since. */
static __always_inline struct xvs_real *live_real(__u32 real_id, __u32 generation)
{
    struct xvs_real *r = bpf_map_lookup_elem(&xvs_reals, &real_id);
    if (!r || !(r->flags & XVS_REAL_F_IN_USE) || r->generation != generation)
        return 0;
    return r;
}

/* Counting (struct xvs_real_conns in abi.h): a flow is active in
 * ESTABLISHED and inactive in every other state. Only the CPU whose create or
 * delete took effect counts it, so two CPUs racing on one entry count once. */
static __always_inline void count_flow(__u32 real_id, __u8 state, __s64 delta)
{
    struct xvs_real_conns *n = bpf_map_lookup_elem(&xvs_real_conns, &real_id);
    if (!n)
        return;
    if (state == XVS_CONN_TCP_ESTABLISHED)
        __sync_fetch_and_add(&n->active, delta);
    else
        __sync_fetch_and_add(&n->inactive, delta);
    __sync_fetch_and_add(&n->changes, 1);
}

static __always_inline void count_template(__u32 real_id, __s64 delta)
{
    struct xvs_real_conns *n = bpf_map_lookup_elem(&xvs_real_conns, &real_id);
    if (!n)
        return;
    __sync_fetch_and_add(&n->persist, delta);
    __sync_fetch_and_add(&n->changes, 1);
}

/* A new entry of real r (a flow in `state`, or a template) took effect:
 * counted, with its real's overload flag settled before and checked after,
 * as IPVS's ip_vs_bind_dest (lib/overload.h). */
static __always_inline void count_new_entry(__u32 real_id, const struct xvs_real *r, int template,
                                            __u8 state)
{
    struct xvs_real_conns *n = bpf_map_lookup_elem(&xvs_real_conns, &real_id);
    if (!n)
        return;
    real_overloaded(r, n);
    if (template)
        __sync_fetch_and_add(&n->persist, 1);
    else if (state == XVS_CONN_TCP_ESTABLISHED)
        __sync_fetch_and_add(&n->active, 1);
    else
        __sync_fetch_and_add(&n->inactive, 1);
    __sync_fetch_and_add(&n->changes, 1);
    overload_after_bind(r, n);
}

/* The state a segment moves a flow to (client side only). A SYN restarts a
 * closing flow (IPVS's input-only table: FIN_WAIT/CLOSE + SYN -> SYN_RECV). */
static __always_inline __u8 tcp_next_state(__u8 state, __u8 flags)
{
    if (flags & XVS_TCP_RST)
        return XVS_CONN_TCP_CLOSE;
    if (flags & XVS_TCP_FIN)
        return XVS_CONN_TCP_FIN;
    if ((flags & XVS_TCP_SYN) && !(flags & XVS_TCP_ACK))
        return state == XVS_CONN_TCP_ESTABLISHED ? state : XVS_CONN_TCP_SYN;
    if (state == XVS_CONN_NONE || state == XVS_CONN_TCP_SYN)
        return XVS_CONN_TCP_ESTABLISHED;
    return state;
}

/* Whether a TCP segment without an entry may start a flow: a SYN, or with
 * sloppy_tcp anything but a RST (IPVS's tcp_conn_schedule). */
static __always_inline int tcp_may_start_flow(__u8 flags)
{
    if (flags & XVS_TCP_RST)
        return 0;
    if (flags & XVS_TCP_SYN)
        return 1;
    __u32 zero = 0;
    const struct xvs_config *cfg = bpf_map_lookup_elem(&xvs_config, &zero);
    return cfg && (cfg->behaviour & XVS_CFG_SLOPPY_TCP);
}

static __always_inline __u8 initial_state(const struct xvs_packet *p)
{
    if (p->proto != IPPROTO_TCP)
        return XVS_CONN_UDP;
    return tcp_next_state(XVS_CONN_NONE, p->tcp_flags);
}

/* The clock of every timestamp in the maps: CLOCK_MONOTONIC at tick
 * resolution, which is enough for timeouts of seconds. bpf_jiffies64() is
 * inlined by the verifier into one load, where a clock helper costs a call
 * (~30 ns, a quarter of an established flow's cost); the loader measures how
 * jiffies map to CLOCK_MONOTONIC (xvs_config). Without that, the coarse
 * clock helper. User space compares with CLOCK_MONOTONIC and tolerates the
 * tick of difference. */
static __always_inline __u64 now_ns(void)
{
    __u32 zero = 0;
    struct xvs_config *cfg = bpf_map_lookup_elem(&xvs_config, &zero);
    if (cfg && cfg->clock_ns_per_tick)
        return bpf_jiffies64() * cfg->clock_ns_per_tick + cfg->clock_offset_ns;
    return bpf_ktime_get_coarse_ns();
}

/* What conn_use() made of a flow's entry. */
enum conn_verdict {
    CONN_FORWARD, /* to the returned real */
    CONN_STALE,   /* gone (deleted): the packet is a new flow */
    CONN_DROP,    /* its real was removed: dropped, as IPVS drops it */
};

/* A SYN to a live flow that IPVS would schedule afresh (ip_vs_in's
 * rescheduling): to a quiescent real with expire_nodest_conn, or a port reuse
 * after the flow closed, as conn_reuse_mode says, unless a persistence
 * template controls the flow (IPVS never reschedules those). */
static __always_inline int syn_reschedules(const struct xvs_conn *c, const struct xvs_real *r,
                                           __u32 behaviour)
{
    if ((behaviour & XVS_CFG_EXPIRE_NODEST_CONN) && r->weight == 0)
        return 1;
    int reuse = (c->state == XVS_CONN_TCP_CLOSE && !(behaviour & XVS_CFG_CONN_REUSE_NO_CLOSE)) ||
                (c->state == XVS_CONN_TCP_FIN && (behaviour & XVS_CFG_CONN_REUSE_FIN));
    if (!reuse)
        return 0;
    return !(c->flags & XVS_CONN_F_TEMPLATED);
}

/* Uses the flow's entry c: returns its real after updating the entry's state
 * and timestamp (*verdict CONN_FORWARD), or 0 with CONN_STALE when the entry
 * is stale (it is then deleted and the packet is scheduled afresh) or
 * CONN_DROP when its real was removed. *refreshed says whether last_seen
 * moved, which happens at most once per XVS_REFRESH_NS or on a state change. */
static __always_inline struct xvs_real *conn_use(const struct xvs_packet *p,
                                                const struct xvs_conn_key *key,
                                                struct xvs_conn *c, __u64 now, int *refreshed,
                                                int *verdict)
{
    *refreshed = 0;
    *verdict = CONN_STALE;
    __u32 zero = 0;
    const struct xvs_config *cfg = bpf_map_lookup_elem(&xvs_config, &zero);
    __u32 behaviour = cfg ? cfg->behaviour : 0;
    __u32 real_id = c->real_id;
    struct xvs_real *r = bpf_map_lookup_elem(&xvs_reals, &real_id);
    if (!r)
        return 0;
    /* Not in use but still this generation: removed, and kept by user space
     * for its return. Another generation: its id went to another real.
     * (Flags, not a conditional pointer: the verifier refuses the masked
     * pointer the compiler would make of one.) */
    int same = r->generation == c->real_generation;
    int live = same && (r->flags & XVS_REAL_F_IN_USE);
    int stale = !same || now - c->last_seen_ns > xvs_conn_timeout_ns(c->state, cfg);
    if (!stale && !live) {
        /* Removed real: the packet is dropped and the entry's timer left
         * alone; with expire_nodest_conn the entry goes now, uncounted from
         * the removed real's counts, which it keeps in case it returns. */
        __u8 was = c->state;
        if ((behaviour & XVS_CFG_EXPIRE_NODEST_CONN) && bpf_map_delete_elem(&xvs_conns, key) == 0)
            count_flow(real_id, was, -1);
        *verdict = CONN_DROP;
        return 0;
    }
    if (!stale && p->proto == IPPROTO_TCP && (p->tcp_flags & XVS_TCP_SYN) &&
        syn_reschedules(c, r, behaviour))
        stale = 1;
    if (stale) {
        /* Read before the delete: a deleted LRU element may be reused at
         * once. An id of another generation counts another real's flows. */
        __u8 was = c->state;
        if (bpf_map_delete_elem(&xvs_conns, key) == 0 && same)
            count_flow(real_id, was, -1);
        return 0;
    }
    *verdict = CONN_FORWARD;
    if (p->icmp_error)
        return r;
    __u8 state = p->proto == IPPROTO_TCP ? tcp_next_state(c->state, p->tcp_flags) : c->state;
    if (state != c->state || now - c->last_seen_ns >= XVS_REFRESH_NS) {
        if ((state == XVS_CONN_TCP_ESTABLISHED) != (c->state == XVS_CONN_TCP_ESTABLISHED)) {
            /* A flow's packets arrive on one CPU (RSS hashes the tuple), so
             * one CPU sees each transition. */
            count_flow(c->real_id, c->state, -1);
            count_flow(c->real_id, state, 1);
        }
        c->state = state;
        c->last_seen_ns = now;
        *refreshed = 1;
    }
    return r;
}

static __always_inline void conn_create(const struct xvs_packet *p, const struct xvs_conn_key *key,
                                        __u64 now, __u32 service_id, __u32 real_id,
                                        const struct xvs_real *r, __u32 persistent)
{
    struct xvs_conn c = {
        .last_seen_ns = now,
        .real_id = real_id,
        .real_generation = r->generation,
        .service_id = service_id,
        .state = initial_state(p),
        .flags = persistent ? XVS_CONN_F_TEMPLATED : 0,
    };
    /* BPF_NOEXIST: when another CPU created this flow's entry a moment ago,
     * its entry (and its count) stands; this packet still goes to real_id. */
    if (bpf_map_update_elem(&xvs_conns, key, &c, BPF_NOEXIST) == 0)
        count_new_entry(real_id, r, 0, c.state);
}

static __always_inline void persist_key_of(const struct xvs_packet *p,
                                           const struct xvs_service *svc, __u32 service_id,
                                           struct xvs_persist_key *k)
{
#pragma unroll
    for (int i = 0; i < 4; i++)
        k->client[i] = p->src[i] & svc->persist_mask[i];
    k->service_id = service_id;
    k->family = p->family;
    k->pad[0] = k->pad[1] = k->pad[2] = 0;
    k->pe_hash = 0;
}

/* The client's template: its real if the template is younger than the
 * service's timeout and the real still exists (even quiescent, unless
 * expire_quiescent_template is set); the template is refreshed in place. A
 * stale template is deleted. */
static __always_inline struct xvs_real *persist_lookup(const struct xvs_persist_key *k,
                                                      const struct xvs_service *svc, __u64 now,
                                                      __u32 *real_id)
{
    struct xvs_persist *t = bpf_map_lookup_elem(&xvs_persist, k);
    if (!t)
        return 0;
    struct xvs_real *r = live_real(t->real_id, t->real_generation);
    __u32 zero = 0;
    const struct xvs_config *cfg = bpf_map_lookup_elem(&xvs_config, &zero);
    int quiescent_expires = cfg && (cfg->behaviour & XVS_CFG_EXPIRE_QUIESCENT_TEMPLATE);
    if (!r || now - t->last_seen_ns > (__u64)svc->persist_timeout_s * XVS_NS_PER_SEC ||
        (quiescent_expires && r->weight == 0)) {
        __u32 was = t->real_id;
        if (bpf_map_delete_elem(&xvs_persist, k) == 0 && r)
            count_template(was, -1);
        return 0;
    }
    if (now - t->last_seen_ns >= XVS_REFRESH_NS)
        t->last_seen_ns = now;
    *real_id = t->real_id;
    return r;
}

static __always_inline void persist_create(const struct xvs_persist_key *k, __u64 now,
                                           __u32 real_id, const struct xvs_real *r)
{
    struct xvs_persist fresh = {
        .last_seen_ns = now,
        .real_id = real_id,
        .real_generation = r->generation,
    };
    if (bpf_map_update_elem(&xvs_persist, k, &fresh, BPF_NOEXIST) == 0)
        count_new_entry(real_id, r, 1, 0);
}

/* Refreshes the template k when it names real (id, generation); leaves
 * any other alone. */
static __always_inline void persist_refresh(const struct xvs_persist_key *k, __u64 now,
                                            __u32 real_id, __u32 generation)
{
    struct xvs_persist *t = bpf_map_lookup_elem(&xvs_persist, k);
    if (t && t->real_id == real_id && t->real_generation == generation &&
        now - t->last_seen_ns >= XVS_REFRESH_NS)
        t->last_seen_ns = now;
}

/* Keeps the client's template alive while any of its flows sends (called
 * when the flow's entry is refreshed, so at most once a second per flow);
 * recreates it if it was evicted or points elsewhere. */
static __always_inline void persist_touch(const struct xvs_persist_key *k, __u64 now,
                                          __u32 real_id, const struct xvs_real *r)
{
    __u32 generation = r->generation;
    struct xvs_persist *t = bpf_map_lookup_elem(&xvs_persist, k);
    if (t && t->real_id == real_id && t->real_generation == generation) {
        if (now - t->last_seen_ns >= XVS_REFRESH_NS)
            t->last_seen_ns = now;
        return;
    }
    if (t) {
        /* It points elsewhere: replaced, and uncounted from its real while
         * that real is the one it was made for. */
        __u32 was = t->real_id, was_generation = t->real_generation;
        if (bpf_map_delete_elem(&xvs_persist, k) == 0 && live_real(was, was_generation))
            count_template(was, -1);
    }
    persist_create(k, now, real_id, r);
}

#endif
