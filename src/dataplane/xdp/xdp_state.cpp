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

#include "dataplane/xdp/neighbour.h"
#include "dataplane/xdp/xdp_maps_io.h"
#include "xvs_xdp.skel.h"

namespace xvs {

namespace {

const char* conn_state_name(uint8_t state) {
    switch (state) {
        case XVS_CONN_TCP_SYN: return "SYN_RECV";
        case XVS_CONN_TCP_ESTABLISHED: return "ESTABLISHED";
        case XVS_CONN_TCP_FIN: return "FIN_WAIT";
        case XVS_CONN_TCP_CLOSE: return "CLOSE";
        case XVS_CONN_UDP: return "UDP";
        default: return "NONE";
    }
}

}  // namespace

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
            RealStatus r{rkey, real.method, real.weight, real.lower_threshold, real.upper_threshold};
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

std::vector<ConnectionEntry> XdpDataplane::connections() const {
    std::map<uint32_t, const VirtualService*> service_by_id;
    for (const auto& [key, id] : service_ids_) service_by_id[id] = &programmed_.services.at(key);
    std::map<uint32_t, RealKey> real_by_id;
    for (const auto& [ref, id] : real_ids_) real_by_id[id] = ref.second;
    auto live = [&](uint32_t id, uint32_t generation) {
        auto it = real_generation_.find(id);
        return it != real_generation_.end() && it->second == generation;
    };
    uint64_t now = monotonic_ns();
    std::vector<ConnectionEntry> out;
    for_each_entry<xvs_conn_key, xvs_conn>(
        bpf_map__fd(skel_->maps.xvs_conns), [&](const xvs_conn_key& k, const xvs_conn& c) {
            uint64_t timeout = xvs_conn_timeout_ns(c.state);
            uint64_t age = stamp_age_ns(now, c.last_seen_ns);
            if (!live(c.real_id, c.real_generation) || age > timeout) return;
            const RealKey& real = real_by_id.at(c.real_id);
            ConnectionEntry e;
            e.protocol = k.proto == IPPROTO_UDP ? Protocol::udp : Protocol::tcp;
            e.client = address_from(k.src, k.family);
            e.client_port = ntohs(k.sport);
            e.virtual_address = address_from(k.dst, k.family);
            e.virtual_port = ntohs(k.dport);
            e.real = real.address;
            e.real_port = real.port ? real.port : e.virtual_port;
            e.state = conn_state_name(c.state);
            e.expires_in_seconds = static_cast<uint32_t>((timeout - age) / XVS_NS_PER_SEC);
            out.push_back(std::move(e));
        });
    for_each_entry<xvs_persist_key, xvs_persist>(
        bpf_map__fd(skel_->maps.xvs_persist), [&](const xvs_persist_key& k, const xvs_persist& t) {
            auto svc = service_by_id.find(k.service_id);
            if (svc == service_by_id.end() || !live(t.real_id, t.real_generation)) return;
            uint64_t timeout = uint64_t(svc->second->persistence.timeout) * XVS_NS_PER_SEC;
            uint64_t age = stamp_age_ns(now, t.last_seen_ns);
            if (age > timeout) return;
            const ServiceKey& skey = svc->second->key;
            const RealKey& real = real_by_id.at(t.real_id);
            ConnectionEntry e;
            e.protocol = skey.protocol == Protocol::udp ? Protocol::udp : Protocol::tcp;
            e.client = address_from(k.client, k.family);
            e.virtual_address = skey.address;
            e.virtual_port = skey.port;
            e.real = real.address;
            e.real_port = real.port;
            e.state = "NONE";
            e.expires_in_seconds = static_cast<uint32_t>((timeout - age) / XVS_NS_PER_SEC);
            e.is_template = true;
            out.push_back(std::move(e));
        });
    return out;
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
