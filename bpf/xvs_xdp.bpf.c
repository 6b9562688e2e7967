/* xvs XDP program: parse, look up the virtual service, pick the real, forward.
 *
 * Anything that is not for a virtual service (and not a NAT reply) leaves
 * untouched with XDP_PASS. A packet for a virtual service is never passed to
 * the stack: it is forwarded or dropped with a counter (lib/fwd.h says why).
 * The decisions about state, fragments and errors are in lib/conn.h and
 * lib/parse.h.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "xvs/abi.h"
#include "lib/parse.h"
#include "lib/maps.h"
#include "lib/stats.h"
#include "lib/sched.h"
#include "lib/conn.h"
#include "lib/nat.h"
#include "lib/encap.h"
#include "lib/fwd.h"

static __always_inline __be16 real_port_for(const struct xvs_real *r, const struct xvs_packet *p)
{
    return r->port ? r->port : p->dport;
}

/* Sends the packet to real r by its forwarding method. */
static __always_inline int forward_to_real(struct xdp_md *ctx, const struct xvs_packet *p,
                                           const struct xvs_real *r)
{
    struct bpf_fib_lookup fib;
    __u32 real[4];
    __builtin_memcpy(real, r->addr, 16);
    __u8 method = r->method;
    __be16 rport = real_port_for(r, p);
    int action;

    if (method == XVS_FWD_IPIP) {
        __u16 outer = p->family == XVS_FAMILY_V4 ? sizeof(struct iphdr) : sizeof(struct ipv6hdr);
        __u32 any[4] = {};
        action = fib_route(ctx, p->family, any, real, p->family == XVS_FAMILY_V4 ? IPPROTO_IPIP
                                                                                : IPPROTO_IPV6,
                           p->l3_len + outer, &fib);
        if (action >= 0)
            return action;
        __u32 src[4] = {};
        if (!tunnel_source(p->family, fib.ifindex, src))
            return counted(XDP_DROP, XVS_STAT_DROP_NO_TUNNEL_SRC);
        if (encapsulate(ctx, p, src, real))
            return counted(XDP_DROP, XVS_STAT_DROP_ERROR);
        return send_to_next_hop(ctx, &fib);
    }
    action = fib_route(ctx, p->family, p->src, real, p->proto, p->l3_len, &fib);
    if (action >= 0)
        return action;
    if (method == XVS_FWD_MASQ) {
        int err = p->icmp_error ? nat_icmp_error_in(ctx, p, real, rport)
                                : nat_rewrite(ctx, p, 1, real, rport);
        if (err)
            return counted(XDP_DROP, XVS_STAT_DROP_ERROR);
    }
    return send_to_next_hop(ctx, &fib);
}

/* A reply from a NAT real (real -> client): back to VIP:vport as source.
 * Returns -1 if the packet is not a NAT reply. */
static __always_inline int nat_reply(struct xdp_md *ctx, const struct xvs_packet *p, __u64 bytes)
{
    if (p->icmp_error || p->frag == XVS_FRAG_LATER)
        return -1;
    struct xvs_conn_key key;
    conn_key_of(p, &key);
    struct xvs_nat_reverse *rev = bpf_map_lookup_elem(&xvs_nat_reverse, &key);
    if (!rev)
        return -1;
    if (!live_real(rev->real_id, rev->real_generation)) {
        bpf_map_delete_elem(&xvs_nat_reverse, &key);
        return -1;
    }
    __u32 vaddr[4];
    __builtin_memcpy(vaddr, rev->vaddr, 16);
    __be16 vport = rev->vport;
    __u32 service_id = rev->service_id, real_id = rev->real_id;
    struct bpf_fib_lookup fib;
    int action = fib_route(ctx, p->family, vaddr, p->dst, p->proto, p->l3_len, &fib);
    if (action >= 0)
        return action;
    if (nat_rewrite(ctx, p, 0, vaddr, vport))
        return counted(XDP_DROP, XVS_STAT_DROP_ERROR);
    count(XVS_STAT_NAT_REPLY);
    count_out(service_id, real_id, bytes);
    return send_to_next_hop(ctx, &fib);
}

/* A later fragment: the real its first fragment went to, else the stack. */
static __always_inline int later_fragment(struct xdp_md *ctx, const struct xvs_packet *p,
                                          __u64 now, __u64 bytes)
{
    struct xvs_frag_key k = {};
    frag_key_of(p, &k);
    struct xvs_frag *f = bpf_map_lookup_elem(&xvs_frags, &k);
    if (!f || now - f->created_ns > XVS_TIMEOUT_FRAG)
        return counted(XDP_PASS, XVS_STAT_FRAG_PASS);
    __u32 service_id = f->service_id, real_id = f->real_id;
    struct xvs_real *r = live_real(real_id, f->real_generation);
    if (!r)
        return counted(XDP_PASS, XVS_STAT_FRAG_PASS);
    count_in(service_id, real_id, bytes, 0);
    return forward_to_real(ctx, p, r);
}

SEC("xdp")
int xvs_xdp_main(struct xdp_md *ctx)
{
    struct xvs_packet pkt = {};
    __u64 bytes = ctx->data_end - ctx->data;
    count(XVS_STAT_PACKETS);

    int parsed = parse_packet(ctx, &pkt);
    if (parsed == PARSE_MALFORMED)
        return counted(XDP_PASS, XVS_STAT_MALFORMED);
    if (parsed != PARSE_OK)
        return counted(XDP_PASS, XVS_STAT_PASS);

    __u64 now = bpf_ktime_get_ns();
    if (pkt.frag == XVS_FRAG_LATER)
        return later_fragment(ctx, &pkt, now, bytes);

    __u32 service_id = 0;
    struct xvs_service *svc = lookup_service(&pkt, &service_id);
    if (!svc) {
        int action = nat_reply(ctx, &pkt, bytes);
        if (action >= 0)
            return action;
        return counted(XDP_PASS, XVS_STAT_PASS);
    }

    struct xvs_conn_key key;
    conn_key_of(&pkt, &key);
    __u32 real_id = 0;
    struct xvs_real *r = conn_lookup(&pkt, &key, now, &real_id);
    int new_conn = 0;
    __u32 persistent = svc->flags & XVS_SVC_F_PERSISTENT;
    struct xvs_persist_key pkey = {};
    if (persistent)
        persist_key_of(&pkt, svc, service_id, &pkey);

    if (!r) {
        /* ICMP errors only follow existing flows; the stack answers the rest. */
        if (pkt.icmp_error)
            return counted(XDP_PASS, XVS_STAT_PASS);
        if (persistent) {
            r = persist_lookup(&pkey, svc, now, &real_id);
            if (r)
                count(XVS_STAT_PERSIST_HIT);
        }
        if (!r) {
            __s64 picked = schedule_real(&pkt, svc, service_id);
            if (picked < 0)
                return counted(XDP_DROP, XVS_STAT_DROP_NO_REAL);
            real_id = picked;
            r = bpf_map_lookup_elem(&xvs_reals, &real_id);
            if (!r || !(r->flags & XVS_REAL_F_IN_USE))
                return counted(XDP_DROP, XVS_STAT_DROP_NO_REAL);
        }
        new_conn = 1;
        count(XVS_STAT_NEW_CONN);
        if (!(svc->flags & XVS_SVC_F_ONE_PACKET) || pkt.proto != IPPROTO_UDP)
            conn_create(&pkt, &key, now, service_id, real_id, r->generation);
        if (r->method == XVS_FWD_MASQ) {
            struct xvs_conn_key rkey;
            __builtin_memcpy(rkey.src, r->addr, 16);
            __builtin_memcpy(rkey.dst, pkt.src, 16);
            rkey.sport = real_port_for(r, &pkt);
            rkey.dport = pkt.sport;
            rkey.proto = pkt.proto;
            rkey.family = pkt.family;
            rkey.pad = 0;
            struct xvs_nat_reverse rev = {
                .vport = pkt.dport,
                .service_id = service_id,
                .real_id = real_id,
                .real_generation = r->generation,
            };
            __builtin_memcpy(rev.vaddr, pkt.dst, 16);
            bpf_map_update_elem(&xvs_nat_reverse, &rkey, &rev, BPF_ANY);
        }
    } else if (pkt.icmp_error) {
        count(XVS_STAT_ICMP_FORWARDED);
    }
    if (persistent && !pkt.icmp_error)
        persist_touch(&pkey, now, real_id, r->generation);
    if (pkt.frag == XVS_FRAG_FIRST)
        frag_remember(&pkt, now, service_id, real_id, r->generation);

    count_in(service_id, real_id, bytes, new_conn);
    return forward_to_real(ctx, &pkt, r);
}

char LICENSE[] SEC("license") = "GPL";
