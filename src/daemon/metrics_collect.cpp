#include "daemon/metrics_collect.h"

#include <array>
#include <vector>

#include "common/errno_text.h"
#include "daemon/health_bridge.h"
#include "daemon/metrics_format.h"
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
    "frag_hold_too_long", "frag_expired", "pass_not_syn",  "drop_nodest",
    "drop_no_call_id",
};
static_assert(XVS_STAT_DROP_NO_CALL_ID == 28 && XVS_STAT__COUNT == 29,
              "enum xvs_stat changed: update stat_names");

// One label set per virtual and per real, built once and shared by every
// family (escaping 100,000 reals' labels nine times over was most of a scrape).
struct SeriesLabels {
    std::vector<LabelText> services;
    std::vector<std::vector<LabelText>> reals;  // [service][real]
};

SeriesLabels series_labels(const std::vector<ServiceStatus>& services) {
    SeriesLabels labels;
    labels.services.reserve(services.size());
    labels.reals.reserve(services.size());
    for (const auto& s : services) {
        labels.services.emplace_back(MetricLabels{{"service", describe_virtual(s.key)}});
        auto& reals = labels.reals.emplace_back();
        reals.reserve(s.reals.size());
        for (const auto& r : s.reals)
            reals.push_back(labels.services.back().with("real", r.key.to_string()));
    }
    return labels;
}

void write_traffic(MetricsText& out, const std::vector<ServiceStatus>& services,
                   const SeriesLabels& labels, bool reals) {
    const char* prefix = reals ? "xvs_real_" : "xvs_virtual_";
    const char* what = reals ? "real server" : "virtual service";
    auto each = [&](auto&& emit) {
        for (size_t i = 0; i < services.size(); ++i) {
            if (!reals) {
                emit(labels.services[i], services[i].counters);
                continue;
            }
            for (size_t j = 0; j < services[i].reals.size(); ++j)
                emit(labels.reals[i][j], services[i].reals[j].counters);
        }
    };
    out.family(std::string(prefix) + "connections_total", Type::counter,
               std::string("Connections scheduled to the ") + what + ".");
    each([&](const LabelText& l, const Counters& c) { out.sample_at(l, c.connections); });
    auto by_direction = [&](const char* family, const char* help, auto in, auto outward) {
        out.family(std::string(prefix) + family, Type::counter,
                   std::string(help) + what + " by direction.");
        each([&](const LabelText& l, const Counters& c) {
            out.sample_at(l.with("direction", "in"), c.*in);
            out.sample_at(l.with("direction", "out"), c.*outward);
        });
    };
    by_direction("packets_total", "Packets of the ", &Counters::packets_in, &Counters::packets_out);
    by_direction("bytes_total", "Bytes of the ", &Counters::bytes_in, &Counters::bytes_out);
}

template <typename F>
void real_gauge(MetricsText& out, const std::vector<ServiceStatus>& services,
                const SeriesLabels& labels, const char* name, const char* help, F value) {
    out.family(name, Type::gauge, help);
    for (size_t i = 0; i < services.size(); ++i)
        for (size_t j = 0; j < services[i].reals.size(); ++j)
            out.sample_at(labels.reals[i][j], uint64_t{value(services[i], services[i].reals[j])});
}

void write_xdp(MetricsText& out, const XdpFacts& xdp) {
    out.family("xvs_xdp_actions_total", Type::counter,
               "What the XDP program did with the packets it saw (enum xvs_stat).");
    for (unsigned i = 0; i < XVS_STAT__COUNT; ++i)
        out.sample({{"action", stat_names[i]}}, xdp.actions[i]);

    out.family("xvs_xdp_map_capacity", Type::gauge, "Capacity of the XDP connection tables.");
    for (const auto& t : xdp.tables) out.sample({{"map", t.name}}, uint64_t{t.capacity});
    // The fill comes from the plane's last connection census (none before the first).
    if (xdp.census_age_ns) {
        out.family("xvs_xdp_map_entries", Type::gauge,
                   "Entries in the XDP connection tables, as of the last connection census.");
        for (const auto& t : xdp.tables)
            if (t.entries) out.sample({{"map", t.name}}, *t.entries);
        out.family("xvs_xdp_map_entries_complete", Type::gauge,
                   "1 when the census walked the whole table, 0 when its walk stopped at the "
                   "table's capacity (xvs_xdp_map_entries is then approximate).");
        for (const auto& t : xdp.tables)
            if (t.entries) out.sample({{"map", t.name}}, uint64_t{t.complete ? 1u : 0u});
        out.family("xvs_xdp_census_age_seconds", Type::gauge,
                   "Seconds since the connection census behind xvs_xdp_map_entries and the "
                   "real connection gauges ended.");
        out.sample({}, double(*xdp.census_age_ns) / 1e9);
    }
    out.family("xvs_xdp_pinned_start", Type::gauge,
               "1 for how the XDP maps started: fresh (nothing pinned), reused (a previous "
               "xvsd's pinned maps), discarded (pinned maps of another ABI or size, unpinned).");
    for (PinnedStart s : {PinnedStart::fresh, PinnedStart::reused, PinnedStart::discarded})
        out.sample({{"state", to_string(s)}}, uint64_t{xdp.pinned_start == s ? 1u : 0u});
    out.family("xvs_xdp_adopted_services", Type::gauge,
               "Virtual services the XDP plane found serving in its pinned maps at start.");
    out.sample({}, uint64_t{xdp.adopted_services});
    out.family("xvs_xdp_adopted_reals", Type::gauge,
               "Real servers the XDP plane found serving in its pinned maps at start.");
    out.sample({}, uint64_t{xdp.adopted_reals});
}

// The bytes one real's nine series take, about: to grow the text once.
constexpr size_t bytes_per_real = 9 * 96;

void write_interfaces(MetricsText& out, const std::vector<InterfaceState>& interfaces) {
    if (interfaces.empty()) return;
    out.family("xvs_interface_attached", Type::gauge,
               "1 when the XDP program runs on the interface= line's device, 0 while it is missing.");
    for (const auto& i : interfaces)
        out.sample({{"interface", i.name}, {"mode", i.mode}}, uint64_t{i.attached ? 1u : 0u});
    out.family("xvs_interface_reattachments_total", Type::counter,
               "Times the XDP program was attached again to a re-created interface.");
    for (const auto& i : interfaces) out.sample({{"interface", i.name}}, i.reattachments);
}

}  // namespace

const char* xdp_stat_name(unsigned stat) {
    return stat < stat_names.size() ? stat_names[stat] : nullptr;
}

MetricsSnapshot take_metrics_snapshot(const Dataplane& plane, const HealthView& health,
                                      std::vector<InterfaceState> interfaces,
                                      std::shared_ptr<const std::vector<ServiceStatus>> status) {
    MetricsSnapshot snap;
    snap.interfaces = std::move(interfaces);
    snap.dataplane = plane.name();
    snap.services = status ? std::move(status)
                           : std::make_shared<const std::vector<ServiceStatus>>(plane.status());
    snap.health = health;
    snap.xdp = plane.xdp_facts();
    return snap;
}

std::string format_metrics(const MetricsSnapshot& snap) {
    const auto& services = *snap.services;
    size_t reals = 0;
    for (const auto& s : services) reals += s.reals.size();
    SeriesLabels labels = series_labels(services);
    MetricsText out;
    out.reserve(4096 + services.size() * 7 * 64 + reals * bytes_per_real);
    out.family("xvs_dataplane_info", Type::gauge, "The data plane serving the virtual services.");
    out.sample({{"dataplane", snap.dataplane}}, uint64_t{1});
    write_traffic(out, services, labels, false);
    write_traffic(out, services, labels, true);
    real_gauge(out, services, labels, "xvs_real_weight", "Effective weight of the real server.",
               [](const ServiceStatus&, const RealStatus& r) { return r.weight; });
    real_gauge(out, services, labels, "xvs_real_active_connections",
               "Established TCP connections to the real server.",
               [](const ServiceStatus&, const RealStatus& r) { return r.active_connections; });
    real_gauge(out, services, labels, "xvs_real_inactive_connections",
               "Other connection table entries of the real server.",
               [](const ServiceStatus&, const RealStatus& r) { return r.inactive_connections; });
    real_gauge(out, services, labels, "xvs_real_up",
               "1 unless the health checks say the real server is down.",
               [&](const ServiceStatus& s, const RealStatus& r) {
                   return snap.health.is_down(s.key, r.key) ? 0u : 1u;
               });
    if (snap.xdp) write_xdp(out, *snap.xdp);
    write_interfaces(out, snap.interfaces);
    return out.take_text();
}

std::string render_metrics(const Dataplane& plane, const HealthView& health,
                           const std::vector<InterfaceState>& interfaces) {
    return format_metrics(take_metrics_snapshot(plane, health, interfaces));
}

}  // namespace xvs
