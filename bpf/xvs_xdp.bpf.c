/* xvs XDP program: parse, look up the virtual service, pick the real, forward.
 * Anything that is not for a virtual service leaves untouched (XDP_PASS). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "xvs/abi.h"
#include "lib/parse.h"

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, XVS_STAT__COUNT);
    __type(key, __u32);
    __type(value, __u64);
} xvs_stats SEC(".maps");

static __always_inline void count(__u32 stat)
{
    __u64 *v = bpf_map_lookup_elem(&xvs_stats, &stat);
    if (v)
        *v += 1;
}

SEC("xdp")
int xvs_xdp_main(struct xdp_md *ctx)
{
    struct packet_cursor c = {
        .pos = (void *)(long)ctx->data,
        .end = (void *)(long)ctx->data_end,
    };
    count(XVS_STAT_PACKETS);
    if (!parse_ethernet(&c)) {
        count(XVS_STAT_MALFORMED);
        return XDP_PASS;
    }
    count(XVS_STAT_PASS);
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
