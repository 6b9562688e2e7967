/* xvs-bench's cost breakdown: the floor program (parse Ethernet + IPv4,
 * XDP_TX) plus exactly one of the operations the xvs program does per
 * packet, so that each program's cost net of the floor is that operation's
 * price. Keys come from the packet so nothing folds away at compile time;
 * xvs-bench fills the maps so that lookups hit.
 *
 * Map shapes copy xvs's: the service hash (20-byte key), the connection table
 * (40-byte key) as a shared LRU (what xvs uses) and as a per-CPU LRU
 * (BPF_F_NO_COMMON_LRU), the per-CPU counter arrays. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "xvs/abi.h"
#include "lib/csum.h"

#define AF_INET 2
#define PART_TABLE_SIZE (1 << 19)

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 4096);
    __type(key, struct xvs_service_key);
    __type(value, __u32);
} part_hash SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, PART_TABLE_SIZE);
    __type(key, struct xvs_conn_key);
    __type(value, struct xvs_conn);
} part_lru SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, PART_TABLE_SIZE);
    __uint(map_flags, BPF_F_NO_COMMON_LRU);
    __type(key, struct xvs_conn_key);
    __type(value, struct xvs_conn);
} part_lru_percpu SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, PART_TABLE_SIZE);
    __type(key, struct xvs_conn_key);
    __type(value, struct xvs_conn);
} part_hash_table SEC(".maps");

/* An IPv4-only key (12 bytes of tuple + proto): how much of the insert is
 * hashing and copying the 40-byte dual-family key. */
struct part_v4_key {
    __u32 src;
    __u32 dst;
    __u16 sport;
    __u16 dport;
    __u32 proto;
};

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, PART_TABLE_SIZE);
    __type(key, struct part_v4_key);
    __type(value, struct xvs_conn);
} part_lru_v4 SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 4096);
    __type(key, __u32);
    __type(value, struct xvs_counters);
} part_counters SEC(".maps");

/* xvs_real_conns' shape: one shared value per real. */
struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 4096);
    __type(key, __u32);
    __type(value, struct xvs_real_conns);
} part_real_conns SEC(".maps");

__u64 sink_value;  /* results land here so no work is dead code */

/* The floor's parse; NULL when the frame is not IPv4. */
static __always_inline struct iphdr *parse_v4(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    struct iphdr *ip = (void *)(eth + 1);
    if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl < 5)
        return 0;
    return ip;
}

static __always_inline void conn_key_from(const struct iphdr *ip, struct xvs_conn_key *k)
{
    __builtin_memset(k, 0, sizeof(*k));
    k->src[0] = ip->saddr;
    k->dst[0] = ip->daddr;
    k->proto = ip->protocol;
    k->family = XVS_FAMILY_V4;
}

SEC("xdp")
int part_hash_lookup(struct xdp_md *ctx)
{
    struct iphdr *ip = parse_v4(ctx);
    if (!ip)
        return XDP_DROP;
    struct xvs_service_key k = {};
    k.addr[0] = ip->daddr;
    k.proto = ip->protocol;
    k.family = XVS_FAMILY_V4;
    __u32 *v = bpf_map_lookup_elem(&part_hash, &k);
    return v ? XDP_TX : XDP_DROP;
}

static __always_inline int lru_lookup(struct xdp_md *ctx, void *map)
{
    struct iphdr *ip = parse_v4(ctx);
    if (!ip)
        return XDP_DROP;
    struct xvs_conn_key k;
    conn_key_from(ip, &k);
    struct xvs_conn *c = bpf_map_lookup_elem(map, &k);
    return c ? XDP_TX : XDP_DROP;
}

static __always_inline int lru_insert(struct xdp_md *ctx, void *map)
{
    struct iphdr *ip = parse_v4(ctx);
    if (!ip)
        return XDP_DROP;
    struct xvs_conn_key k;
    conn_key_from(ip, &k);
    struct xvs_conn c = {.real_id = 1, .state = XVS_CONN_TCP_SYN};
    return bpf_map_update_elem(map, &k, &c, BPF_ANY) == 0 ? XDP_TX : XDP_DROP;
}

SEC("xdp")
int part_hash_insert(struct xdp_md *ctx) { return lru_insert(ctx, &part_hash_table); }

SEC("xdp")
int part_lru_v4_insert(struct xdp_md *ctx)
{
    struct iphdr *ip = parse_v4(ctx);
    if (!ip)
        return XDP_DROP;
    struct part_v4_key k = {.src = ip->saddr, .dst = ip->daddr, .proto = ip->protocol};
    struct xvs_conn c = {.real_id = 1, .state = XVS_CONN_TCP_SYN};
    return bpf_map_update_elem(&part_lru_v4, &k, &c, BPF_ANY) == 0 ? XDP_TX : XDP_DROP;
}

SEC("xdp")
int part_lru_lookup(struct xdp_md *ctx) { return lru_lookup(ctx, &part_lru); }

SEC("xdp")
int part_lru_percpu_lookup(struct xdp_md *ctx) { return lru_lookup(ctx, &part_lru_percpu); }

SEC("xdp")
int part_lru_insert(struct xdp_md *ctx) { return lru_insert(ctx, &part_lru); }

/* A lookup of a key that is not there, a new one each call: what a new
 * flow's first packet pays to learn it is new (the bucket is cold). */
SEC("xdp")
int part_lru_miss(struct xdp_md *ctx)
{
    struct iphdr *ip = parse_v4(ctx);
    if (!ip)
        return XDP_DROP;
    struct xvs_conn_key k;
    conn_key_from(ip, &k);
    return bpf_map_lookup_elem(&part_lru, &k) ? XDP_DROP : XDP_TX;
}

SEC("xdp")
int part_lru_percpu_insert(struct xdp_md *ctx) { return lru_insert(ctx, &part_lru_percpu); }

/* One service and one real counter update, as count_in() does. */
SEC("xdp")
int part_counters_update(struct xdp_md *ctx)
{
    struct iphdr *ip = parse_v4(ctx);
    if (!ip)
        return XDP_DROP;
    __u32 id = ip->protocol;
    struct xvs_counters *c = bpf_map_lookup_elem(&part_counters, &id);
    if (!c)
        return XDP_DROP;
    c->packets_in++;
    c->bytes_in += bpf_ntohs(ip->tot_len);
    return XDP_TX;
}

/* What a new flow pays for being counted (count_flow() in conn.h): one
 * array lookup and two atomic adds on its real's shared counts. */
SEC("xdp")
int part_conn_count(struct xdp_md *ctx)
{
    struct iphdr *ip = parse_v4(ctx);
    if (!ip)
        return XDP_DROP;
    __u32 id = ip->protocol;
    struct xvs_real_conns *n = bpf_map_lookup_elem(&part_real_conns, &id);
    if (!n)
        return XDP_DROP;
    __sync_fetch_and_add(&n->inactive, 1);
    __sync_fetch_and_add(&n->changes, 1);
    return XDP_TX;
}

SEC("xdp")
int part_ktime(struct xdp_md *ctx)
{
    if (!parse_v4(ctx))
        return XDP_DROP;
    sink_value += bpf_ktime_get_ns();
    return XDP_TX;
}

/* What xvs reads instead: jiffies, inlined by the verifier into a load. */
SEC("xdp")
int part_jiffies(struct xdp_md *ctx)
{
    if (!parse_v4(ctx))
        return XDP_DROP;
    sink_value += bpf_jiffies64();
    return XDP_TX;
}

SEC("xdp")
int part_ktime_coarse(struct xdp_md *ctx)
{
    if (!parse_v4(ctx))
        return XDP_DROP;
    sink_value += bpf_ktime_get_coarse_ns();
    return XDP_TX;
}

SEC("xdp")
int part_fib_lookup(struct xdp_md *ctx)
{
    struct iphdr *ip = parse_v4(ctx);
    if (!ip)
        return XDP_DROP;
    struct bpf_fib_lookup fib = {};
    fib.family = AF_INET;
    fib.l4_protocol = ip->protocol;
    fib.tot_len = bpf_ntohs(ip->tot_len);
    fib.ifindex = ctx->ingress_ifindex;
    fib.ipv4_src = ip->saddr;
    fib.ipv4_dst = ip->daddr;
    return bpf_fib_lookup(ctx, &fib, sizeof(fib), 0) == BPF_FIB_LKUP_RET_SUCCESS ? XDP_TX : XDP_DROP;
}

/* NAT's checksum work for IPv6: a 16-byte address and a port, incrementally. */
SEC("xdp")
int part_csum_v6_nat(struct xdp_md *ctx)
{
    struct iphdr *ip = parse_v4(ctx);
    if (!ip)
        return XDP_DROP;
    __u32 from[4] = {ip->saddr, ip->daddr, ip->saddr, ip->daddr};
    __u32 to[4] = {ip->daddr, ip->saddr, ip->daddr, ip->saddr};
    __u32 delta = csum_delta128(0, from, to);
    delta = csum_delta16(delta, ip->id, ip->frag_off);
    __u16 check = ip->check;
    csum_apply(&check, delta);
    sink_value += check;
    return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
