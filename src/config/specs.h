// The structured values of ldirectord.cf: real=, fallback=, match= and
// metrics=. Each returns the parsed value or one message saying what is
// wrong with the line (the caller adds file and line).
#pragma once

#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/resolve.h"

namespace xvs::config_detail {

// Largest a->b range accepted on one real= line (ldirectord has no limit and
// would spend hours adding a /8; a range this big is a typo).
inline constexpr uint32_t max_real_range = 65536;

// real=HOST[->HOST][:PORT] gate|masq|ipip [WEIGHT] ["REQUEST", "RECEIVE"] [l:N] [u:N]
// A range gives one RealConfig per address. family: the virtual's.
Resolved<std::vector<RealConfig>> parse_real(std::string_view value, int line, Family family,
                                             const Resolver& resolver);

// fallback=HOST[:PORT] [gate|masq|ipip]; protocol selects the service-name lookup.
Resolved<FallbackConfig> parse_fallback(std::string_view value, int line, Family family,
                                        const char* protocol, const Resolver& resolver);

// match=tcp|udp ADDR[:PORT] (ADDR v4, or [v6]); family: the fwmark virtual's.
Resolved<MatchRule> parse_match(std::string_view value, Family family);

// metrics=ADDR:PORT
Resolved<Endpoint> parse_endpoint(std::string_view value);

}  // namespace xvs::config_detail
