// The Ethernet address of an interface of the current network namespace:
// what the XDP program compares a frame's destination MAC with
// (xvs_ifaces, bpf/lib/ingress.h). Throws DataplaneError naming the
// interface when it has none (not an Ethernet device) or cannot be read.
#pragma once

#include <array>
#include <cstdint>

namespace xvs {

std::array<uint8_t, 6> interface_mac(int ifindex);

}  // namespace xvs
