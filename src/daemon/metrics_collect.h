// What xvsd serves on GET /metrics, in two steps so that the event loop only
// does the cheap one:
//   take_metrics_snapshot()  on the loop: the data plane's status (one the
//                            caller read already, else read now: the same
//                            read as xvsadm -L), the health view, on the XDP
//                            plane its action counters and duplicates of the
//                            connection table fds
//   format_metrics()         on any thread: counts the connection tables
//                            (through its own fds) and writes the text
// render_metrics() does both, for tests.
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
// Reading a counter or a table may throw DataplaneError; the caller answers 500.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/unique_fd.h"

#include "dataplane/dataplane.h"
#include "dataplane/interface_state.h"
#include "model/build.h"
#include "xvs/abi.h"

namespace xvs {

// Map entries counted per scrape and map at most (a scrape stays short even
// with a full 1M-entry table; the loop is not blocked for seconds).
inline constexpr size_t metrics_map_count_bound = 65536;

struct MetricsSnapshot {
    std::string dataplane;
    std::shared_ptr<const std::vector<ServiceStatus>> services;
    HealthView health;
    struct Xdp {
        std::array<uint64_t, XVS_STAT__COUNT> actions{};
        // (map name, a duplicate of its fd): the formatting thread counts the
        // tables without touching the data plane object.
        std::vector<std::pair<const char*, UniqueFd>> tables;
    };
    std::optional<Xdp> xdp;
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
