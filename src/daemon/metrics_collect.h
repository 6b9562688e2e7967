// render_metrics(): what xvsd serves on GET /metrics, read at scrape time.
//
// Families (all prefixed xvs_):
//   dataplane_info{dataplane}                      1 for the plane in use
//   virtual_{connections,packets,bytes}_total      per virtual ("service" label,
//   real_{connections,packets,bytes}_total         e.g. "TCP 10.0.0.1:80"), per real
//                                                  ("real" label); packets and
//                                                  bytes carry direction="in|out"
//   real_weight, real_active_connections, real_inactive_connections
//   real_up                                        1 unless the health view says
//                                                  down (reals in the data plane)
//   xdp_actions_total{action}                      XDP plane only: the global
//                                                  counters of enum xvs_stat
//   xdp_map_entries{map}, xdp_map_capacity{map}    XDP plane only: LRU table fill,
//   xdp_map_entries_complete{map}                  counted up to a bound (0 when
//                                                  the count stopped at the bound)
//   interface_attached{interface,mode}             XDP plane only: 1 when the program
//                                                  runs on the interface=, 0 while it
//                                                  is missing (mode: the last
//                                                  attachment's, else xdp-mode)
//   interface_reattachments_total{interface}       attachments after the first
// Reading a counter may throw DataplaneError; the caller answers 500.
#pragma once

#include <cstddef>
#include <string>

#include "dataplane/dataplane.h"
#include "dataplane/interface_state.h"
#include "model/build.h"

namespace xvs {

// Map entries counted per scrape and map at most (a scrape stays short even
// with a full 1M-entry table; the loop is not blocked for seconds).
inline constexpr size_t metrics_map_count_bound = 65536;

// `interfaces`: the XDP plane's interface= states (empty without one).
std::string render_metrics(const Dataplane& plane, const HealthView& health,
                           const std::vector<InterfaceState>& interfaces = {});

// "packets", "pass", ... for enum xvs_stat values (nullptr when out of range).
const char* xdp_stat_name(unsigned stat);

}  // namespace xvs
