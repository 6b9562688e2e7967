/* The benchmark's floor: the least any L4 balancer must do per packet.
 * Parses Ethernet and the IPv4/IPv6 header, swaps nothing, and sends the
 * frame back out (XDP_TX). xvs-bench reports every path net of this cost. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC("xdp")
int bench_floor(struct xdp_md *ctx)
{
    void *data = (void *)(long)ctx->data;
    void *end = (void *)(long)ctx->data_end;
    struct ethhdr *eth = data;

    if ((void *)(eth + 1) > end)
        return XDP_DROP;
    if (eth->h_proto == bpf_htons(ETH_P_IP)) {
        struct iphdr *ip = (void *)(eth + 1);
        if ((void *)(ip + 1) > end || ip->ihl < 5)
            return XDP_DROP;
        return XDP_TX;
    }
    if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
        struct ipv6hdr *ip6 = (void *)(eth + 1);
        if ((void *)(ip6 + 1) > end)
            return XDP_DROP;
        return XDP_TX;
    }
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
