// MaglevTable: the consistent-hash lookup table of IPVS's mh scheduler and of
// Google's Maglev paper, with weights.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace xvs {

struct MaglevBackend {
    std::string id;       // stable identity (e.g. "10.0.0.2:80"); hashed, so the
                          // table does not depend on insertion order
    uint32_t weight = 1;  // 0 = not in the table
};

// Returns a table of `size` slots (size must be prime), each the index of a
// backend in `backends`. Empty when every weight is 0.
std::vector<uint32_t> maglev_table(const std::vector<MaglevBackend>& backends, uint32_t size);

// The table size xvs uses unless told otherwise (prime, as in IPVS's default).
inline constexpr uint32_t kMaglevDefaultSize = 65521;

}  // namespace xvs
