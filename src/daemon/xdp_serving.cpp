#include "daemon/xdp_serving.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

#include "dataplane/xdp/xdp_dataplane.h"
#include "xvs/abi.h"

namespace xvs {
namespace {

IpAddress address_of(const __u32 in[4], uint8_t family) {
    IpAddress a;
    a.family = family == XVS_FAMILY_V6 ? Family::v6 : Family::v4;
    std::memcpy(a.bytes.data(), in, 16);
    if (!a.is_v6()) std::fill(a.bytes.begin() + 4, a.bytes.end(), 0);
    return a;
}

ForwardMethod method_of(uint8_t method) {
    switch (method) {
        case XVS_FWD_MASQ: return ForwardMethod::masq;
        case XVS_FWD_IPIP: return ForwardMethod::ipip;
        default: return ForwardMethod::gate;
    }
}

// The element `id` of an array map; false when it is not there (the kernel
// answers ENOENT past max_entries).
template <typename Value>
bool read_entry(int fd, uint32_t id, Value& value, const char* map) {
    if (bpf_map_lookup_elem(fd, &id, &value) == 0) return true;
    if (errno == ENOENT) return false;
    throw DataplaneError(std::string("reading ") + map + " entry " + std::to_string(id) + ": " +
                         std::strerror(errno));
}

}  // namespace

std::vector<ServiceStatus> read_xdp_serving(const XdpDataplane& plane) {
    std::map<uint32_t, ServiceStatus> by_id;
    const int services_fd = plane.map_fd("xvs_service_info");
    for (uint32_t id = 0; id < XVS_MAX_SERVICES; ++id) {
        xvs_service info{};
        if (!read_entry(services_fd, id, info, "xvs_service_info")) break;
        if (!(info.flags & XVS_SVC_F_IN_USE)) continue;
        Family family = info.family == XVS_FAMILY_V6 ? Family::v6 : Family::v4;
        ServiceStatus s;
        s.key = info.key_proto == 0
                    ? ServiceKey::mark(info.fwmark, family)
                    : ServiceKey::tcp_udp(info.key_proto == IPPROTO_UDP ? Protocol::udp : Protocol::tcp,
                                          address_of(info.key_addr, info.family), ntohs(info.key_port));
        by_id.emplace(id, std::move(s));
    }
    if (by_id.empty()) return {};
    const int reals_fd = plane.map_fd("xvs_reals");
    for (uint32_t id = 0; id < XVS_MAX_REALS; ++id) {
        xvs_real r{};
        if (!read_entry(reals_fd, id, r, "xvs_reals")) break;
        if (!(r.flags & XVS_REAL_F_IN_USE)) continue;
        auto service = by_id.find(r.service_id);
        if (service == by_id.end()) continue;  // a leftover of a removed service
        RealStatus real;
        real.key = RealKey{address_of(r.addr, r.family), ntohs(r.port)};
        real.method = method_of(r.method);
        real.weight = r.weight;
        service->second.reals.push_back(std::move(real));
    }
    std::vector<ServiceStatus> out;
    for (auto& [id, s] : by_id) out.push_back(std::move(s));
    return out;
}

}  // namespace xvs
