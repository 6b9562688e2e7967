#include "daemon/metrics_collect.h"

#include <bpf/bpf.h>

#include <array>
#include <cstring>
#include <vector>

#include "daemon/health_bridge.h"
#include "daemon/metrics_format.h"
#include "dataplane/xdp/xdp_dataplane.h"
#include "xvs/abi.h"

namespace xvs {
namespace {

using Type = MetricsText::Type;

constexpr std::array<const char*, XVS_STAT__COUNT> stat_names = {
    "packets",          "pass",          "malformed",       "tx",
    "redirect",         "new_conn",      "persist_hit",     "nat_reply",
    "drop_no_real",     "drop_no_neigh", "drop_no_route",   "drop_fwd_disabled",
    "drop_frag_needed", "drop_no_tunnel_src", "drop_error", "frag_pass",
    "icmp_forwarded",   "pass_other_host", "pass_vlan",     "drop_martian",
    "drop_bad_csum",    "drop_ttl",      "frag_held",       "frag_hold_full",
    "frag_hold_too_long", "frag_expired",
};
static_assert(XVS_STAT_FRAG_EXPIRED == 25 && XVS_STAT__COUNT == 26,
              "enum xvs_stat changed: update stat_names");

struct MapFill {
    uint64_t entries = 0;
    uint32_t capacity = 0;
    bool complete = true;
};

MapFill count_map(int fd) {
    MapFill fill;
    bpf_map_info info{};
    uint32_t len = sizeof info;
    if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0)
        throw DataplaneError(std::string("reading map info: ") + std::strerror(errno));
    fill.capacity = info.max_entries;
    std::vector<uint8_t> key(info.key_size), next(info.key_size);
    const void* prev = nullptr;
    while (bpf_map_get_next_key(fd, prev, next.data()) == 0) {
        if (fill.entries == metrics_map_count_bound) {
            fill.complete = false;
            break;
        }
        ++fill.entries;
        key.swap(next);
        prev = key.data();
    }
    return fill;
}

MetricLabels service_labels(const ServiceStatus& s) {
    return {{"service", describe_virtual(s.key)}};
}

MetricLabels real_labels(const ServiceStatus& s, const RealStatus& r) {
    return {{"service", describe_virtual(s.key)}, {"real", r.key.to_string()}};
}

MetricLabels with(MetricLabels labels, const char* name, const char* value) {
    labels.emplace_back(name, value);
    return labels;
}

void write_traffic(MetricsText& out, const std::vector<ServiceStatus>& services, bool reals) {
    const char* prefix = reals ? "xvs_real_" : "xvs_virtual_";
    const char* what = reals ? "real server" : "virtual service";
    auto each = [&](auto&& emit) {
        for (const auto& s : services) {
            if (!reals) {
                emit(service_labels(s), s.counters);
                continue;
            }
            for (const auto& r : s.reals) emit(real_labels(s, r), r.counters);
        }
    };
    out.family(std::string(prefix) + "connections_total", Type::counter,
               std::string("Connections scheduled to the ") + what + ".");
    each([&](const MetricLabels& l, const Counters& c) { out.sample(l, c.connections); });
    out.family(std::string(prefix) + "packets_total", Type::counter,
               std::string("Packets of the ") + what + " by direction.");
    each([&](const MetricLabels& l, const Counters& c) {
        out.sample(with(l, "direction", "in"), c.packets_in);
        out.sample(with(l, "direction", "out"), c.packets_out);
    });
    out.family(std::string(prefix) + "bytes_total", Type::counter,
               std::string("Bytes of the ") + what + " by direction.");
    each([&](const MetricLabels& l, const Counters& c) {
        out.sample(with(l, "direction", "in"), c.bytes_in);
        out.sample(with(l, "direction", "out"), c.bytes_out);
    });
}

template <typename F>
void real_gauge(MetricsText& out, const std::vector<ServiceStatus>& services, const char* name,
                const char* help, F value) {
    out.family(name, Type::gauge, help);
    for (const auto& s : services)
        for (const auto& r : s.reals) out.sample(real_labels(s, r), uint64_t{value(s, r)});
}

void write_xdp(MetricsText& out, const XdpDataplane& xdp) {
    auto counters = xdp.global_counters();
    out.family("xvs_xdp_actions_total", Type::counter,
               "What the XDP program did with the packets it saw (enum xvs_stat).");
    for (unsigned i = 0; i < XVS_STAT__COUNT; ++i)
        out.sample({{"action", stat_names[i]}}, counters[i]);

    const char* maps[] = {"xvs_conns", "xvs_persist", "xvs_nat_reverse"};
    std::vector<std::pair<const char*, MapFill>> fills;
    for (const char* m : maps) fills.emplace_back(m, count_map(xdp.map_fd(m)));
    out.family("xvs_xdp_map_entries", Type::gauge,
               "Entries in the XDP connection tables (counted at scrape time, bounded).");
    for (const auto& [m, f] : fills) out.sample({{"map", m}}, f.entries);
    out.family("xvs_xdp_map_capacity", Type::gauge, "Capacity of the XDP connection tables.");
    for (const auto& [m, f] : fills) out.sample({{"map", m}}, uint64_t{f.capacity});
    out.family("xvs_xdp_map_entries_complete", Type::gauge,
               "1 when xvs_xdp_map_entries is the full count, 0 when counting stopped at the bound.");
    for (const auto& [m, f] : fills) out.sample({{"map", m}}, uint64_t{f.complete ? 1u : 0u});
}

}  // namespace

const char* xdp_stat_name(unsigned stat) {
    return stat < stat_names.size() ? stat_names[stat] : nullptr;
}

std::string render_metrics(const Dataplane& plane, const HealthView& health) {
    MetricsText out;
    std::vector<ServiceStatus> services = plane.status();
    out.family("xvs_dataplane_info", Type::gauge, "The data plane serving the virtual services.");
    out.sample({{"dataplane", plane.name()}}, uint64_t{1});
    write_traffic(out, services, false);
    write_traffic(out, services, true);
    real_gauge(out, services, "xvs_real_weight", "Effective weight of the real server.",
               [](const ServiceStatus&, const RealStatus& r) { return r.weight; });
    real_gauge(out, services, "xvs_real_active_connections",
               "Established TCP connections to the real server.",
               [](const ServiceStatus&, const RealStatus& r) { return r.active_connections; });
    real_gauge(out, services, "xvs_real_inactive_connections",
               "Other connection table entries of the real server.",
               [](const ServiceStatus&, const RealStatus& r) { return r.inactive_connections; });
    real_gauge(out, services, "xvs_real_up",
               "1 unless the health checks say the real server is down.",
               [&](const ServiceStatus& s, const RealStatus& r) {
                   return health.is_down(s.key, r.key) ? 0u : 1u;
               });
    if (const auto* xdp = dynamic_cast<const XdpDataplane*>(&plane)) write_xdp(out, *xdp);
    return out.text();
}

}  // namespace xvs
