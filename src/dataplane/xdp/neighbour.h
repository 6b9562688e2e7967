// Neighbour resolution requests and interface addresses for the XDP program.
//
// request_neighbour_resolution() asks the kernel to resolve (ARP / ND) a next
// hop the program could not forward to: an RTM_NEWNEIGH with NTF_USE creates
// the entry if needed and sends a solicitation, exactly as if the stack had
// a packet for it. Throws DataplaneError with the address and the kernel's
// reason.
//
// interface_addresses() lists, per ifindex of the current network namespace,
// the first IPv4 and the first global IPv6 address: the default outer source
// of ipip tunnels leaving through that interface.
#pragma once

#include <array>
#include <cstdint>
#include <map>

#include "model/address.h"
#include "xvs/abi.h"

namespace xvs {

void request_neighbour_resolution(const IpAddress& next_hop, uint32_t ifindex);

std::map<uint32_t, xvs_iface_addr> interface_addresses();

}  // namespace xvs
