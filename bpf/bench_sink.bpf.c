/* xvs-bench's sink and pass programs (the rate suite).
 *
 * bench_sink counts the IPv4 frames that reach a sink veth and drops them;
 * xvs-bench reads `received` (per CPU) before and after a run.
 * bench_pass only exists because a veth drops frames sent to it with
 * XDP_TX/redirect unless its peer runs an XDP program (the baseline's
 * director interface has nothing else attached). */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} received SEC(".maps");

SEC("xdp")
int bench_sink(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;

    if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
        return XDP_PASS;
    __u32 zero = 0;
    __u64 *n = bpf_map_lookup_elem(&received, &zero);
    if (n)
        *n += 1;
    return XDP_DROP;
}

SEC("xdp")
int bench_pass(struct xdp_md *ctx)
{
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
