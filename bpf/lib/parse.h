/* Header parsing with bounds checks the verifier can follow.
 *
 * parse_packet() fills struct xvs_packet with offsets (from ctx->data) and the
 * flow tuple, or says why the packet is not ours. Every offset it returns has
 * been bounds-checked against data_end for the header it points at; callers
 * still re-check before writing because the verifier forgets across helpers.
 *
 * Decisions:
 * - At most two VLAN tags (802.1Q / 802.1ad); more is passed to the stack.
 * - IPv4 options are skipped (IHL > 5); IPv6 extension headers are walked,
 *   at most XVS_MAX_EXT_HEADERS of them (hop-by-hop, routing, destination
 *   options, fragment, AH); ESP or anything else ends the walk as "not ours".
 * - A fragment with offset 0 carries the L4 header and is handled by its
 *   ports (frag = XVS_FRAG_FIRST); later fragments (XVS_FRAG_LATER) have no
 *   ports and are matched through the fragment map (conn.h).
 * - ICMP/ICMPv6 errors (unreachable incl. frag-needed / packet-too-big, time
 *   exceeded, parameter problem) are parsed down to the quoted header; the
 *   tuple is then the quoted packet reversed, i.e. the flow client -> VIP, so
 *   that it finds the flow's connection entry. Only errors addressed to the
 *   address that sent the quoted packet (the VIP) are taken.
 */
#ifndef XVS_BPF_PARSE_H
#define XVS_BPF_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/icmpv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "xvs/abi.h"

#define XVS_MAX_VLAN_TAGS 2
#define XVS_MAX_EXT_HEADERS 6
/* Largest L3 offset parse_packet() sets: Ethernet + XVS_MAX_VLAN_TAGS tags of
 * 4 bytes (22). Whoever reads the IP header through p->l3_off bounds it by
 * this first: the verifier knows nothing of a value loaded back from *p, and
 * without a bound it refuses data + off as an unbounded packet pointer. */
#define XVS_MAX_L3_OFFSET (ETH_HLEN + XVS_MAX_VLAN_TAGS * 4)
/* Largest L4 offset we follow (Ethernet + VLANs + IPv6 + extension headers). */
#define XVS_MAX_L4_OFFSET 512

#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif

enum parse_result {
    PARSE_OK = 0,
    PARSE_NOT_OURS,   /* not IP, or a protocol we do not balance: pass untouched */
    PARSE_MALFORMED,  /* truncated or inconsistent: pass, the kernel drops it */
};

enum xvs_frag_kind { XVS_FRAG_NONE = 0, XVS_FRAG_FIRST, XVS_FRAG_LATER };

struct xvs_packet {
    __u32 src[4];
    __u32 dst[4];
    __be16 sport;
    __be16 dport;
    __u16 l3_off;        /* IP header */
    __u16 l4_off;        /* TCP/UDP/ICMP header; 0 for later fragments */
    __u16 inner_l3_off;  /* ICMP errors: the quoted IP header */
    __u16 inner_l4_off;  /* ICMP errors: the quoted ports */
    __u16 l3_len;        /* IP datagram length from the header (v6: 40 + payload) */
    __u16 l3_end;        /* l3_off + l3_len: headers must end before it, not only
                          * before data_end (frames may carry trailing bytes) */
    __u8 family;         /* XVS_FAMILY_V4 / V6 */
    __u8 proto;          /* L4 protocol of the flow (the quoted one for ICMP errors) */
    __u8 tcp_flags;      /* byte 13 of the TCP header */
    __u8 frag;           /* enum xvs_frag_kind */
    __u8 icmp_error;     /* 1: ICMP error about a flow; tuple is that flow's */
    __u8 pad[3];
    __u32 frag_id;
};

#define XVS_TCP_FIN 0x01
#define XVS_TCP_SYN 0x02
#define XVS_TCP_RST 0x04
#define XVS_TCP_ACK 0x10

/* linux/icmp.h drags in libc socket headers that do not build for -target
 * bpf; the ICMP header is all we need from it. */
struct icmphdr {
    __u8 type;
    __u8 code;
    __sum16 checksum;
    __be32 un;
};
#define ICMP_DEST_UNREACH 3
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAMETERPROB 12

struct vlan_tag {
    __be16 tci;
    __be16 proto;
};

/* The four port bytes (TCP and UDP alike) at off. */
static __always_inline int parse_ports(void *data, void *end, __u32 limit, __u32 off,
                                       __be16 *sport, __be16 *dport)
{
    if (off > XVS_MAX_L4_OFFSET)
        return PARSE_NOT_OURS;
    if (off + 4 > limit)
        return PARSE_MALFORMED;
    __be16 *ports = data + off;
    if ((void *)(ports + 2) > end)
        return PARSE_MALFORMED;
    *sport = ports[0];
    *dport = ports[1];
    return PARSE_OK;
}

static __always_inline int parse_l4(void *data, void *end, struct xvs_packet *p)
{
    __u32 off = p->l4_off;
    if (off > XVS_MAX_L4_OFFSET)
        return PARSE_NOT_OURS;
    if (p->proto == IPPROTO_TCP) {
        struct tcphdr *th = data + off;
        if ((void *)(th + 1) > end)
            return PARSE_MALFORMED;
        if (th->doff < 5)
            return PARSE_MALFORMED;
        if (data + off + th->doff * 4 > end || off + th->doff * 4 > p->l3_end)
            return PARSE_MALFORMED;
        p->sport = th->source;
        p->dport = th->dest;
        p->tcp_flags = ((__u8 *)th)[13];
        return PARSE_OK;
    }
    if (p->proto == IPPROTO_UDP) {
        struct udphdr *uh = data + off;
        if ((void *)(uh + 1) > end)
            return PARSE_MALFORMED;
        if (bpf_ntohs(uh->len) < sizeof(*uh) || off + sizeof(*uh) > p->l3_end)
            return PARSE_MALFORMED;
        p->sport = uh->source;
        p->dport = uh->dest;
        return PARSE_OK;
    }
    return PARSE_NOT_OURS;
}

/* Quoted IPv4 header inside an ICMP error: fills the reversed tuple. */
static __always_inline int parse_icmp_inner_v4(void *data, void *end, struct xvs_packet *p)
{
    __u32 off = p->l4_off + sizeof(struct icmphdr);
    if (off > XVS_MAX_L4_OFFSET)
        return PARSE_NOT_OURS;
    struct iphdr *ip = data + off;
    if ((void *)(ip + 1) > end || off + sizeof(*ip) > p->l3_end)
        return PARSE_MALFORMED;
    if (ip->version != 4 || ip->ihl < 5)
        return PARSE_MALFORMED;
    if (ip->protocol != IPPROTO_TCP && ip->protocol != IPPROTO_UDP)
        return PARSE_NOT_OURS;
    if (ip->frag_off & bpf_htons(0x1fff))
        return PARSE_NOT_OURS; /* quoted later fragment: no ports */
    /* Only errors sent to the VIP about what the VIP sent concern us. */
    if (ip->saddr != p->dst[0])
        return PARSE_NOT_OURS;
    p->inner_l3_off = off;
    p->inner_l4_off = off + ip->ihl * 4;
    __be16 qsport, qdport;
    int r = parse_ports(data, end, p->l3_end, p->inner_l4_off, &qsport, &qdport);
    if (r != PARSE_OK)
        return r;
    /* The quoted packet went VIP -> client: reverse it. */
    p->src[0] = ip->daddr;
    p->dst[0] = ip->saddr;
    p->sport = qdport;
    p->dport = qsport;
    p->proto = ip->protocol;
    p->icmp_error = 1;
    return PARSE_OK;
}

static __always_inline int parse_icmp_v4(void *data, void *end, struct xvs_packet *p)
{
    __u32 off = p->l4_off;
    if (off > XVS_MAX_L4_OFFSET)
        return PARSE_NOT_OURS;
    struct icmphdr *ic = data + off;
    if ((void *)(ic + 1) > end || off + sizeof(*ic) > p->l3_end)
        return PARSE_MALFORMED;
    if (ic->type != ICMP_DEST_UNREACH && ic->type != ICMP_TIME_EXCEEDED &&
        ic->type != ICMP_PARAMETERPROB)
        return PARSE_NOT_OURS;
    if (p->frag != XVS_FRAG_NONE)
        return PARSE_NOT_OURS; /* fragmented ICMP errors are the stack's business */
    return parse_icmp_inner_v4(data, end, p);
}

static __always_inline int parse_icmp_v6(void *data, void *end, struct xvs_packet *p)
{
    __u32 off = p->l4_off;
    if (off > XVS_MAX_L4_OFFSET)
        return PARSE_NOT_OURS;
    struct icmp6hdr *ic = data + off;
    if ((void *)(ic + 1) > end || off + sizeof(*ic) > p->l3_end)
        return PARSE_MALFORMED;
    if (ic->icmp6_type != ICMPV6_DEST_UNREACH && ic->icmp6_type != ICMPV6_PKT_TOOBIG &&
        ic->icmp6_type != ICMPV6_TIME_EXCEED && ic->icmp6_type != ICMPV6_PARAMPROB)
        return PARSE_NOT_OURS;
    if (p->frag != XVS_FRAG_NONE)
        return PARSE_NOT_OURS;
    off += sizeof(*ic);
    if (off > XVS_MAX_L4_OFFSET)
        return PARSE_NOT_OURS;
    struct ipv6hdr *ip6 = data + off;
    if ((void *)(ip6 + 1) > end || off + sizeof(*ip6) > p->l3_end)
        return PARSE_MALFORMED;
    if (ip6->version != 6)
        return PARSE_MALFORMED;
    /* Quoted extension headers are not walked: errors about such packets
     * go to the stack. */
    if (ip6->nexthdr != IPPROTO_TCP && ip6->nexthdr != IPPROTO_UDP)
        return PARSE_NOT_OURS;
    /* Only errors sent to the VIP about what the VIP sent concern us. */
    __u32 *quoted_src = ip6->saddr.in6_u.u6_addr32;
    if ((quoted_src[0] ^ p->dst[0]) | (quoted_src[1] ^ p->dst[1]) | (quoted_src[2] ^ p->dst[2]) |
        (quoted_src[3] ^ p->dst[3]))
        return PARSE_NOT_OURS;
    p->inner_l3_off = off;
    p->inner_l4_off = off + sizeof(*ip6);
    __be16 qsport, qdport;
    int r = parse_ports(data, end, p->l3_end, p->inner_l4_off, &qsport, &qdport);
    if (r != PARSE_OK)
        return r;
    __builtin_memcpy(p->src, &ip6->daddr, 16);
    __builtin_memcpy(p->dst, &ip6->saddr, 16);
    p->sport = qdport;
    p->dport = qsport;
    p->proto = ip6->nexthdr;
    p->icmp_error = 1;
    return PARSE_OK;
}

/* A 16-bit length field in host order, with its bound visible to the
 * verifier. Before 6.3 or so (Debian 12's 6.1 among them) the verifier forgets
 * every bound of a register after a byte swap and then refuses it in packet
 * pointer arithmetic ("math between pkt pointer and register with unbounded
 * min value"). The mask gives the bound back; the asm keeps the compiler from
 * dropping it as redundant. */
static __always_inline __u32 ntohs_bounded(__be16 v)
{
    __u64 x = bpf_ntohs(v);
    asm volatile("%0 &= 0xffff" : "+r"(x));
    return x;
}

static __always_inline int parse_ipv4(void *data, void *end, struct xvs_packet *p)
{
    __u32 off = p->l3_off;
    if (off > XVS_MAX_L3_OFFSET)
        return PARSE_NOT_OURS;
    struct iphdr *ip = data + off;
    if ((void *)(ip + 1) > end)
        return PARSE_MALFORMED;
    if (ip->version != 4 || ip->ihl < 5)
        return PARSE_MALFORMED;
    __u32 hlen = ip->ihl * 4;
    __u32 tot = ntohs_bounded(ip->tot_len);
    if (tot < hlen || data + off + tot > end)
        return PARSE_MALFORMED;
    p->family = XVS_FAMILY_V4;
    p->proto = ip->protocol;
    p->src[0] = ip->saddr;
    p->dst[0] = ip->daddr;
    p->l3_len = tot;
    p->l3_end = off + tot;
    p->l4_off = off + hlen;
    p->frag_id = ip->id;
    __u16 frag = bpf_ntohs(ip->frag_off);
    if (frag & 0x1fff) {
        p->frag = XVS_FRAG_LATER;
        p->l4_off = 0;
        return PARSE_OK;
    }
    if (frag & 0x2000)
        p->frag = XVS_FRAG_FIRST;
    if (p->proto == IPPROTO_ICMP)
        return parse_icmp_v4(data, end, p);
    return parse_l4(data, end, p);
}

static __always_inline int parse_ipv6(void *data, void *end, struct xvs_packet *p)
{
    __u32 off = p->l3_off;
    if (off > XVS_MAX_L3_OFFSET)
        return PARSE_NOT_OURS;
    struct ipv6hdr *ip6 = data + off;
    if ((void *)(ip6 + 1) > end)
        return PARSE_MALFORMED;
    if (ip6->version != 6)
        return PARSE_MALFORMED;
    __u32 tot = ntohs_bounded(ip6->payload_len) + sizeof(*ip6);
    if (data + off + tot > end)
        return PARSE_MALFORMED;
    p->family = XVS_FAMILY_V6;
    p->l3_len = tot;
    p->l3_end = off + tot;
    __builtin_memcpy(p->src, &ip6->saddr, 16);
    __builtin_memcpy(p->dst, &ip6->daddr, 16);
    __u8 next = ip6->nexthdr;
    off += sizeof(*ip6);
#pragma unroll
    for (int i = 0; i < XVS_MAX_EXT_HEADERS; i++) {
        if (next != IPPROTO_HOPOPTS && next != IPPROTO_ROUTING && next != IPPROTO_DSTOPTS &&
            next != IPPROTO_FRAGMENT && next != IPPROTO_AH)
            break;
        if (off > XVS_MAX_L4_OFFSET)
            return PARSE_NOT_OURS;
        __u8 *ext = data + off;
        if ((void *)(ext + 8) > end || off + 8 > p->l3_end)
            return PARSE_MALFORMED;
        if (next == IPPROTO_FRAGMENT) {
            __u16 frag = bpf_ntohs(*(__be16 *)(ext + 2));
            p->frag_id = *(__u32 *)(ext + 4);
            next = ext[0];
            off += 8;
            if (frag & 0xfff8) {
                p->frag = XVS_FRAG_LATER;
                p->proto = next;
                p->l4_off = 0;
                return PARSE_OK;
            }
            if (frag & 1)
                p->frag = XVS_FRAG_FIRST;
            continue;
        }
        __u32 len = next == IPPROTO_AH ? (ext[1] + 2) * 4 : (ext[1] + 1) * 8;
        next = ext[0];
        off += len;
    }
    if (next == IPPROTO_HOPOPTS || next == IPPROTO_ROUTING || next == IPPROTO_DSTOPTS ||
        next == IPPROTO_FRAGMENT || next == IPPROTO_AH)
        return PARSE_NOT_OURS; /* longer chain than we walk */
    if (off > XVS_MAX_L4_OFFSET)
        return PARSE_NOT_OURS;
    if (off > p->l3_off + tot)
        return PARSE_MALFORMED;
    p->proto = next;
    p->l4_off = off;
    if (next == IPPROTO_ICMPV6)
        return parse_icmp_v6(data, end, p);
    return parse_l4(data, end, p);
}

/* A global function: the verifier checks it once on its own instead of once
 * per path through the rest of the program (which multiplied the states of
 * the VLAN and extension-header walks). Its caller sees *p as plain scalars,
 * so every offset is bounded again where it is used. */
__attribute__((noinline)) int parse_packet(struct xdp_md *ctx, struct xvs_packet *p)
{
    if (!p)
        return PARSE_NOT_OURS;
    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > end)
        return PARSE_MALFORMED;
    __be16 proto = eth->h_proto;
    __u32 off = sizeof(*eth);
#pragma unroll
    for (int i = 0; i < XVS_MAX_VLAN_TAGS; i++) {
        if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
            break;
        struct vlan_tag *tag = data + off;
        if ((void *)(tag + 1) > end)
            return PARSE_MALFORMED;
        proto = tag->proto;
        off += sizeof(*tag);
    }
    p->l3_off = off;
    if (proto == bpf_htons(ETH_P_IP))
        return parse_ipv4(data, end, p);
    if (proto == bpf_htons(ETH_P_IPV6))
        return parse_ipv6(data, end, p);
    return PARSE_NOT_OURS;
}

#endif
