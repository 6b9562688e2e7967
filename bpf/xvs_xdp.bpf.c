/* xvs XDP program: parse, look up the virtual service, pick the real, forward.
 *
 * Anything that is not for a virtual service (and not a NAT reply) leaves
 * untouched with XDP_PASS. A packet for a virtual service is never passed to
 * the stack: it is forwarded or dropped with a counter (lib/fwd.h says why).
 * The decisions about state, fragments and errors are in lib/conn.h,
 * lib/frag.h and lib/parse.h; which frames are taken at all (destination MAC,
 * VLAN tags, martian sources, IPv4 header checksum) in lib/ingress.h; TTL /
 * hop limit in lib/ttl.h. A held fragment replayed by xvsd passes the same
 * ingress checks again (its frame is the one that arrived, on the interface
 * it arrived on).
 *
 * Order: a packet whose source may be a NAT real is looked up as a NAT reply
 * before it is looked up as a client's packet, so a real's answer to a client
 * whose address and port are themselves a virtual service goes back to that
 * client instead of being balanced again.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "xvs/abi.h"
#include "lib/parse.h"
#include "lib/maps.h"
#include "lib/stats.h"
#include "lib/sched.h"
#include "lib/conn.h"
#include "lib/frag.h"
#include "lib/nat.h"
#include "lib/encap.h"
#include "lib/fwd.h"
#include "lib/filter.h"
#include "lib/ingress.h"
#include "lib/ttl.h"
#include "lib/sip.h"

static __always_inline __be16 real_port_for(const struct xvs_real *r, const struct xvs_packet *p)
{
    return r->port ? r->port : p->dport;
}

/* Sends the packet to real r by its forwarding method. r and the hop are
 * map values, used in place: they stay valid across bpf_xdp_adjust_head,
 * and copies would cost stack the verifier does not have to spare. */
static __always_inline int forward_to_real(struct xdp_md *ctx, const struct xvs_packet *p,
                                           const struct xvs_real *r, __u64 now)
{
    __be16 rport = real_port_for(r, p);
    int action = XDP_DROP;
    struct xvs_hop *hop;

    if (r->method == XVS_FWD_IPIP) {
        /* The MTU check is for the packet as it leaves: with the tunnel. */
        hop = next_hop(ctx, p->family, 0, r->addr, tunnel_outer_proto(r, p->family),
                       p->l3_len + tunnel_overhead(r, p->family), now, &action);
        if (!hop)
            return action;
        if (!(hop->tunnel_src[0] | hop->tunnel_src[1] | hop->tunnel_src[2] | hop->tunnel_src[3]) &&
            !tunnel_source(p->family, hop->egress_ifindex, hop->tunnel_src))
            return counted(XDP_DROP, XVS_STAT_DROP_NO_TUNNEL_SRC);
        if (encapsulate(ctx, p, hop->tunnel_src, r))
            return counted(XDP_DROP, XVS_STAT_DROP_ERROR);
        return send_to_next_hop(ctx, hop);
    }
    if (r->method == XVS_FWD_MASQ && hop_decrement(ctx, p))
        return counted(XDP_DROP, XVS_STAT_DROP_TTL);
    hop = next_hop(ctx, p->family, p->src, r->addr, p->proto, p->l3_len, now, &action);
    if (!hop)
        return action;
    if (r->method == XVS_FWD_MASQ) {
        int err = p->icmp_error ? nat_icmp_error_in(ctx, p, r->addr, rport)
                                : nat_rewrite(ctx, p, 1, r->addr, rport);
        if (err)
            return counted(XDP_DROP, XVS_STAT_DROP_ERROR);
    }
    return send_to_next_hop(ctx, hop);
}

/* A reply from a NAT real (real -> client): back to VIP:vport as source.
 * Returns -1 if the packet is not a NAT reply. */
static __always_inline int nat_reply(struct xdp_md *ctx, const struct xvs_packet *p,
                                     const struct xvs_conn_key *key, __u64 bytes)
{
    if (p->icmp_error || p->frag == XVS_FRAG_LATER)
        return -1;
    struct xvs_nat_reverse *rev = bpf_map_lookup_elem(&xvs_nat_reverse, key);
    if (!rev)
        return -1;
    if (!live_real(rev->real_id, rev->real_generation)) {
        bpf_map_delete_elem(&xvs_nat_reverse, key);
        return -1;
    }
    __u32 vaddr[4];
    __builtin_memcpy(vaddr, rev->vaddr, 16);
    __be16 vport = rev->vport;
    __u32 service_id = rev->service_id, real_id = rev->real_id;
    if (hop_decrement(ctx, p))
        return counted(XDP_DROP, XVS_STAT_DROP_TTL);
    int action = XDP_DROP;
    struct xvs_hop *hop = next_hop(ctx, p->family, vaddr, p->dst, p->proto, p->l3_len, now_ns(),
                                   &action);
    if (!hop)
        return action;
    if (nat_rewrite(ctx, p, 0, vaddr, vport))
        return counted(XDP_DROP, XVS_STAT_DROP_ERROR);
    count(XVS_STAT_NAT_REPLY);
    count_out(service_id, real_id, bytes);
    return send_to_next_hop(ctx, hop);
}

/* A later fragment of a TCP or UDP datagram to a VIP: where its first
 * fragment went, or held until the first fragment decides (lib/frag.h). */
static __always_inline int later_fragment(struct xdp_md *ctx, const struct xvs_packet *p,
                                          __u64 bytes)
{
    if (p->proto != IPPROTO_TCP && p->proto != IPPROTO_UDP)
        return counted(XDP_PASS, XVS_STAT_FRAG_PASS);
    struct xvs_frag_key k = {};
    frag_key_of(p, &k);
    __u64 now = now_ns();
    struct xvs_frag *f = frag_decision(&k, now);
    if (!f)
        return frag_hold(ctx, &k, now);
    if (f->flags & XVS_FRAG_F_STACK)
        return counted(XDP_PASS, XVS_STAT_FRAG_PASS);
    __u32 service_id = f->service_id, real_id = f->real_id;
    struct xvs_real *r = live_real(real_id, f->real_generation);
    if (!r)
        return counted(XDP_DROP, XVS_STAT_DROP_NO_REAL);
    count_in(service_id, real_id, bytes, 0);
    return forward_to_real(ctx, p, r, now);
}

/* A packet of a flow with an entry. Returns -1 when the entry was stale (and
 * is gone): the packet is then a new flow. A flow whose real was removed is
 * dropped (lib/conn.h). */
static __always_inline int established_flow(struct xdp_md *ctx, const struct xvs_packet *p,
                                            const struct xvs_conn_key *key, struct xvs_conn *c,
                                            __u64 bytes)
{
    __u64 now = now_ns();
    int refreshed, verdict;
    struct xvs_real *r = conn_use(p, key, c, now, &refreshed, &verdict);
    if (verdict == CONN_DROP)
        return counted(XDP_DROP, XVS_STAT_DROP_NODEST);
    if (!r)
        return -1;
    __u32 service_id = c->service_id, real_id = c->real_id;
    if (p->icmp_error)
        count(XVS_STAT_ICMP_FORWARDED);
    if (refreshed) {
        struct xvs_service *svc = bpf_map_lookup_elem(&xvs_service_info, &service_id);
        if (svc && (svc->flags & XVS_SVC_F_PERSISTENT)) {
            struct xvs_persist_key pkey;
            persist_key_of(p, svc, service_id, &pkey);
            /* A pe sip template is keyed by a Call-ID, which this datagram
             * may lack or carry another of: its template, when it has one
             * on this flow's real, lives on (IPVS keeps a template while
             * connections it controls live); none is made or moved. */
            if (!(svc->flags & XVS_SVC_F_PE_SIP))
                persist_touch(&pkey, now, real_id, r);
            else if (p->proto == IPPROTO_UDP && !sip_call_id(ctx, (struct xvs_packet *)p, &pkey.pe_hash))
                persist_refresh(&pkey, now, real_id, r->generation);
        }
    }
    if (p->frag == XVS_FRAG_FIRST)
        frag_remember(p, now, service_id, real_id, r->generation);
    count_in(service_id, real_id, bytes, 0);
    return forward_to_real(ctx, p, r, now);
}

/* Remembers where the replies of a new NAT flow go back from. */
static __always_inline void nat_remember(const struct xvs_packet *p, const struct xvs_real *r,
                                         __u32 service_id, __u32 real_id)
{
    struct xvs_conn_key rkey;
    __builtin_memcpy(rkey.src, r->addr, 16);
    __builtin_memcpy(rkey.dst, p->src, 16);
    rkey.sport = real_port_for(r, p);
    rkey.dport = p->sport;
    rkey.proto = p->proto;
    rkey.family = p->family;
    rkey.pad = 0;
    struct xvs_nat_reverse rev = {
        .vport = p->dport,
        .service_id = service_id,
        .real_id = real_id,
        .real_generation = r->generation,
    };
    __builtin_memcpy(rev.vaddr, p->dst, 16);
    bpf_map_update_elem(&xvs_nat_reverse, &rkey, &rev, BPF_ANY);
}

/* A packet to a virtual service without a (valid) flow entry: scheduled. */
static __always_inline int new_flow(struct xdp_md *ctx, const struct xvs_packet *p,
                                    const struct xvs_conn_key *key,
                                    const struct xvs_service *svc, __u32 service_id, __u64 bytes)
{
    /* ICMP errors only follow existing flows; the stack answers the rest. */
    if (p->icmp_error)
        return counted(XDP_PASS, XVS_STAT_PASS);
    if (p->proto == IPPROTO_TCP && !tcp_may_start_flow(p->tcp_flags))
        return counted(XDP_PASS, XVS_STAT_PASS_NOT_SYN);
    __u64 now = now_ns();
    __u32 real_id = 0;
    struct xvs_real *r = 0;
    __u32 persistent = svc->flags & XVS_SVC_F_PERSISTENT;
    struct xvs_persist_key pkey = {};
    if (persistent) {
        persist_key_of(p, svc, service_id, &pkey);
        /* IPVS drops what its engine finds no Call-ID in (lib/sip.h). */
        if ((svc->flags & XVS_SVC_F_PE_SIP) &&
            (p->proto != IPPROTO_UDP || sip_call_id(ctx, (struct xvs_packet *)p, &pkey.pe_hash)))
            return counted(XDP_DROP, XVS_STAT_DROP_NO_CALL_ID);
        r = persist_lookup(&pkey, svc, now, &real_id);
        if (r)
            count(XVS_STAT_PERSIST_HIT);
    }
    if (!r) {
        __s64 picked = schedule_real(p, svc, service_id);
        if (picked < 0)
            return counted(XDP_DROP, XVS_STAT_DROP_NO_REAL);
        real_id = picked;
        r = bpf_map_lookup_elem(&xvs_reals, &real_id);
        if (!r || !(r->flags & XVS_REAL_F_IN_USE))
            return counted(XDP_DROP, XVS_STAT_DROP_NO_REAL);
        if (persistent)
            persist_create(&pkey, now, real_id, r);
    }
    /* A NAT packet that cannot be forwarded leaves no entry behind. */
    if (r->method == XVS_FWD_MASQ && hop_limit_expired(ctx, p))
        return counted(XDP_DROP, XVS_STAT_DROP_TTL);
    count(XVS_STAT_NEW_CONN);
    if (!(svc->flags & XVS_SVC_F_ONE_PACKET) || p->proto != IPPROTO_UDP)
        conn_create(p, key, now, service_id, real_id, r, persistent);
    if (r->method == XVS_FWD_MASQ)
        nat_remember(p, r, service_id, real_id);
    if (p->frag == XVS_FRAG_FIRST)
        frag_remember(p, now, service_id, real_id, r->generation);
    count_in(service_id, real_id, bytes, 1);
    return forward_to_real(ctx, p, r, now);
}

SEC("xdp")
int xvs_xdp_main(struct xdp_md *ctx)
{
    struct xvs_packet pkt = {};
    __u64 bytes = ctx->data_end - ctx->data;
    count(XVS_STAT_PACKETS);

    int may = addr_prefilter(ctx);
    if (!may)
        return counted(XDP_PASS, XVS_STAT_PASS);
    int refused = frame_verdict(ctx);
    if (refused)
        return counted(XDP_PASS, refused);
    int parsed = parse_packet(ctx, &pkt);
    if (parsed == PARSE_MALFORMED)
        return counted(XDP_PASS, XVS_STAT_MALFORMED);
    if (parsed != PARSE_OK)
        return counted(XDP_PASS, XVS_STAT_PASS);
    if (may < 0)
        may = addr_filter(&pkt);
    if (!may)
        return counted(XDP_PASS, XVS_STAT_PASS);
    refused = packet_verdict(ctx, &pkt);
    if (refused)
        return counted(XDP_DROP, refused);
    if (pkt.frag == XVS_FRAG_LATER) {
        if (!(may & XVS_MAY_BE_VIP))
            return counted(XDP_PASS, XVS_STAT_PASS);
        return later_fragment(ctx, &pkt, bytes);
    }

    struct xvs_conn_key key;
    conn_key_of(&pkt, &key);
    if (may & XVS_MAY_BE_NAT_REPLY) {
        int action = nat_reply(ctx, &pkt, &key, bytes);
        if (action >= 0) {
            /* A reply's later fragments are not followed: to a client
             * that is also a VIP they go to the stack with this decision
             * instead of being held until they expire (lib/frag.h). */
            if ((may & XVS_MAY_BE_VIP) && pkt.frag == XVS_FRAG_FIRST)
                frag_to_stack(&pkt, now_ns());
            return action;
        }
    }
    if (may & XVS_MAY_BE_VIP) {
        struct xvs_conn *c = bpf_map_lookup_elem(&xvs_conns, &key);
        if (c) {
            int action = established_flow(ctx, &pkt, &key, c, bytes);
            if (action >= 0)
                return action;
        }
        __u32 service_id = 0;
        struct xvs_service *svc = lookup_service(&pkt, &service_id);
        if (svc)
            return new_flow(ctx, &pkt, &key, svc, service_id, bytes);
        /* Here and not at the end: there it cost the frame 16 bytes of
         * spills, the headroom Debian 12's verifier leaves (448 + 32 for
         * parse_packet, of 512). */
        if (pkt.frag == XVS_FRAG_FIRST)
            frag_to_stack(&pkt, now_ns());
    }
    return counted(XDP_PASS, XVS_STAT_PASS);
}

/* Run once by the loader (BPF_PROG_TEST_RUN): jiffies and the coarse clock
 * at the same tick, from which it derives xvs_config's clock fields. */
__u64 clock_probe_jiffies;
__u64 clock_probe_coarse_ns;

SEC("xdp")
int xvs_clock_probe(struct xdp_md *ctx)
{
    clock_probe_jiffies = bpf_jiffies64();
    clock_probe_coarse_ns = bpf_ktime_get_coarse_ns();
    return XDP_PASS;
}

/* Run by xvsd a few times a second (BPF_PROG_TEST_RUN): frees the slots of
 * held fragments that expired, counted on the CPU it runs on. */
SEC("xdp")
int xvs_frag_expire(struct xdp_md *ctx)
{
    frag_expire_all(now_ns());
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
