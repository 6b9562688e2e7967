// MaglevTable: the consistent-hash lookup table of IPVS's mh scheduler and of
// Google's Maglev paper (Eisenbud et al., NSDI 2016), with weights.
//
// Contract:
//  - Each backend with weight > 0 gets a permutation of the slots from two
//    SipHash-2-4 hashes of its id (fixed keys): offset = h1 % size,
//    skip = h2 % (size - 1) + 1. Rounds then go through the backends in order
//    of id; in each round a backend claims weight / gcd(weights) slots, each
//    the next free slot of its permutation (IPVS mh gives a backend its turns
//    the same way), until every slot is taken.
//  - The result depends only on the set of (id, weight) pairs: the same on
//    every director and whatever order the caller lists the backends in. The
//    values are indices into the caller's vector.
//  - Each backend's share of the slots is its weight share to within about
//    (weight / gcd) slots. Removing one backend of N moves mostly that
//    backend's slots; the slots of the others move only a little (the tests
//    measure it).
//  - size must be prime (std::invalid_argument otherwise), as must ids be
//    unique among non-zero-weight backends (std::invalid_argument).
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

// Trial division; sizes are at most a few million.
bool is_prime(uint32_t n);

// The table size xvs uses unless told otherwise (prime, as in IPVS's default).
inline constexpr uint32_t maglev_default_size = 65521;

}  // namespace xvs
