/* xdp_pass: passes every frame. Test topologies attach it to each veth peer
 * that receives XDP_TX'd or redirected frames: a veth drops such frames unless
 * the receiving end runs an XDP program (see docs/architecture.md, "two traps"). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
    (void)ctx;
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
