#include "daemon/dataplane_factory.h"

#include "dataplane/ipvs/ipvs_dataplane.h"
#include "dataplane/split/split_dataplane.h"
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
    if (request.max_reals) options.max_reals = *request.max_reals;
    options.replay_fragments = true;
    // status() and /metrics read connection counts from the census; the loop
    // never walks a connection table.
    options.count_connections = true;
    auto plane = std::make_unique<XdpDataplane>(options);
    XdpDataplane* xdp = plane.get();
    DataplaneHandle handle;
    handle.periodic = [xdp] { xdp->resolve_pending_neighbours(); };
    handle.serving_at_open = [xdp] { return xdp->serving_at_start(); };
    handle.interfaces = [xdp] { return xdp->interface_states(); };
    handle.sync_interfaces = [xdp] { return xdp->sync_interfaces(); };
    handle.interface_concerns = [xdp](const std::string& name, uint32_t ifindex) {
        return xdp->interface_concerns(name, ifindex);
    };
    handle.keep_on_exit = [xdp](bool keep) { xdp->set_keep_on_exit(keep); };
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
            DataplaneHandle xdp;
            try {
                xdp = open_xdp(request);
            } catch (const std::exception& e) {
                xdp_reason = e.what();
            }
            std::string ipvs_reason;
            DataplaneHandle ipvs;
            try {
                ipvs = open_ipvs(request);
            } catch (const std::exception& e) {
                ipvs_reason = e.what();
            }
            if (xdp.plane && ipvs.plane) {
                // Per service: XDP where it can, IPVS for the rest (XDP has
                // no entry for those VIPs and passes their packets to IPVS).
                DataplaneHandle split;
                split.periodic = std::move(xdp.periodic);
                split.serving_at_open = std::move(xdp.serving_at_open);
                split.interfaces = std::move(xdp.interfaces);
                split.sync_interfaces = std::move(xdp.sync_interfaces);
                split.interface_concerns = std::move(xdp.interface_concerns);
                split.keep_on_exit = std::move(xdp.keep_on_exit);
                split.plane = std::make_unique<SplitDataplane>(
                    std::move(xdp.plane), std::move(ipvs.plane),
                    [&log](const std::string& line) { log.info("dataplane=auto: " + line); });
                return split;
            }
            if (xdp.plane) {
                auto unsupported = xdp.plane->unsupported(model);
                if (unsupported.empty()) {
                    log.info("IPVS unavailable (" + ipvs_reason +
                             "): every service on XDP, none can fall back");
                    return xdp;
                }
                throw NoDataplane("no data plane can serve this configuration: XDP cannot serve: " +
                                  join(unsupported) + "; IPVS: " + ipvs_reason);
            }
            if (ipvs.plane) {
                log.info("XDP not used: " + xdp_reason + "; falling back to IPVS");
                return ipvs;
            }
            throw NoDataplane("no data plane available: XDP: " + xdp_reason + "; IPVS: " +
                              ipvs_reason);
        }
    }
    throw NoDataplane("unknown data plane mode");
}

}  // namespace xvs
