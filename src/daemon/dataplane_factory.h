// make_dataplane(): the one place that decides which data plane serves.
//
// xdp: the XDP plane or nothing (a service it cannot serve is fatal).
// ipvs: the kernel's IPVS over generic netlink.
// auto: both planes behind a SplitDataplane: each service on XDP when XDP can
// serve it, else on IPVS (each placement is logged). When XDP cannot load or
// attach, IPVS serves everything (the reason is logged once); when IPVS is
// missing, XDP alone if it can serve every service. When neither works,
// NoDataplane carries both reasons.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/config.h"
#include "daemon/logger.h"
#include "dataplane/dataplane.h"
#include "dataplane/interface_state.h"
#include "model/model.h"

namespace xvs {

class NoDataplane : public std::runtime_error {
   public:
    using std::runtime_error::runtime_error;
};

struct DataplaneRequest {
    DataplaneMode mode = DataplaneMode::automatic;
    std::string instance = "default";
    std::vector<std::string> interfaces;  // interface= lines (XDP attach points)
    XdpMode xdp_mode = XdpMode::automatic;
    bool keep_on_exit = false;  // cleanstop=no: leave the pinned XDP plane forwarding
    // Entries of the XDP real table (--max-reals); unset: the plane's default.
    std::optional<uint32_t> max_reals;
};

struct DataplaneHandle {
    std::unique_ptr<Dataplane> plane;
    // Run by the daemon's timer (about once a second): the plane's own
    // housekeeping, e.g. resolving neighbours XDP could not.
    std::function<void()> periodic;
    // What the plane already served when it was opened: the state a previous
    // xvsd left pinned with cleanstop=no (XDP). Meaningful only before the
    // first apply(); unset when the plane adopts nothing (IPVS). Throws
    // DataplaneError when the state cannot be read.
    std::function<std::vector<ServiceStatus>()> serving_at_open;
    // The XDP plane's interface= attachments (unset when no XDP plane serves:
    // IPVS does not attach to interfaces). `sync_interfaces` compares them
    // with the kernel's links and re-attaches where a device came back;
    // `interface_concerns` says whether a link event (name, ifindex) may
    // matter to them.
    std::function<std::vector<InterfaceState>()> interfaces;
    std::function<std::vector<InterfaceNote>()> sync_interfaces;
    std::function<bool(const std::string&, uint32_t)> interface_concerns;
    // Whether the XDP plane stays pinned and forwarding after the daemon
    // ends (unset without an XDP plane: IPVS keeps its table anyway).
    std::function<void(bool)> keep_on_exit;
};

// `model` is the first model to serve (for the unsupported() check).
DataplaneHandle make_dataplane(const DataplaneRequest& request, const Model& model, Logger& log);

}  // namespace xvs
