// check_xdp_real_capacity(): the part of xvsd --check that depends on the XDP
// real table's size (--max-reals), which the parser cannot know.
#pragma once

#include <cstdint>

#include "config/config.h"

namespace xvs {

// Throws ConfigError ("FILE: the configuration needs N reals, ...") when the
// file's reals, a fallback per virtual included, exceed max_reals.
void check_xdp_real_capacity(const Config& config, uint32_t max_reals);

}  // namespace xvs
