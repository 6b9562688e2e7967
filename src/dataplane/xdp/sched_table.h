// build_sched_table(): the table the XDP program schedules a service from
// (abi.h, xvs_sched_tables), as the real ids in the order the program uses.
//
// rr / wrr: IPVS's order (sched/wrr.h), walked with a per-CPU position.
// sh / dh:  XVS_HASH_BUCKETS buckets filled like IPVS's sh/dh: the reals in
//           list order, each repeated `weight` times, cycling.
// mh:       the Maglev table (sched/maglev.h), maglev_default_size slots.
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

// real_ids[i] is the id of the i-th real of svc.reals (map order).
std::vector<uint32_t> build_sched_table(const VirtualService& svc,
                                        const std::vector<uint32_t>& real_ids);

}  // namespace xvs
