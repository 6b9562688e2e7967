// read_xdp_serving(): the services and reals an XDP plane serves from its
// maps, read right after the plane was opened and before its first apply().
//
// Contract:
//  - At that moment the maps hold what a previous xvsd left pinned with
//    cleanstop=no (XdpDataplane reuses pinned maps of its ABI version), or
//    nothing when the maps were created fresh. Called later, the result is
//    what the plane programmed itself.
//  - One ServiceStatus per service in use (key only), with one RealStatus
//    per real in use (key, method and weight; no counters).
//  - Throws DataplaneError when a map cannot be read.
#pragma once

#include <vector>

#include "dataplane/dataplane.h"

namespace xvs {

class XdpDataplane;

std::vector<ServiceStatus> read_xdp_serving(const XdpDataplane& plane);

}  // namespace xvs
