/* The maps of the XDP program. Layouts and meanings: include/xvs/abi.h.
 * The loader pins all of them (pin_root/instance/NAME) and resizes the LRU
 * tables before load; the sizes here are the defaults. */
#ifndef XVS_BPF_MAPS_H
#define XVS_BPF_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "xvs/abi.h"

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, XVS_MAX_SERVICES);
    __type(key, struct xvs_service_key);
    __type(value, __u32);
} xvs_services SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, XVS_MAX_MATCHES);
    __type(key, struct xvs_service_key);
    __type(value, __u32);
} xvs_matches SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, XVS_MAX_SERVICES);
    __type(key, __u32);
    __type(value, struct xvs_service);
} xvs_service_info SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, XVS_MAX_REALS);
    __type(key, __u32);
    __type(value, struct xvs_real);
} xvs_reals SEC(".maps");

/* Template of the per-service tables; BPF_F_INNER_MAP lets each table have
 * its own length, BPF_F_MMAPABLE lets the loader fill a new table with one
 * memcpy instead of a map update per entry (a rack of failures rebuilds a
 * table per service). The loader creates every table with these flags
 * (sched_table_flags in xdp_apply.cpp): the kernel refuses others. */
struct xvs_sched_table {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __uint(map_flags, BPF_F_INNER_MAP | BPF_F_MMAPABLE);
    __type(key, __u32);
    __type(value, __u32);
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
    __uint(max_entries, XVS_MAX_SERVICES);
    __type(key, __u32);
    __array(values, struct xvs_sched_table);
} xvs_sched_tables SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, XVS_MAX_SERVICES);
    __type(key, __u32);
    __type(value, struct xvs_sched_list);
} xvs_sched_lists SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, XVS_MAX_SERVICES);
    __type(key, __u32);
    __type(value, __u32);
} xvs_rr_position SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, XVS_CONN_TABLE_DEFAULT);
    __type(key, struct xvs_conn_key);
    __type(value, struct xvs_conn);
} xvs_conns SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, XVS_CONN_TABLE_DEFAULT);
    __type(key, struct xvs_conn_key);
    __type(value, struct xvs_nat_reverse);
} xvs_nat_reverse SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, XVS_PERSIST_TABLE_DEFAULT);
    __type(key, struct xvs_persist_key);
    __type(value, struct xvs_persist);
} xvs_persist SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, XVS_FRAG_TABLE_SIZE);
    __type(key, struct xvs_frag_key);
    __type(value, struct xvs_frag);
} xvs_frags SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, XVS_PENDING_NEIGH_SIZE);
    __type(key, struct xvs_neigh_key);
    __type(value, __u64);
} xvs_pending_neigh SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct xvs_config);
} xvs_config SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, XVS_MAX_IFACES);
    __type(key, __u32);
    __type(value, struct xvs_iface_addr);
} xvs_iface_addrs SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, XVS_MAX_IFACES);
    __type(key, __u32);
    __type(value, struct xvs_iface);
} xvs_ifaces SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, XVS_STAT__COUNT);
    __type(key, __u32);
    __type(value, __u64);
} xvs_stats SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, XVS_MAX_SERVICES);
    __type(key, __u32);
    __type(value, struct xvs_counters);
} xvs_service_stats SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, XVS_MAX_REALS);
    __type(key, __u32);
    __type(value, struct xvs_counters);
} xvs_real_stats SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, XVS_MAX_REALS); /* resized to max reals at load */
    /* Mapped by user space: its corrections are atomic adds on the same
     * memory, so none is lost against the program's. */
    __uint(map_flags, BPF_F_MMAPABLE);
    __type(key, __u32);
    __type(value, struct xvs_real_conns);
} xvs_real_conns SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 2 * XVS_ADDR_FILTER_WORDS);
    __type(key, __u32);
    __type(value, __u64);
} xvs_addr_filter SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, XVS_HOP_CACHE_SIZE);
    __type(key, __u32);
    __type(value, struct xvs_hop);
} xvs_hops SEC(".maps");

#endif
