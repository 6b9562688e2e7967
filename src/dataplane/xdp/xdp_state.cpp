// XdpDataplane, reading state: counters, status, connections and templates
// from the maps, zeroing counters, and resolving the neighbours XDP waits on.
#include "dataplane/xdp/xdp_dataplane.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <map>

#include "dataplane/xdp/connection_cursor.h"
#include "dataplane/xdp/neighbour.h"
#include "dataplane/xdp/xdp_maps_io.h"
#include "xvs_xdp.skel.h"

namespace xvs {


// ---- reading state ----------------------------------------------------------

std::vector<uint8_t> XdpDataplane::read_percpu(int map_fd, uint32_t id, size_t value_size) const {
    size_t stride = ((value_size + 7) / 8) * 8;
    std::vector<uint8_t> values(stride * possible_cpus_);
    if (bpf_map_lookup_elem(map_fd, &id, values.data()) != 0)
        throw DataplaneError("reading per-CPU entry " + std::to_string(id) + ": " +
                             errno_text(errno));
    return values;
}

Counters XdpDataplane::sum_counters(int map_fd, uint32_t id) const {
    auto raw = read_percpu(map_fd, id, sizeof(xvs_counters));
    Counters sum;
    for (int cpu = 0; cpu < possible_cpus_; ++cpu) {
        xvs_counters c{};
        std::memcpy(&c, raw.data() + cpu * sizeof(xvs_counters), sizeof c);
        sum.connections += c.connections;
        sum.packets_in += c.packets_in;
        sum.bytes_in += c.bytes_in;
        sum.packets_out += c.packets_out;
        sum.bytes_out += c.bytes_out;
    }
    return sum;
}

std::array<uint64_t, XVS_STAT__COUNT> XdpDataplane::global_counters() const {
    std::array<uint64_t, XVS_STAT__COUNT> out{};
    int fd = bpf_map__fd(skel_->maps.xvs_stats);
    for (uint32_t i = 0; i < XVS_STAT__COUNT; ++i) {
        auto raw = read_percpu(fd, i, sizeof(uint64_t));
        for (int cpu = 0; cpu < possible_cpus_; ++cpu) {
            uint64_t v;
            std::memcpy(&v, raw.data() + cpu * 8, 8);
            out[i] += v;
        }
    }
    return out;
}

// O(services + reals): two per-CPU counter reads per service or real, and
// the program's connection counts of each real from mapped memory.
std::vector<ServiceStatus> XdpDataplane::status() const {
    std::vector<ServiceStatus> out;
    int svc_stats = bpf_map__fd(skel_->maps.xvs_service_stats);
    int real_stats = bpf_map__fd(skel_->maps.xvs_real_stats);
    // A count is briefly negative when the program counts an end before the
    // sweeper's correction of the same entry lands.
    auto shown = [](__s64 n) { return static_cast<uint32_t>(std::clamp<__s64>(n, 0, UINT32_MAX)); };
    for (const auto& [key, svc] : programmed_.services) {
        ServiceStatus s{key, svc.scheduler, svc.scheduler_flags, svc.persistence, svc.one_packet,
                        sum_counters(svc_stats, service_ids_.at(key)), {}};
        for (const auto& [rkey, real] : svc.reals) {
            uint32_t rid = real_ids_.at({key, rkey});
            RealStatus r{rkey, real.method, real.weight, real.lower_threshold, real.upper_threshold,
                         real.tunnel};
            // The program counts only entries of the id's present real: a
            // reused id's counts start from zero (zero_entries()).
            const xvs_real_conns counts = real_conns_->read(rid);
            r.active_connections = shown(counts.active);
            r.inactive_connections = shown(counts.inactive);
            r.persistent_connections = shown(counts.persist);
            r.counters = sum_counters(real_stats, rid);
            s.reals.push_back(std::move(r));
        }
        out.push_back(std::move(s));
    }
    return out;
}

std::optional<XdpFacts> XdpDataplane::xdp_facts() const {
    XdpFacts facts;
    facts.actions = global_counters();
    if (auto census = census_->latest()) {
        facts.tables = census->tables;
        uint64_t now = monotonic_ns();
        facts.census_age_ns = now > census->finished_ns ? now - census->finished_ns : 0;
    } else {
        facts.tables = census_->uncounted();
    }
    facts.pinned_start = pinned_start_;
    facts.adopted_services = serving_at_start_.size();
    for (const auto& s : serving_at_start_) facts.adopted_reals += s.reals.size();
    return facts;
}

std::unique_ptr<ConnectionCursor> XdpDataplane::connection_cursor() const {
    XdpConnectionCursor::Names names;
    for (const auto& [key, id] : service_ids_)
        names.services[id] = {key, uint64_t(programmed_.services.at(key).persistence.timeout) * XVS_NS_PER_SEC};
    for (const auto& [ref, id] : real_ids_)
        if (auto generation = real_generation_.find(id); generation != real_generation_.end())
            names.reals[id] = {ref.second, generation->second};
    uint32_t zero = 0;
    if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.xvs_config), &zero, &names.config) != 0) names.config = {};
    return std::make_unique<XdpConnectionCursor>(bpf_map__fd(skel_->maps.xvs_conns),
                                                 bpf_map__fd(skel_->maps.xvs_persist), std::move(names));
}

void XdpDataplane::zero_counters() {
    for (const auto& [key, id] : service_ids_)
        zero_percpu(bpf_map__fd(skel_->maps.xvs_service_stats), id, sizeof(xvs_counters));
    for (const auto& [ref, id] : real_ids_)
        zero_percpu(bpf_map__fd(skel_->maps.xvs_real_stats), id, sizeof(xvs_counters));
    for (uint32_t i = 0; i < XVS_STAT__COUNT; ++i)
        zero_percpu(bpf_map__fd(skel_->maps.xvs_stats), i, sizeof(uint64_t));
}

size_t XdpDataplane::resolve_pending_neighbours() {
    refresh_interface_addresses();
    int fd = bpf_map__fd(skel_->maps.xvs_pending_neigh);
    std::vector<xvs_neigh_key> pending;
    for_each_entry<xvs_neigh_key, uint64_t>(
        fd, [&](const xvs_neigh_key& k, uint64_t) { pending.push_back(k); });
    std::string failures;
    for (const auto& k : pending) {
        // Removed first: if the packet that queued it comes again before the
        // neighbour is resolved, the program queues it again.
        bpf_map_delete_elem(fd, &k);
        try {
            request_neighbour_resolution(address_from(k.addr, k.family), k.ifindex);
        } catch (const DataplaneError& e) {
            failures += std::string(failures.empty() ? "" : "; ") + e.what();
        }
    }
    if (!failures.empty()) throw DataplaneError(failures);
    return pending.size();
}

void XdpDataplane::zero_service_counters(const ServiceKey& service) {
    auto id = service_ids_.find(service);
    if (id == service_ids_.end()) throw DataplaneError(service.to_string() + ": No such service");
    zero_percpu(bpf_map__fd(skel_->maps.xvs_service_stats), id->second, sizeof(xvs_counters));
    for (const auto& [ref, real_id] : real_ids_)
        if (ref.first == service)
            zero_percpu(bpf_map__fd(skel_->maps.xvs_real_stats), real_id, sizeof(xvs_counters));
}

}  // namespace xvs
