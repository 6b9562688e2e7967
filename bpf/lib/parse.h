/* Header parsing with bounds checks the verifier can follow. */
#ifndef XVS_BPF_PARSE_H
#define XVS_BPF_PARSE_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct packet_cursor {
    void *pos;
    void *end;
};

/* Returns the EtherType (network order) or 0 when the frame is truncated. */
static __always_inline __be16 parse_ethernet(struct packet_cursor *c)
{
    struct ethhdr *eth = c->pos;
    if ((void *)(eth + 1) > c->end)
        return 0;
    c->pos = eth + 1;
    return eth->h_proto;
}

#endif
