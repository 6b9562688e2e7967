// The kernel maps that hold one service's scheduling table (abi.h,
// xvs_sched_tables): created with the flags of the program's template and
// filled through one memory mapping, so a new table costs a few syscalls
// whatever its length, not a map update per entry.
#pragma once

#include <linux/bpf.h>

#include <cstddef>
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

// A table this process created and keeps mapped, so that a change which keeps
// the service's reals (a weight: a health result's common case) rewrites it
// in place: no new map, no outer-map write, no grace period.
//
// Why a rewrite in place is safe: the program reads the length (slot 0) once,
// then one slot below it. Slots are written first and the length last; a
// packet racing the rewrite reads either length and finds, at any slot below
// it, a real of the old or the new table, both of which name only the
// service's current reals. A new flow in that microsecond goes where it would
// have gone had it arrived just before the change.
class MappedSchedTable {
   public:
    // A table for `values`, with room up to the end of its last page.
    // `fd` is the caller's to pass to the outer map; the mapping keeps the
    // map alive as long as this object.
    static MappedSchedTable create(const std::vector<uint32_t>& values, const std::string& what,
                                   UniqueFd& fd);
    MappedSchedTable(MappedSchedTable&& other) noexcept;
    MappedSchedTable& operator=(MappedSchedTable&& other) noexcept;
    MappedSchedTable(const MappedSchedTable&) = delete;
    MappedSchedTable& operator=(const MappedSchedTable&) = delete;
    ~MappedSchedTable();

    // Whether `count` values (length included) fit.
    bool fits(size_t count) const { return count <= capacity_; }
    // The values in use: the length and that many slots.
    std::vector<uint32_t> values() const;
    // Rewrites the table in place (fits(values.size()) must hold).
    void rewrite(const std::vector<uint32_t>& values);

   private:
    MappedSchedTable(void* memory, size_t mapped_bytes, size_t capacity)
        : memory_(memory), mapped_bytes_(mapped_bytes), capacity_(capacity) {}
    uint32_t* slot(size_t i) const;

    void* memory_ = nullptr;
    size_t mapped_bytes_ = 0;
    size_t capacity_ = 0;  // entries, length slot included
};

}  // namespace xvs
