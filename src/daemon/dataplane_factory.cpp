#include "daemon/dataplane_factory.h"

#include "dataplane/ipvs/ipvs_dataplane.h"
#include "dataplane/xdp/xdp_dataplane.h"

namespace xvs {
namespace {

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : "; ") + i;
    return out;
}

// The XDP plane, or an exception saying why not.
DataplaneHandle open_xdp(const DataplaneRequest& request) {
    if (request.interfaces.empty())
        throw DataplaneError("no interface= line in the configuration: XDP has nowhere to attach");
    XdpOptions options;
    options.instance = request.instance;
    options.interfaces = request.interfaces;
    switch (request.xdp_mode) {
        case XdpMode::native: options.mode = XdpOptions::Mode::native; break;
        case XdpMode::generic: options.mode = XdpOptions::Mode::generic; break;
        case XdpMode::automatic: options.mode = XdpOptions::Mode::automatic; break;
    }
    options.keep_on_exit = request.keep_on_exit;
    auto plane = std::make_unique<XdpDataplane>(options);
    XdpDataplane* xdp = plane.get();
    DataplaneHandle handle;
    handle.periodic = [xdp] { xdp->resolve_pending_neighbours(); };
    handle.plane = std::move(plane);
    return handle;
}

DataplaneHandle open_ipvs(const DataplaneRequest& request) {
    DataplaneHandle handle;
    handle.plane = IpvsDataplane::open(request.instance);
    return handle;
}

}  // namespace

DataplaneHandle make_dataplane(const DataplaneRequest& request, const Model& model, Logger& log) {
    switch (request.mode) {
        case DataplaneMode::xdp: {
            DataplaneHandle h;
            try {
                h = open_xdp(request);
            } catch (const std::exception& e) {
                throw NoDataplane(std::string("XDP data plane: ") + e.what());
            }
            auto unsupported = h.plane->unsupported(model);
            if (!unsupported.empty())
                throw NoDataplane("XDP cannot serve: " + join(unsupported) +
                                  " (use dataplane=auto or ipvs)");
            return h;
        }
        case DataplaneMode::ipvs:
            try {
                return open_ipvs(request);
            } catch (const std::exception& e) {
                throw NoDataplane(std::string("IPVS data plane: ") + e.what());
            }
        case DataplaneMode::automatic: {
            std::string xdp_reason;
            try {
                DataplaneHandle h = open_xdp(request);
                auto unsupported = h.plane->unsupported(model);
                if (unsupported.empty()) return h;
                xdp_reason = "XDP cannot serve: " + join(unsupported);
            } catch (const std::exception& e) {
                xdp_reason = e.what();
            }
            log.info("XDP not used: " + xdp_reason + "; falling back to IPVS");
            try {
                return open_ipvs(request);
            } catch (const std::exception& e) {
                throw NoDataplane("no data plane available: XDP: " + xdp_reason +
                                  "; IPVS: " + e.what());
            }
        }
    }
    throw NoDataplane("unknown data plane mode");
}

}  // namespace xvs
