#include "daemon/dataplane_factory.h"

#include "dataplane/ipvs/ipvs_dataplane.h"

namespace xvs {
namespace {

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : "; ") + i;
    return out;
}

// The XDP plane, or an exception saying why not.
DataplaneHandle open_xdp(const DataplaneRequest& request, const Model& model) {
    (void)model;
    if (request.interfaces.empty())
        throw DataplaneError("no interface= line in the configuration: XDP has nowhere to attach");
    throw DataplaneError("the XDP data plane is not part of this build yet");
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
                h = open_xdp(request, model);
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
                DataplaneHandle h = open_xdp(request, model);
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
