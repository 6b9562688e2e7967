#include "daemon/xdp_capacity.h"

#include "dataplane/xdp/xdp_dataplane.h"

namespace xvs {

void check_xdp_real_capacity(const Config& config, uint32_t max_reals) {
    // Counted as the plane counts them at worst: every real, and the sorry
    // server a virtual switches to when all its reals are down.
    size_t reals = 0;
    for (const auto& v : config.virtuals) reals += v.reals.size() + (v.fallback ? 1 : 0);
    if (reals > max_reals)
        throw ConfigError({config.source + ": " + xdp_real_capacity_problem(reals, max_reals)});
}

}  // namespace xvs
