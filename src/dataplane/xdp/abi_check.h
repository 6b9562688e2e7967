// Compile-time checks that the C++ side sees include/xvs/abi.h with the
// layout the BPF program was compiled with (no padding surprises, since the
// structs are copied byte for byte into maps).
#pragma once

#include <cstddef>

#include "xvs/abi.h"

namespace xvs::abi_check {

static_assert(sizeof(xvs_service_key) == 20);
static_assert(offsetof(xvs_service_key, port) == 16);
static_assert(offsetof(xvs_service_key, proto) == 18);
static_assert(offsetof(xvs_service_key, family) == 19);
static_assert(sizeof(xvs_service) == 52);
static_assert(offsetof(xvs_service, persist_timeout_s) == 8);
static_assert(offsetof(xvs_service, persist_mask) == 12);
static_assert(offsetof(xvs_service, key_addr) == 28);
static_assert(offsetof(xvs_service, key_port) == 44);
static_assert(offsetof(xvs_service, fwmark) == 48);
static_assert(sizeof(xvs_real) == 48);
static_assert(offsetof(xvs_real, port) == 16);
static_assert(offsetof(xvs_real, flags) == 20);
static_assert(offsetof(xvs_real, generation) == 32);
static_assert(offsetof(xvs_real, upper_threshold) == 36);
static_assert(offsetof(xvs_real, lower_threshold) == 40);
static_assert(offsetof(xvs_real, tun_type) == 44);
static_assert(offsetof(xvs_real, tun_port) == 46);
static_assert(sizeof(xvs_conn_key) == 40);
static_assert(offsetof(xvs_conn_key, sport) == 32);
static_assert(offsetof(xvs_conn_key, proto) == 36);
static_assert(sizeof(xvs_conn) == 24);
static_assert(offsetof(xvs_conn, state) == 20);
static_assert(sizeof(xvs_nat_reverse) == 32);
static_assert(sizeof(xvs_persist_key) == 32);
static_assert(offsetof(xvs_persist_key, pe_hash) == 24);
static_assert(sizeof(xvs_persist) == 16);
static_assert(sizeof(xvs_frag_key) == 40);
static_assert(sizeof(xvs_frag) == 24);
static_assert(offsetof(xvs_frag, flags) == 20);
static_assert(sizeof(xvs_held_frag) == 64 + XVS_FRAG_HOLD_BYTES);
static_assert(offsetof(xvs_held_frag, key) == 16);
static_assert(offsetof(xvs_held_frag, ifindex) == 56);
static_assert(offsetof(xvs_held_frag, len) == 60);
static_assert(offsetof(xvs_held_frag, data) == 64);
static_assert((XVS_FRAG_HOLD_SLOTS & (XVS_FRAG_HOLD_SLOTS - 1)) == 0);
static_assert(sizeof(xvs_neigh_key) == 24);
static_assert(sizeof(xvs_config) == 72);
static_assert(offsetof(xvs_config, clock_ns_per_tick) == 24);
static_assert(sizeof(xvs_iface_addr) == 20);
static_assert(sizeof(xvs_iface) == 8);
static_assert(sizeof(xvs_counters) == 40);
static_assert(sizeof(xvs_hop) == 64);
// The first four fields are mapped by the census at these offsets; the flag
// follows them.
static_assert(sizeof(xvs_real_conns) == 40);
static_assert(sizeof(xvs_sched_list) == 4 + 4 * XVS_SCHED_LIST_MAX);
static_assert(offsetof(xvs_real_conns, changes) == 24);
static_assert(offsetof(xvs_real_conns, overloaded) == 32);
static_assert(offsetof(xvs_hop, filled_ns) == 24);
static_assert(offsetof(xvs_hop, dmac) == 52);

}  // namespace xvs::abi_check
