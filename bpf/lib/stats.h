/* Counters: global per-action (enum xvs_stat), per service and per real. */
#ifndef XVS_BPF_STATS_H
#define XVS_BPF_STATS_H

#include "lib/maps.h"

static __always_inline void count(__u32 stat)
{
    __u64 *v = bpf_map_lookup_elem(&xvs_stats, &stat);
    if (v)
        *v += 1;
}

/* Returns action after counting it, so call sites read "return counted(...)". */
static __always_inline int counted(int action, __u32 stat)
{
    count(stat);
    return action;
}

static __always_inline void count_in(__u32 service_id, __u32 real_id, __u64 bytes, int new_conn)
{
    struct xvs_counters *c = bpf_map_lookup_elem(&xvs_service_stats, &service_id);
    if (c) {
        c->packets_in++;
        c->bytes_in += bytes;
        c->connections += new_conn;
    }
    c = bpf_map_lookup_elem(&xvs_real_stats, &real_id);
    if (c) {
        c->packets_in++;
        c->bytes_in += bytes;
        c->connections += new_conn;
    }
}

static __always_inline void count_out(__u32 service_id, __u32 real_id, __u64 bytes)
{
    struct xvs_counters *c = bpf_map_lookup_elem(&xvs_service_stats, &service_id);
    if (c) {
        c->packets_out++;
        c->bytes_out += bytes;
    }
    c = bpf_map_lookup_elem(&xvs_real_stats, &real_id);
    if (c) {
        c->packets_out++;
        c->bytes_out += bytes;
    }
}

#endif
