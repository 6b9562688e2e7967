#include "sched/wrr.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

namespace xvs {
namespace {

uint64_t gcd_of_nonzero(const std::vector<uint64_t>& weights) {
    uint64_t g = 0;
    for (uint64_t w : weights)
        if (w > 0) g = std::gcd(g, w);
    return g;
}

uint64_t cycle_length(const std::vector<uint64_t>& weights) {
    uint64_t g = gcd_of_nonzero(weights);
    if (g == 0) return 0;
    uint64_t total = 0;
    for (uint64_t w : weights) total += w / g;
    return total;
}

// Proportional scaling so that the cycle fits max_len. Rounding and the
// floor of 1 can push the total above the target, so the target shrinks by
// the overshoot until the result fits; each pass strictly lowers the target,
// and a target of `reals` gives every real weight 1, which fits by the
// caller's check.
std::vector<uint64_t> scale_to_fit(const std::vector<uint64_t>& weights, uint64_t max_len) {
    long double sum = 0;
    for (uint64_t w : weights) sum += static_cast<long double>(w);
    uint64_t target = max_len;
    for (;;) {
        std::vector<uint64_t> scaled(weights.size(), 0);
        for (size_t i = 0; i < weights.size(); ++i) {
            if (weights[i] == 0) continue;
            long double exact = static_cast<long double>(weights[i]) * target / sum;
            scaled[i] = std::max<uint64_t>(1, static_cast<uint64_t>(std::llround(exact)));
        }
        uint64_t len = cycle_length(scaled);
        if (len <= max_len) return scaled;
        uint64_t overshoot = len - max_len;
        target = target > overshoot ? target - overshoot : 1;
    }
}

// The kernel walks the list once per weight level: cw goes mw, mw-g, ..., g
// and at each level picks, in list order, every real with weight >= cw.
std::vector<uint32_t> kernel_order(const std::vector<uint64_t>& weights) {
    std::vector<uint32_t> order;
    uint64_t g = gcd_of_nonzero(weights);
    if (g == 0) return order;
    uint64_t mw = *std::max_element(weights.begin(), weights.end());
    order.reserve(cycle_length(weights));
    for (uint64_t cw = mw; cw >= g; cw -= g) {
        for (size_t i = 0; i < weights.size(); ++i)
            if (weights[i] >= cw) order.push_back(static_cast<uint32_t>(i));
        if (cw == g) break;  // cw - g would be 0: the kernel wraps to mw
    }
    return order;
}

}  // namespace

WrrSchedule wrr_schedule(const std::vector<uint32_t>& weights, uint32_t max_len) {
    std::vector<uint64_t> wide(weights.begin(), weights.end());
    size_t reals = std::count_if(wide.begin(), wide.end(), [](uint64_t w) { return w > 0; });
    WrrSchedule schedule;
    if (reals == 0) return schedule;
    if (reals > max_len)
        throw std::invalid_argument("wrr: " + std::to_string(reals) + " reals do not fit a " +
                                    std::to_string(max_len) + "-entry schedule");
    if (cycle_length(wide) > max_len) {
        wide = scale_to_fit(wide, max_len);
        schedule.scaled = true;
    }
    schedule.order = kernel_order(wide);
    return schedule;
}

WrrSchedule rr_schedule(const std::vector<uint32_t>& weights) {
    WrrSchedule schedule;
    for (size_t i = 0; i < weights.size(); ++i)
        if (weights[i] > 0) schedule.order.push_back(static_cast<uint32_t>(i));
    return schedule;
}

double wrr_share_error_bound(std::size_t reals, std::size_t cycle_len) {
    if (cycle_len == 0) return 1.0;
    return static_cast<double>(reals + 1) / static_cast<double>(cycle_len);
}

}  // namespace xvs
