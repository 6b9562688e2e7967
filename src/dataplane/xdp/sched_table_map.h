// The kernel maps that hold one service's scheduling table (abi.h,
// xvs_sched_tables): created with the flags of the program's template and
// filled through one memory mapping, so a new table costs a few syscalls
// whatever its length, not a map update per entry.
#pragma once

#include <linux/bpf.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/unique_fd.h"

namespace xvs {

// The template's flags (struct xvs_sched_table in bpf/lib/maps.h).
inline constexpr uint32_t sched_table_flags = BPF_F_INNER_MAP | BPF_F_MMAPABLE;

// A new table holding `values` (slot 0 is the length, abi.h). Throws
// DataplaneError naming `what` and the kernel's reason.
UniqueFd make_sched_table_map(const std::vector<uint32_t>& values, const std::string& what);

}  // namespace xvs
