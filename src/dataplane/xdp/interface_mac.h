// The Ethernet address of an interface of the current network namespace:
// what the XDP program compares a frame's destination MAC with
// (xvs_ifaces, bpf/lib/ingress.h). Throws DataplaneError naming the
// interface when it has none (not an Ethernet device) or cannot be read.
//
// stacking_depth(): how many devices lie below an interface (a VLAN device on
// a veth: 1), from its lower_* links in sysfs; 0 when it has none or is gone.
// The kernel refuses to attach, replace or detach XDP on a device while a
// device stacked on it has a program, so lower devices are attached first and
// detached last.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace xvs {

std::array<uint8_t, 6> interface_mac(int ifindex);
int stacking_depth(const std::string& interface, int limit = 8);

}  // namespace xvs
