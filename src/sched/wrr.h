// WrrSchedule: the order in which IPVS's wrr (and rr) scheduler hands out
// reals, precomputed so the XDP program only walks a table.
#pragma once

#include <cstdint>
#include <vector>

namespace xvs {

struct WrrSchedule {
    // Indices into the weights given to wrr_schedule(), in scheduling order.
    std::vector<uint32_t> order;
    // True when weights were scaled down to fit max_len (ratios kept within
    // the tolerance documented in wrr.cpp).
    bool scaled = false;
};

// The sequence ip_vs_wrr_schedule() produces for reals with these weights, in
// list order (gcd step, max weight). Reals of weight 0 never appear. At most
// max_len entries. rr is wrr with every non-zero weight treated as 1.
WrrSchedule wrr_schedule(const std::vector<uint32_t>& weights, uint32_t max_len);

}  // namespace xvs
