#include "daemon/xdp_capacity.h"

#include <string>
#include <vector>

#include "dataplane/xdp/xdp_dataplane.h"
#include "model/build.h"

namespace xvs {

void check_xdp_real_capacity(const Config& config, uint32_t max_reals) {
    // Counted as the plane counts them at worst: every real, and the sorry
    // server a virtual switches to when all its reals are down.
    size_t reals = 0;
    for (const auto& v : config.virtuals) reals += v.reals.size() + (v.fallback ? 1 : 0);
    if (reals > max_reals)
        throw ConfigError({config.source + ": " + xdp_real_capacity_problem(reals, max_reals)});
}

void check_xdp_services(const Config& config) {
    std::vector<std::string> errors;
    for (const auto& v : config.virtuals)
        for (const auto& problem : xdp_service_problems(build_service(v)))
            errors.push_back(config.source + ":" + std::to_string(v.line) + ": " + problem);
    if (!errors.empty()) throw ConfigError(std::move(errors));
}

}  // namespace xvs
