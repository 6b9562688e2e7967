// What xvsd serves on GET /metrics, in two steps so that the event loop only
// does the cheap one:
//   take_metrics_snapshot()  on the loop: the data plane's status (one the
//                            caller read already, else read now: the same
//                            read as xvsadm -L), the health view, and the
//                            plane's xdp_facts() (the XDP program's action
//                            counters, read now, and its last connection
//                            census); nothing in it walks a connection table
//   format_metrics()         on any thread: writes the text from the snapshot
// render_metrics() does both, for tests.
//
// Families (all prefixed xvs_):
//   dataplane_info{dataplane}                      1 for the plane in use
//   virtual_{connections,packets,bytes}_total      per virtual ("service" label,
//   real_{connections,packets,bytes}_total         e.g. "TCP 10.0.0.1:80"), per real
//                                                  ("real" label); packets and
//                                                  bytes carry direction="in|out"
//   real_weight, real_active_connections, real_inactive_connections
//                                                  (on XDP the connection counts
//                                                  are the last census's)
//   real_up                                        1 unless the health view says
//                                                  down (reals in the data plane)
// Whenever an XDP plane serves, alone or as dataplane=auto's fast part
// (Dataplane::xdp_facts() is set):
//   xdp_actions_total{action}                      the global counters of enum
//                                                  xvs_stat
//   xdp_map_capacity{map}                          xvs_conns, xvs_persist,
//                                                  xvs_nat_reverse
//   xdp_map_entries{map}                           their fill as the last census
//   xdp_map_entries_complete{map}                  counted it (1: it walked the
//   xdp_census_age_seconds                         whole table) and how long ago
//                                                  it ended; absent before the
//                                                  first census
//   xdp_pinned_start{state}                        1 for fresh, reused or
//                                                  discarded pinned maps at start
//   xdp_adopted_services, xdp_adopted_reals        what the pinned maps served
//                                                  at start
//   interface_attached{interface,mode}             XDP plane only: 1 when the program
//                                                  runs on the interface=, 0 while it
//                                                  is missing (mode: the last
//                                                  attachment's, else xdp-mode)
//   interface_reattachments_total{interface}       attachments after the first
// Reading a counter may throw DataplaneError; the caller answers 500.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dataplane/dataplane.h"
#include "dataplane/interface_state.h"
#include "model/build.h"
#include "xvs/abi.h"

namespace xvs {

struct MetricsSnapshot {
    std::string dataplane;
    std::shared_ptr<const std::vector<ServiceStatus>> services;
    HealthView health;
    std::optional<XdpFacts> xdp;  // the plane's xdp_facts()
    std::vector<InterfaceState> interfaces;  // the XDP plane's interface= states
};

// `status`: the plane's status read by the caller, or null to read it now.
// `interfaces`: the XDP plane's interface= states (empty without one).
MetricsSnapshot take_metrics_snapshot(const Dataplane& plane, const HealthView& health,
                                      std::vector<InterfaceState> interfaces = {},
                                      std::shared_ptr<const std::vector<ServiceStatus>> status = {});
std::string format_metrics(const MetricsSnapshot& snapshot);
std::string render_metrics(const Dataplane& plane, const HealthView& health,
                           const std::vector<InterfaceState>& interfaces = {});

// "packets", "pass", ... for enum xvs_stat values (nullptr when out of range).
const char* xdp_stat_name(unsigned stat);

}  // namespace xvs
