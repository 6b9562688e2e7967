// OverloadFlags: user space's side of each real's overload flag (abi.h,
// struct xvs_real_conns.overloaded; the program's side is
// bpf/lib/overload.h).
//
// The program sets and clears the flag as IPVS's connection binding does.
// IPVS also clears it when a real is edited (__ip_vs_update_dest): when the
// new upper threshold is 0 or higher than the old one. The plane does that
// here, through a mapping of xvs_real_conns, storing into the flag alone:
// a map update would write the whole value and lose the program's atomic
// adds to the counts beside it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace xvs {

// Whether IPVS's edit of a real from upper threshold `before` to `after`
// clears its overload flag.
bool edit_clears_overload(uint32_t before, uint32_t after);

class OverloadFlags {
   public:
    // Maps the xvs_real_conns map behind `real_conns_fd` (BPF_F_MMAPABLE) of
    // `reals` entries. Throws DataplaneError.
    OverloadFlags(int real_conns_fd, uint32_t reals);
    ~OverloadFlags();
    OverloadFlags(const OverloadFlags&) = delete;
    OverloadFlags& operator=(const OverloadFlags&) = delete;

    // Clears real `id`'s flag (an id beyond the map is ignored: none has one).
    void clear(uint32_t id) noexcept;

   private:
    void* memory_ = nullptr;
    size_t bytes_ = 0;
    uint32_t reals_ = 0;
};

}  // namespace xvs
