/* xvs-bench's packet generator (the rate suite), in the manner of
 * xdp-trafficgen: run through BPF_PROG_RUN with BPF_F_TEST_XDP_LIVE_FRAMES,
 * every XDP_TX leaves the generator's veth as a real frame. The frame is an
 * Ethernet + IPv4 + UDP packet with a zero UDP checksum; the program gives
 * it the next of flow_count source ports, so the director sees that many
 * distinct flows. Runs on one CPU at a time (the counter is not atomic).
 *
 * The kernel recycles live-frame pages without restoring their contents, and
 * a director that forwards in XDP rewrites the frame in place (NAT rewrites
 * addresses, the kernel's forwarding the TTL), so every run first copies the
 * headers back from `headers`, set by xvs-bench before load. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define HEADER_BYTES (sizeof(struct ethhdr) + sizeof(struct iphdr) + sizeof(struct udphdr))

__u8 headers[HEADER_BYTES];  /* written by xvs-bench before load */
const volatile __u32 flow_count = 1;
const volatile __u16 first_port = 1024;
__u32 next_flow;

SEC("xdp")
int bench_trafficgen(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;
    struct iphdr *ip = (void *)(eth + 1);
    struct udphdr *udp = (void *)(ip + 1);

    if ((void *)(udp + 1) > end)
        return XDP_DROP;
    __builtin_memcpy(data, headers, HEADER_BYTES);
    __u32 flow = next_flow;
    next_flow = flow + 1 >= flow_count ? 0 : flow + 1;
    udp->source = bpf_htons(first_port + flow);
    udp->check = 0;
    return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
