// xvsadm --status: xvs's own report (ipvsadm has no such command) of what
// the data plane stands on, as pure functions from the daemon's reply.
//
// format_dataplane_status(): the plane, one line per interface= (state,
// mode, ifindex, re-attachments, and why it is missing), one per service
// with the plane serving it. missing_interfaces(): one line per interface=
// whose device lacks the program ("interface d1 is missing: ..."), empty
// when every one is attached or no XDP plane serves (IPVS needs none).
#pragma once

#include <string>
#include <vector>

#include "control/protocol.h"

namespace xvs::cli {

std::string format_dataplane_status(const control::Reply& reply);
std::vector<std::string> missing_interfaces(const std::vector<InterfaceState>& interfaces);

// Exit code of xvsadm --status when an interface= is missing.
inline constexpr int exit_interface_missing = 3;

}  // namespace xvs::cli
