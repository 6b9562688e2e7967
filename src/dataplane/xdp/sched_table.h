// build_sched_table(): the table the XDP program schedules a service from
// (abi.h, xvs_sched_tables; for lc ... ovf the list of xvs_sched_lists), as
// the real ids in the order the program uses.
//
// rr / wrr: IPVS's order (sched/wrr.h), walked with a per-CPU position.
// sh / dh:  XVS_HASH_BUCKETS buckets filled like IPVS's sh/dh: the reals in
//           list order, each repeated `weight` times, cycling.
// mh:       the Maglev table (sched/maglev.h), maglev_default_size slots.
// lc, wlc, sed, nq, fo, ovf: each real once, in the order IPVS's list of the
//           service's destinations holds them (ipvs_list_order()); the program
//           compares their live counts (bpf/lib/sched.h), and that order
//           decides its ties as it decides IPVS's.
// Reals with weight 0 never appear; no real with weight > 0 gives an empty table.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/model.h"
#include "model/schedulers.h"
#include "xvs/abi.h"

namespace xvs {

// The program's code for a scheduler name, or nullopt when XDP cannot run it:
// exactly the known_schedulers marked xdp (model/schedulers.h).
std::optional<xvs_sched> xdp_scheduler(const std::string& name);

// Whether the program schedules by the connection counts of every real of
// the service (lc, wlc, sed, nq, fo, ovf): at most XVS_SCHED_LIST_MAX reals.
bool schedules_by_counts(xvs_sched sched);

// IPVS keeps a service's destinations in a list and adds each new one at its
// head (ip_vs_add_dest: list_add_rcu), so its schedulers meet the newest
// first. added[i] says when the i-th real was added, counting up across the
// plane's life; the result is the indices newest first. The IPVS plane adds
// a new service's reals in the service's (map) order, then each later real
// when a change adds it: the XDP plane counts its additions the same way.
std::vector<uint32_t> ipvs_list_order(const std::vector<uint64_t>& added);

// real_ids[i] is the id of the i-th real of svc.reals (map order), added[i]
// when it was added (ipvs_list_order()).
std::vector<uint32_t> build_sched_table(const VirtualService& svc, const std::vector<uint32_t>& real_ids,
                                        const std::vector<uint64_t>& added);

}  // namespace xvs
