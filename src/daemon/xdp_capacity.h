// The parts of xvsd --check that depend on the XDP plane, which the parser
// cannot know: the real table's size (--max-reals), and, with
// dataplane=xdp, what the plane refuses to serve.
#pragma once

#include <cstdint>

#include "config/config.h"

namespace xvs {

// Throws ConfigError ("FILE: the configuration needs N reals, ...") when the
// file's reals, a fallback per virtual included, exceed max_reals.
void check_xdp_real_capacity(const Config& config, uint32_t max_reals);

// Throws ConfigError with one "FILE:LINE: problem" per problem the XDP plane
// finds in a virtual service, its reals all up (e.g. "TCP  10.0.0.1:80:
// scheduler lblc is not supported by the XDP data plane (...)"): what the
// daemon refuses at start with dataplane=xdp.
void check_xdp_services(const Config& config);

}  // namespace xvs
