// WrrSchedule: the order in which IPVS's wrr (and rr) scheduler hands out
// reals, precomputed so the XDP program only walks a table.
//
// Contract:
//  - wrr_schedule() returns one full cycle of the order ip_vs_wrr_schedule()
//    (net/netfilter/ipvs/ip_vs_wrr.c) produces from a fresh service: the
//    cursor at the list head, the current weight cw starting at 0, so the
//    first step wraps and sets cw = max weight. With g = gcd of the non-zero
//    weights, one cycle has sum(weight / g) entries, e.g. weights {4,3,2} give
//    0 0 1 0 1 2 0 1 2 and {2,1} give 0 0 1.
//  - Reals of weight 0 never appear (quiescent). All weights 0 => empty order.
//  - When the exact cycle is longer than max_len, the weights are first scaled
//    down proportionally (rounded, every non-zero weight kept >= 1, then
//    reduced by their gcd) until the cycle fits, and `scaled` is set. The
//    order is then exactly the kernel's order for the scaled weights. Each
//    real's share of the cycle then differs from its exact share
//    weight / sum(weights) by at most wrr_share_error_bound(reals, cycle)
//    (absolute, as a fraction of 1): for 100 reals in a 65536-entry cycle that
//    is 0.15 percentage points.
//  - max_len smaller than the number of non-zero reals cannot hold every real
//    once: std::invalid_argument.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace xvs {

struct WrrSchedule {
    // Indices into the weights given to wrr_schedule(), in scheduling order.
    std::vector<uint32_t> order;
    // True when weights were scaled down to fit max_len (ratios kept within
    // wrr_share_error_bound()).
    bool scaled = false;
};

// The sequence ip_vs_wrr_schedule() produces for reals with these weights, in
// list order (gcd step, max weight). Reals of weight 0 never appear. At most
// max_len entries.
WrrSchedule wrr_schedule(const std::vector<uint32_t>& weights, uint32_t max_len);

// IPVS's rr: every real of non-zero weight once, in list order.
WrrSchedule rr_schedule(const std::vector<uint32_t>& weights);

// The largest absolute difference between a real's share of a scaled cycle
// and its exact share: (reals + 1) / cycle_len. See the contract above.
double wrr_share_error_bound(std::size_t reals, std::size_t cycle_len);

}  // namespace xvs
