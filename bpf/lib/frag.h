/* IP fragments of datagrams to a virtual service.
 *
 * Only the first fragment (offset 0) carries the ports, so only it can be
 * scheduled; later fragments follow the decision it recorded in xvs_frags,
 * keyed by (source, destination, IP ID / IPv6 fragment id, protocol).
 *
 * A later fragment can arrive before its first (reordering on the path, or
 * a sender that emits the last fragment first). XDP cannot queue a frame, so
 * such a fragment is held: copied into a slot of xvs_frag_held and dropped.
 * Its datagram's xvs_frags entry is marked XVS_FRAG_F_WAITING. When the first
 * fragment records its decision over a waiting entry it posts the key on
 * xvs_frag_ready; xvsd (src/dataplane/xdp/held_fragments.h) then replays the
 * held frames through this program with BPF_PROG_TEST_RUN in live-frames mode
 * on the interface they arrived on, where they find the decision and are
 * forwarded for real. A first fragment the program hands to the director's
 * own stack (no service for its port) records XVS_FRAG_F_STACK, so that its
 * later fragments follow it there, replayed or not; a VIP fragment never
 * reaches the stack without that decision. So does the first fragment of a
 * NAT reply to a client that is also a VIP: a reply's later fragments are not
 * followed, and without it they would wait for a decision that never comes.
 * Only a frame the ingress checks (lib/ingress.h) take is held; its replay
 * runs them again on the interface it arrived on. Later fragments of protocols no
 * service can be for (not TCP, not UDP) are never held: they pass.
 *
 * Bounds, and what happens past them (counters in enum xvs_stat):
 * - XVS_FRAG_HOLD_SLOTS slots of XVS_FRAG_HOLD_BYTES bytes of frame; a longer
 *   frame is dropped (XVS_STAT_FRAG_HOLD_TOO_LONG).
 * - A fragment looks at XVS_FRAG_HOLD_PROBES slots from a hash of its key
 *   (the fragments of one datagram sit side by side); none free: dropped
 *   (XVS_STAT_FRAG_HOLD_FULL).
 * - A frame held longer than XVS_FRAG_HOLD_NS is expired: its slot is free
 *   for the next fragment that probes it, and xvsd's sweep (xvs_frag_expire)
 *   frees all such slots a few times a second (XVS_STAT_FRAG_EXPIRED).
 * - The cost of a held fragment is at most XVS_FRAG_HOLD_PROBES slot looks
 *   and one copy; a fragment with a decision pays one lookup, as before.
 *
 * Slots change hands by compare-and-exchange on their state (abi.h, enum
 * xvs_held_state), between CPUs and with xvsd, which reads the array through
 * mmap; the frame and key are written only by the owner of a WRITING slot.
 */
#ifndef XVS_BPF_FRAG_H
#define XVS_BPF_FRAG_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "xvs/abi.h"
#include "lib/maps.h"
#include "lib/parse.h"
#include "lib/stats.h"

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, XVS_FRAG_HOLD_SLOTS);
    __uint(map_flags, BPF_F_MMAPABLE);
    __type(key, __u32);
    __type(value, struct xvs_held_frag);
} xvs_frag_held SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, XVS_FRAG_READY_BYTES);
} xvs_frag_ready SEC(".maps");

static __always_inline void frag_key_of(const struct xvs_packet *p, struct xvs_frag_key *k)
{
    __builtin_memcpy(k->src, p->src, 16);
    __builtin_memcpy(k->dst, p->dst, 16);
    k->id = p->frag_id;
    k->proto = p->proto;
    k->family = p->family;
    k->pad = 0;
}

/* Records f for the datagram k; if fragments of it were waiting, tells xvsd. */
static __always_inline void frag_decide(struct xvs_frag_key *k, const struct xvs_frag *f)
{
    struct xvs_frag *old = bpf_map_lookup_elem(&xvs_frags, k);
    int waiting = old && (old->flags & XVS_FRAG_F_WAITING);
    bpf_map_update_elem(&xvs_frags, k, f, BPF_ANY);
    if (waiting)
        bpf_ringbuf_output(&xvs_frag_ready, k, sizeof(*k), 0);
}

/* The first fragment of p's datagram went to real (real_id, generation). */
static __always_inline void frag_remember(const struct xvs_packet *p, __u64 now,
                                          __u32 service_id, __u32 real_id, __u32 generation)
{
    struct xvs_frag_key k = {};
    frag_key_of(p, &k);
    struct xvs_frag f = {
        .created_ns = now,
        .service_id = service_id,
        .real_id = real_id,
        .real_generation = generation,
    };
    frag_decide(&k, &f);
}

/* The first fragment p goes to the director's own stack: so do its later
 * fragments. Only TCP and UDP datagrams are ever held. */
static __always_inline void frag_to_stack(const struct xvs_packet *p, __u64 now)
{
    if (p->icmp_error || (p->proto != IPPROTO_TCP && p->proto != IPPROTO_UDP))
        return;
    struct xvs_frag_key k = {};
    frag_key_of(p, &k);
    struct xvs_frag f = {.created_ns = now, .flags = XVS_FRAG_F_STACK};
    frag_decide(&k, &f);
}

/* The decision a later fragment follows, or 0: none yet (or only waiting
 * fragments), or older than XVS_TIMEOUT_FRAG. */
static __always_inline struct xvs_frag *frag_decision(const struct xvs_frag_key *k, __u64 now)
{
    struct xvs_frag *f = bpf_map_lookup_elem(&xvs_frags, k);
    if (!f || (f->flags & XVS_FRAG_F_WAITING) || now - f->created_ns > XVS_TIMEOUT_FRAG)
        return 0;
    return f;
}

/* Takes slot h for writing: a free one, or one whose frame expired unreplayed
 * (also one xvsd took and never freed). Returns 1 when h is now WRITING. */
static __always_inline int frag_claim(struct xvs_held_frag *h, __u64 now)
{
    __u64 state = h->state;
    if (state == XVS_HELD_FREE)
        return __sync_val_compare_and_swap(&h->state, XVS_HELD_FREE, XVS_HELD_WRITING) ==
               XVS_HELD_FREE;
    if ((state != XVS_HELD_READY && state != XVS_HELD_REPLAYING) ||
        now - h->held_ns <= XVS_FRAG_HOLD_NS)
        return 0;
    if (__sync_val_compare_and_swap(&h->state, state, XVS_HELD_WRITING) != state)
        return 0;
    count(XVS_STAT_FRAG_EXPIRED);
    return 1;
}

/* Where the datagram's probes start: every bit of the id moves it (a sender's
 * consecutive ids must not crowd into one probe window). */
static __always_inline __u32 frag_slot_start(const struct xvs_frag_key *k)
{
    __u32 h = k->id ^ k->src[0] ^ k->src[3] ^ k->dst[0] ^ k->dst[3];
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    return h ^ (h >> 16);
}

/* Holds the later fragment in ctx (key k, no decision yet) and drops it. */
static __always_inline int frag_hold(struct xdp_md *ctx, struct xvs_frag_key *k, __u64 now)
{
    __u64 len = ctx->data_end - ctx->data;
    if (len > XVS_FRAG_HOLD_BYTES)
        return counted(XDP_DROP, XVS_STAT_FRAG_HOLD_TOO_LONG);
    __u32 start = frag_slot_start(k);
    struct xvs_held_frag *h = 0;
    for (__u32 i = 0; i < XVS_FRAG_HOLD_PROBES; i++) {
        __u32 slot = (start + i) & (XVS_FRAG_HOLD_SLOTS - 1);
        struct xvs_held_frag *candidate = bpf_map_lookup_elem(&xvs_frag_held, &slot);
        if (candidate && frag_claim(candidate, now)) {
            h = candidate;
            break;
        }
    }
    if (!h)
        return counted(XDP_DROP, XVS_STAT_FRAG_HOLD_FULL);
    /* Bounds the verifier of 6.1 keeps up to the helper: a mask, then two
     * tests the compiler may not fold into one range check. */
    asm volatile("%0 &= 0x7ff" : "+r"(len));
    if (len > XVS_FRAG_HOLD_BYTES)
        len = XVS_FRAG_HOLD_BYTES;
    asm volatile("" : "+r"(len));
    if (len < sizeof(struct ethhdr) || bpf_xdp_load_bytes(ctx, 0, h->data, len)) {
        __sync_lock_test_and_set(&h->state, XVS_HELD_FREE);
        return counted(XDP_DROP, XVS_STAT_DROP_ERROR);
    }
    h->len = len;
    h->ifindex = ctx->ingress_ifindex;
    h->held_ns = now;
    __builtin_memcpy(&h->key, k, sizeof(*k));
    __sync_lock_test_and_set(&h->state, XVS_HELD_READY);
    /* Mark the datagram waiting. If the first fragment decided meanwhile (on
     * another CPU, after this fragment looked), nobody would post it: post. */
    struct xvs_frag waiting = {.created_ns = now, .flags = XVS_FRAG_F_WAITING};
    if (bpf_map_update_elem(&xvs_frags, k, &waiting, BPF_NOEXIST) != 0 && frag_decision(k, now))
        bpf_ringbuf_output(&xvs_frag_ready, k, sizeof(*k), 0);
    return counted(XDP_DROP, XVS_STAT_FRAG_HELD);
}

/* Frees every slot whose frame expired; run by xvsd (xvs_frag_expire). */
static __always_inline void frag_expire_all(__u64 now)
{
    /* The counter stays in a register: the key is a copy (a counter whose
     * address is taken lives on the stack, where the verifier loses its bound). */
    for (__u32 i = 0; i < XVS_FRAG_HOLD_SLOTS; i++) {
        __u32 slot = i;
        struct xvs_held_frag *h = bpf_map_lookup_elem(&xvs_frag_held, &slot);
        if (h && h->state != XVS_HELD_FREE && h->state != XVS_HELD_WRITING && frag_claim(h, now))
            __sync_lock_test_and_set(&h->state, XVS_HELD_FREE);
    }
}

#endif
