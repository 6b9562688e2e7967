// User space's side of each real's overload flag (abi.h, struct
// xvs_real_conns.overloaded; the program's side is bpf/lib/overload.h).
//
// The program sets and clears the flag as IPVS's connection binding does.
// IPVS also clears it when a real is edited (__ip_vs_update_dest): when the
// new upper threshold is 0 or higher than the old one. The plane does that
// through its mapping of xvs_real_conns (MappedRealConns::clear_overloaded),
// storing into the flag alone: a map update would write the whole value and
// lose the program's atomic adds to the counts beside it.
#pragma once

#include <cstdint>

namespace xvs {

// Whether IPVS's edit of a real from upper threshold `before` to `after`
// clears its overload flag.
bool edit_clears_overload(uint32_t before, uint32_t after);

}  // namespace xvs
