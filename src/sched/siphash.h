// SipHash-2-4 (Aumasson & Bernstein): a keyed 64-bit hash with a fixed,
// published definition, so that values are the same on every machine, every
// run and every build. xvs uses it wherever a hash must agree across
// directors (Maglev offsets and skips).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace xvs {

using SipKey = std::array<uint8_t, 16>;

uint64_t siphash24(const SipKey& key, std::string_view data);

}  // namespace xvs
