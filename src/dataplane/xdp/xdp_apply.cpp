// XdpDataplane, programming: what the XDP data plane can serve, and apply(),
// which writes the differing map entries and ids all or nothing.
#include "dataplane/xdp/xdp_dataplane.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <numeric>
#include <set>

#include "common/unique_fd.h"
#include "dataplane/xdp/address_filter.h"
#include "dataplane/xdp/map_transaction.h"
#include "dataplane/xdp/sched_table.h"
#include "dataplane/xdp/sched_table_map.h"
#include "dataplane/xdp/undo_log.h"
#include "dataplane/xdp/xdp_maps_io.h"
#include "xvs_xdp.skel.h"

namespace xvs {

namespace {

uint8_t family_code(Family f) { return f == Family::v6 ? XVS_FAMILY_V6 : XVS_FAMILY_V4; }

uint8_t ip_protocol(Protocol p) { return p == Protocol::udp ? IPPROTO_UDP : IPPROTO_TCP; }

void copy_address(const IpAddress& a, __u32 out[4]) { std::memcpy(out, a.bytes.data(), 16); }

bool has_flag(const VirtualService& svc, std::string_view flag) {
    return std::find(svc.scheduler_flags.begin(), svc.scheduler_flags.end(), flag) !=
           svc.scheduler_flags.end();
}

}  // namespace

// ---- what XDP can serve -----------------------------------------------------

namespace {

// The slots of a wrr cycle (sched/wrr.h): the weights over their gcd.
uint64_t wrr_cycle_length(const VirtualService& svc) {
    uint32_t g = 0;
    for (const auto& [key, real] : svc.reals) g = std::gcd(g, real.weight);
    uint64_t slots = 0;
    if (g == 0) return slots;
    for (const auto& [key, real] : svc.reals) slots += real.weight / g;
    return slots;
}

void add_service_problems(const VirtualService& svc, std::vector<std::string>& problems) {
    // The service is named only when it has a problem: this runs for every
    // service a change lists.
    auto name = [&svc] { return svc.key.to_string(); };
    auto sched = xdp_scheduler(svc.scheduler);
    if (!sched)
        problems.push_back(name() + ": scheduler " + svc.scheduler +
                           " is not supported by the XDP data plane (" + xdp_scheduler_names() + " are)");
    else if (schedules_by_counts(*sched) && svc.reals.size() > XVS_SCHED_LIST_MAX)
        problems.push_back(name() + ": scheduler " + svc.scheduler + " on the XDP data plane takes at most " +
                           std::to_string(XVS_SCHED_LIST_MAX) + " reals (it compares every one for each new flow); " +
                           "this service has " + std::to_string(svc.reals.size()));
    for (const auto& flag : svc.scheduler_flags)
        if (const SchedulerFlag* known = find_scheduler_flag(flag); !known || !known->xdp)
            problems.push_back(name() + ": scheduler flag " + flag +
                               " is not supported by the XDP data plane");
    if (svc.key.protocol == Protocol::fwmark && svc.matches.empty())
        problems.push_back(name() + ": XDP cannot see firewall marks; add match= lines");
    for (const auto& m : svc.matches)
        if (m.address.family != svc.key.family)
            problems.push_back(name() + ": match " + m.address.to_string() +
                               " is not of the service's address family");
    bool thresholds = false;
    for (const auto& [rkey, real] : svc.reals) {
        if (rkey.address.family != svc.key.family)
            problems.push_back(name() + ": real " + rkey.to_string() +
                               " is of another address family (XDP forwards within one)");
        if (real.lower_threshold > real.upper_threshold)
            problems.push_back(name() + ": real " + rkey.to_string() + ": lower threshold " +
                               std::to_string(real.lower_threshold) + " is higher than upper threshold " +
                               std::to_string(real.upper_threshold) + " (IPVS refuses it too)");
        thresholds = thresholds || real.upper_threshold;
    }
    // rr and wrr pass over overloaded reals in their table, up to
    // XVS_SCHED_SKIP_MAX slots: with thresholds, every slot must be reachable.
    if (thresholds && (sched == XVS_SCHED_RR || sched == XVS_SCHED_WRR)) {
        uint64_t slots = 0;
        if (sched == XVS_SCHED_RR) {
            for (const auto& [rkey, real] : svc.reals) slots += real.weight > 0;
        } else {
            slots = wrr_cycle_length(svc);
        }
        if (slots > XVS_SCHED_SKIP_MAX)
            problems.push_back(name() + ": connection thresholds with scheduler " + svc.scheduler +
                               " on the XDP data plane need a table of at most " +
                               std::to_string(XVS_SCHED_SKIP_MAX) + " slots (it passes over overloaded reals " +
                               "in it); this service's has " + std::to_string(slots));
    }
    if (svc.reals.size() > XVS_SCHED_TABLE_MAX)
        problems.push_back(name() + ": too many reals for one XDP scheduling table");
    // The program reads the Call-ID of UDP services only; on TCP IPVS's
    // engine drops every new connection, and a fwmark service's datagrams
    // are not told from its segments before the engine runs.
    const std::string& engine = svc.persistence.engine;
    if (!engine.empty() && (engine != pe_sip || svc.key.protocol != Protocol::udp))
        problems.push_back(name() + ": persistence engine " + engine +
                           " is supported by the XDP data plane only on UDP services");
}

}  // namespace

std::string xdp_real_capacity_problem(size_t reals, uint32_t max_reals) {
    return "the configuration needs " + std::to_string(reals) + " reals, the XDP real table holds " +
           std::to_string(max_reals) + ": raise --max-reals";
}

std::string XdpDataplane::real_capacity_problem(size_t reals) const {
    return xdp_real_capacity_problem(reals, options_.max_reals);
}

std::vector<std::string> xdp_service_problems(const VirtualService& service) {
    std::vector<std::string> problems;
    add_service_problems(service, problems);
    return problems;
}

std::vector<std::string> XdpDataplane::service_problems(const VirtualService& service) const {
    return xdp_service_problems(service);
}

const VirtualService* XdpDataplane::programmed_service(const ServiceKey& key) const {
    auto it = programmed_.services.find(key);
    return it == programmed_.services.end() ? nullptr : &it->second;
}

std::vector<std::string> XdpDataplane::unsupported(const Model& model) const {
    std::vector<std::string> problems;
    size_t reals = 0;
    for (const auto& [key, svc] : model.services) {
        add_service_problems(svc, problems);
        reals += svc.reals.size();
    }
    if (model.services.size() > XVS_MAX_SERVICES)
        problems.push_back("more than " + std::to_string(XVS_MAX_SERVICES) +
                           " virtual services; XDP holds at most that many");
    if (reals > options_.max_reals) problems.push_back(real_capacity_problem(reals));
    return problems;
}

// ---- programming the maps ---------------------------------------------------

struct XdpDataplane::Change {
    explicit Change(int vacant_table_fd) : maps(vacant_table_fd) {}
    MapTransaction maps;
    UndoLog ids;  // the id bookkeeping and programmed_, in step with `maps`
    // Services whose lookup keys are written once their tables are in place.
    std::vector<std::pair<uint32_t, const VirtualService*>> publish;
    // Ids new to their owner, whose counters start at zero.
    std::vector<uint32_t> fresh_services, fresh_reals;
    // Reals removed by this apply (id, generation): their entries stay in use
    // until no scheduling table names them, i.e. after the tables are flushed.
    // Reusing such an id earlier would let a service's old table send new
    // flows to another service's new real.
    // `to_free`: the id goes to the free list; else it is kept for the real
    // coming back (removed_reals_).
    struct Released {
        uint32_t id, generation;
        bool to_free;
    };
    std::vector<Released> released_reals;
    // Scheduling tables rewritten in place (not map writes of `maps`).
    size_t in_place_writes = 0;
    // Reals whose overload flag IPVS's edit would clear (overload_flags.h):
    // cleared once the apply is committed.
    std::vector<uint32_t> overload_cleared;
};

uint32_t XdpDataplane::allocate_service_id(Change& c) {
    if (!free_service_ids_.empty()) {
        uint32_t id = *free_service_ids_.begin();
        c.ids.erase(free_service_ids_, id);
        return id;
    }
    if (next_service_id_ >= XVS_MAX_SERVICES)
        throw DataplaneError("out of XDP service ids (" + std::to_string(XVS_MAX_SERVICES) + ")");
    uint32_t id = next_service_id_;
    c.ids.set(next_service_id_, id + 1);
    return id;
}

uint32_t XdpDataplane::allocate_real_id(Change& c) {
    if (!free_real_ids_.empty()) {
        uint32_t id = *free_real_ids_.begin();
        c.ids.erase(free_real_ids_, id);
        return id;
    }
    if (next_real_id_ < options_.max_reals) {
        uint32_t id = next_real_id_;
        c.ids.set(next_real_id_, id + 1);
        return id;
    }
    // Full. The ids this apply removed are needed now, so the tables that
    // may name them are replaced first.
    bool frees = std::any_of(c.released_reals.begin(), c.released_reals.end(),
                             [](const Change::Released& r) { return r.to_free; });
    if (frees || (!removed_order_.empty() && !c.released_reals.empty())) {
        c.maps.flush_inner();
        release_reals(c);
        if (frees) return allocate_real_id(c);
    }
    if (!removed_order_.empty()) {
        // Still full: the real removed longest ago gives its id up; its
        // flows become stale (the next owner bumps the generation).
        auto [order, ref] = *removed_order_.begin();
        uint32_t id = removed_reals_.at(ref).id;
        c.ids.erase(removed_order_, order);
        c.ids.erase(removed_reals_, ref);
        return id;
    }
    throw DataplaneError("out of XDP real ids: the XDP real table holds " +
                         std::to_string(options_.max_reals) + " reals: raise --max-reals");
}

void XdpDataplane::zero_percpu(int map_fd, uint32_t id, size_t value_size) {
    zero_percpu(map_fd, std::vector<uint32_t>{id}, value_size);
}

void XdpDataplane::zero_percpu(int map_fd, const std::vector<uint32_t>& ids, size_t value_size) {
    zero_entries(map_fd, ids, ((value_size + 7) / 8) * 8 * possible_cpus_);
}

void XdpDataplane::zero_entries(int map_fd, const std::vector<uint32_t>& ids, size_t per_element) {
    if (ids.empty()) return;
    std::vector<uint8_t> zeros(per_element * ids.size(), 0);
    uint32_t count = static_cast<uint32_t>(ids.size());
    if (bpf_map_update_batch(map_fd, ids.data(), zeros.data(), &count, nullptr) == 0) return;
    // Kernels without batch updates for this map: one by one from where it stopped.
    for (size_t i = count; i < ids.size(); ++i)
        if (bpf_map_update_elem(map_fd, &ids[i], zeros.data(), BPF_ANY) != 0)
            throw DataplaneError("clearing entry " + std::to_string(ids[i]) + ": " +
                                 errno_text(errno));
}

void XdpDataplane::write_service_info(MapTransaction& tx, uint32_t id, const VirtualService& svc) {
    xvs_service info{};
    info.flags = XVS_SVC_F_IN_USE;
    if (svc.persistence.timeout > 0) info.flags |= XVS_SVC_F_PERSISTENT;
    if (has_flag(svc, "sh-port") || has_flag(svc, "mh-port")) info.flags |= XVS_SVC_F_HASH_PORT;
    if (has_flag(svc, "sh-fallback") || has_flag(svc, "mh-fallback")) info.flags |= XVS_SVC_F_FALLBACK;
    if (svc.one_packet) info.flags |= XVS_SVC_F_ONE_PACKET;
    if (svc.persistence.timeout > 0 && svc.persistence.engine == pe_sip) info.flags |= XVS_SVC_F_PE_SIP;
    if (svc.key.protocol == Protocol::fwmark) info.flags |= XVS_SVC_F_FWMARK;
    info.sched = static_cast<uint8_t>(xdp_scheduler(svc.scheduler).value_or(XVS_SCHED_WRR));
    info.family = family_code(svc.key.family);
    info.key_proto = svc.key.protocol == Protocol::fwmark ? 0 : ip_protocol(svc.key.protocol);
    info.persist_timeout_s = svc.persistence.timeout;
    IpAddress all_ones;
    all_ones.family = svc.key.family;
    std::fill_n(all_ones.bytes.begin(), svc.key.family == Family::v6 ? 16 : 4, 0xff);
    copy_address(all_ones.masked(svc.persistence.prefix_len), info.persist_mask);
    copy_address(svc.key.address, info.key_addr);
    info.key_port = htons(svc.key.port);
    info.fwmark = svc.key.fwmark;
    tx.update(bpf_map__fd(skel_->maps.xvs_service_info), bytes_of(id), bytes_of(info),
              "service " + svc.key.to_string());
}

namespace {

std::vector<xvs_service_key> lookup_keys(const VirtualService& svc) {
    std::vector<xvs_service_key> keys;
    auto make = [](Protocol p, const IpAddress& a, uint16_t port) {
        xvs_service_key k{};
        copy_address(a, k.addr);
        k.port = htons(port);
        k.proto = ip_protocol(p);
        k.family = family_code(a.family);
        return k;
    };
    if (svc.key.protocol == Protocol::fwmark) {
        for (const auto& m : svc.matches) keys.push_back(make(m.protocol, m.address, m.port));
    } else {
        keys.push_back(make(svc.key.protocol, svc.key.address, svc.key.port));
    }
    return keys;
}

}  // namespace

void XdpDataplane::write_service_keys(MapTransaction& tx, uint32_t id, const VirtualService& svc) {
    int fd = svc.key.protocol == Protocol::fwmark ? bpf_map__fd(skel_->maps.xvs_matches)
                                                  : bpf_map__fd(skel_->maps.xvs_services);
    for (const auto& k : lookup_keys(svc))
        tx.update(fd, bytes_of(k), bytes_of(id), "lookup key of " + svc.key.to_string());
}

void XdpDataplane::erase_service_keys(MapTransaction& tx, uint32_t id, const VirtualService& svc) {
    int fd = svc.key.protocol == Protocol::fwmark ? bpf_map__fd(skel_->maps.xvs_matches)
                                                  : bpf_map__fd(skel_->maps.xvs_services);
    for (const auto& k : lookup_keys(svc)) {
        uint32_t current = 0;
        // Another service may have taken the key over in this same apply.
        if (bpf_map_lookup_elem(fd, &k, &current) == 0 && current == id)
            tx.erase(fd, bytes_of(k), "lookup key of " + svc.key.to_string());
    }
}

void XdpDataplane::write_real(MapTransaction& tx, uint32_t id, uint32_t service_id,
                              const RealServer& real, uint32_t generation,
                              const xvs_real* old) {
    xvs_real r{};
    copy_address(real.key.address, r.addr);
    r.port = htons(real.key.port);
    r.family = family_code(real.key.address.family);
    r.method = real.method == ForwardMethod::masq   ? XVS_FWD_MASQ
               : real.method == ForwardMethod::ipip ? XVS_FWD_IPIP
                                                    : XVS_FWD_GATE;
    r.flags = XVS_REAL_F_IN_USE;
    r.weight = real.weight;
    r.service_id = service_id;
    r.generation = generation;
    r.upper_threshold = real.upper_threshold;
    r.lower_threshold = real.lower_threshold;
    if (real.method == ForwardMethod::ipip) {
        r.tun_type = static_cast<uint8_t>(real.tunnel.type);  // the same numbering as IPVS's
        r.tun_flags = real.tunnel.checksum == TunnelChecksum::csum      ? XVS_TUN_F_CSUM
                      : real.tunnel.checksum == TunnelChecksum::remcsum ? XVS_TUN_F_REMCSUM
                                                                        : 0;
        r.tun_port = htons(real.tunnel.port);
    }
    if (old)
        tx.replace(bpf_map__fd(skel_->maps.xvs_reals), bytes_of(id), bytes_of(*old), bytes_of(r),
                   "real " + real.key.to_string());
    else
        tx.update(bpf_map__fd(skel_->maps.xvs_reals), bytes_of(id), bytes_of(r),
                  "real " + real.key.to_string());
}

uint32_t XdpDataplane::add_real(Change& c, const VirtualService& svc, uint32_t service_id,
                                const RealServer& real) {
    RealRefKey ref{svc.key, real.key};
    uint32_t id;
    uint32_t generation;
    std::optional<xvs_real> old;  // the slot's value, when read here
    if (auto it = adopted_reals_.find(ref); it != adopted_reals_.end()) {
        // Pinned by a previous run: same id and generation, so its flows stay,
        // and so does its overload flag unless this is an edit that clears it.
        id = it->second;
        generation = real_generation_.at(id);
        c.ids.erase(adopted_reals_, ref);
        xvs_real pinned{};
        if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.xvs_reals), &id, &pinned) != 0)
            throw DataplaneError("reading pinned real id " + std::to_string(id) + ": " + errno_text(errno));
        if (edit_clears_overload(pinned.upper_threshold, real.upper_threshold)) c.overload_cleared.push_back(id);
    } else {
        // Back after a removal: the same id and generation, so the flows it
        // had continue and its counters go on from where they were. Else a
        // fresh id, whose previous owner's flows the bumped generation ends.
        auto kept = revive_real(c, ref, service_id);
        id = kept ? kept->first : allocate_real_id(c);
        old.emplace();
        if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.xvs_reals), &id, &*old) != 0)
            throw DataplaneError("reading real id " + std::to_string(id) + ": " + errno_text(errno));
        generation = kept ? kept->second : old->generation + 1;
        if (!kept) c.fresh_reals.push_back(id);
    }
    write_real(c.maps, id, service_id, real, generation, old ? &*old : nullptr);
    c.ids.assign(real_ids_, ref, id);
    c.ids.assign(real_generation_, id, generation);
    c.ids.assign(real_added_, ref, next_real_added_);
    c.ids.set(next_real_added_, next_real_added_ + 1);
    return id;
}

void XdpDataplane::remove_real(Change& c, const RealRefKey& ref) {
    uint32_t id = real_ids_.at(ref);
    RemovedReal kept{id, real_generation_.at(id), service_ids_.at(ref.first), next_removed_order_};
    release_id(c, id, false);
    c.ids.assign(removed_reals_, ref, kept);
    c.ids.assign(removed_order_, kept.order, ref);
    c.ids.set(next_removed_order_, next_removed_order_ + 1);
    c.ids.erase(real_ids_, ref);
    c.ids.erase(real_added_, ref);
}

std::optional<std::pair<uint32_t, uint32_t>> XdpDataplane::revive_real(Change& c, const RealRefKey& ref,
                                                                       uint32_t service_id) {
    auto it = removed_reals_.find(ref);
    if (it == removed_reals_.end()) return std::nullopt;
    RemovedReal kept = it->second;
    c.ids.erase(removed_order_, kept.order);
    c.ids.erase(removed_reals_, ref);
    // A service removed and added again has another id: its reals start
    // afresh, and the kept id is free again.
    if (kept.service_id != service_id) {
        auto pending = std::find_if(c.released_reals.begin(), c.released_reals.end(),
                                    [&](const Change::Released& r) { return r.id == kept.id; });
        if (pending != c.released_reals.end())
            pending->to_free = true;
        else
            c.ids.insert(free_real_ids_, kept.id);
        return std::nullopt;
    }
    // Removed earlier in this same apply: its slot is not cleared after all.
    std::erase_if(c.released_reals, [&](const Change::Released& r) { return r.id == kept.id; });
    return std::pair{kept.id, kept.generation};
}

void XdpDataplane::rewrite_real(Change& c, uint32_t service_id, const RealServer& before,
                                const RealServer& after, uint32_t id) {
    write_real(c.maps, id, service_id, after, real_generation_.at(id));
    // Only a real that had an upper threshold can be flagged.
    if (before.upper_threshold && edit_clears_overload(before.upper_threshold, after.upper_threshold))
        c.overload_cleared.push_back(id);
}

void XdpDataplane::free_real(Change& c, uint32_t id) { release_id(c, id, true); }

void XdpDataplane::release_id(Change& c, uint32_t id, bool to_free) {
    c.released_reals.push_back({id, real_generation_.at(id), to_free});
    c.ids.erase(real_generation_, id);
}

void XdpDataplane::release_reals(Change& c) {
    for (const auto& released : c.released_reals) {
        // Not in use, generation kept: flows of a kept id are dropped until
        // their real returns; the next owner of a freed id bumps it.
        xvs_real r{};
        r.generation = released.generation;
        c.maps.update(bpf_map__fd(skel_->maps.xvs_reals), bytes_of(released.id), bytes_of(r),
                      "real id " + std::to_string(released.id));
        if (released.to_free) c.ids.insert(free_real_ids_, released.id);
    }
    c.released_reals.clear();
}

std::vector<uint32_t> XdpDataplane::real_ids_of(const VirtualService& svc) const {
    // real_ids_ is ordered by (service, real) as svc.reals is by real: one
    // walk from the service's first id instead of a lookup per real.
    std::vector<uint32_t> ids;
    ids.reserve(svc.reals.size());
    auto id = real_ids_.lower_bound({svc.key, RealKey{}});
    for (const auto& [rkey, real] : svc.reals) {
        while (id != real_ids_.end() && id->first.first == svc.key && id->first.second < rkey) ++id;
        if (id == real_ids_.end() || id->first.first != svc.key || id->first.second != rkey)
            throw DataplaneError("no id for real " + rkey.to_string() + " of " + svc.key.to_string());
        ids.push_back(id->second);
    }
    return ids;
}

void XdpDataplane::write_sched_table(Change& c, uint32_t service_id, const VirtualService& svc,
                                     bool same_reals) {
    if (auto sched = xdp_scheduler(svc.scheduler); sched && schedules_by_counts(*sched)) {
        write_sched_list(c, service_id, svc);
        return;
    }
    auto known = sched_tables_.find(service_id);
    const bool reuse = same_reals && known != sched_tables_.end() &&
                       known->second->real_ids.size() == svc.reals.size();
    std::vector<uint32_t> ids = reuse ? known->second->real_ids : real_ids_of(svc);
    // The table schedulers' order does not depend on when reals were added.
    std::vector<uint32_t> table = build_sched_table(svc, ids, std::vector<uint64_t>(svc.reals.size(), 0));
    std::vector<uint32_t> values;
    values.reserve(table.size() + 1);
    values.push_back(static_cast<uint32_t>(table.size()));
    values.insert(values.end(), table.begin(), table.end());

    if (reuse && known->second->table.fits(values.size())) {
        std::shared_ptr<WrittenSchedTable> written = known->second;
        c.ids.on_rollback([written, old = written->table.values()] { written->table.rewrite(old); });
        written->table.rewrite(values);
        ++c.in_place_writes;
        return;
    }
    std::string what = "scheduling table of " + svc.key.to_string();
    UniqueFd inner;
    auto written = std::make_shared<WrittenSchedTable>(
        WrittenSchedTable{MappedSchedTable::create(values, what, inner), std::move(ids)});
    c.maps.stage_inner(bpf_map__fd(skel_->maps.xvs_sched_tables), service_id, std::move(inner), what);
    c.ids.assign(sched_tables_, service_id, std::move(written));
}

void XdpDataplane::write_sched_list(Change& c, uint32_t service_id, const VirtualService& svc) {
    std::vector<uint64_t> added;
    added.reserve(svc.reals.size());
    for (const auto& [rkey, real] : svc.reals) added.push_back(real_added_.at({svc.key, rkey}));
    std::vector<uint32_t> list = build_sched_table(svc, real_ids_of(svc), added);
    // add_service_problems() refuses more reals than a list holds.
    if (list.size() > XVS_SCHED_LIST_MAX)
        throw DataplaneError(svc.key.to_string() + ": " + std::to_string(list.size()) +
                             " reals for a scheduling list of " + std::to_string(XVS_SCHED_LIST_MAX));
    xvs_sched_list value{};
    value.len = static_cast<uint32_t>(list.size());
    std::copy(list.begin(), list.end(), value.real_ids);
    c.maps.update(bpf_map__fd(skel_->maps.xvs_sched_lists), bytes_of(service_id), bytes_of(value),
                  "scheduling list of " + svc.key.to_string());
    // The table of a scheduler the service had before (wrr, say) is read no more.
    if (sched_tables_.count(service_id)) clear_sched_table(c, service_id, svc.key.to_string());
}

void XdpDataplane::clear_sched_table(Change& c, uint32_t service_id, const std::string& service_name) {
    // The slot points at the one empty table rather than being deleted: a
    // deletion waits for a grace period of its own, a staged write shares one.
    UniqueFd vacant(fcntl(vacant_table_.get(), F_DUPFD_CLOEXEC, 0));
    if (!vacant)
        throw DataplaneError("duplicating the empty scheduling table: " + errno_text(errno));
    c.maps.stage_inner(bpf_map__fd(skel_->maps.xvs_sched_tables), service_id, std::move(vacant),
                       "scheduling table of " + service_name);
    c.ids.erase(sched_tables_, service_id);
}

void XdpDataplane::add_service(Change& c, const VirtualService& svc) {
    uint32_t id;
    if (auto it = adopted_services_.find(svc.key); it != adopted_services_.end()) {
        id = it->second;
        c.ids.erase(adopted_services_, svc.key);
    } else {
        id = allocate_service_id(c);
        c.fresh_services.push_back(id);
    }
    c.ids.assign(service_ids_, svc.key, id);
    write_service_info(c.maps, id, svc);
    for (const auto& [rkey, real] : svc.reals) add_real(c, svc, id, real);
    write_sched_table(c, id, svc);
    // Keys last: the service becomes visible to packets only when complete.
    c.publish.emplace_back(id, &svc);
}

void XdpDataplane::update_service(Change& c, const VirtualService& before, const VirtualService& after,
                                  const ModelDiff& part) {
    // The settings first; the reals' differences are listed in `part` too
    // (ModelDiff's invariant), so they are written as for a reals-only change.
    uint32_t id = service_ids_.at(after.key);
    if (!before.same_settings(after)) {
        write_service_info(c.maps, id, after);
        if (before.matches != after.matches) {
            VirtualService gone = before;
            gone.matches.clear();
            for (const auto& m : before.matches)
                if (std::find(after.matches.begin(), after.matches.end(), m) == after.matches.end())
                    gone.matches.push_back(m);
            erase_service_keys(c.maps, id, gone);
            write_service_keys(c.maps, id, after);
        }
    }
    const bool scheduling_changed =
        before.scheduler != after.scheduler || before.scheduler_flags != after.scheduler_flags;
    update_reals(c, after, part, scheduling_changed);
}

void XdpDataplane::update_reals(Change& c, const VirtualService& after, const ModelDiff& part,
                                bool rewrite_table) {
    // Only the reals the change lists are written (a health result's common
    // case), then the table when the scheduler, the set or a weight moved.
    uint32_t id = service_ids_.at(after.key);
    bool table_changed = rewrite_table;
    for (const auto& r : part.removed_reals) {
        remove_real(c, RealRefKey{after.key, r.real.key});
        table_changed = true;
    }
    for (const auto& r : part.added_reals) {
        add_real(c, after, id, after.reals.at(r.real.key));
        table_changed = true;
    }
    for (const auto& r : part.changed_reals) {
        rewrite_real(c, id, r.before, after.reals.at(r.after.key), real_ids_.at({after.key, r.after.key}));
        if (r.before.weight != r.after.weight) table_changed = true;
    }
    const bool same_reals = part.removed_reals.empty() && part.added_reals.empty();
    if (table_changed) write_sched_table(c, id, after, same_reals);
}

void XdpDataplane::remove_service(Change& c, const VirtualService& svc) {
    uint32_t id = service_ids_.at(svc.key);
    erase_service_keys(c.maps, id, svc);
    clear_sched_table(c, id, svc.key.to_string());
    for (const auto& [rkey, real] : svc.reals) remove_real(c, RealRefKey{svc.key, rkey});
    xvs_service none{};
    c.maps.update(bpf_map__fd(skel_->maps.xvs_service_info), bytes_of(id), bytes_of(none),
                  "service " + svc.key.to_string());
    c.ids.erase(service_ids_, svc.key);
    c.ids.insert(free_service_ids_, id);
}

void XdpDataplane::remove_adopted_leftovers(Change& c, const Model& next) {
    // Adopted entries `next` does not claim; freed before the services of
    // `next` are added, so that a table at its limit has room for them.
    std::vector<std::pair<RealRefKey, uint32_t>> reals;
    for (const auto& [ref, id] : adopted_reals_) {
        auto svc = next.services.find(ref.first);
        if (svc == next.services.end() || !svc->second.reals.count(ref.second))
            reals.emplace_back(ref, id);
    }
    for (const auto& [ref, id] : reals) {
        free_real(c, id);
        c.ids.erase(adopted_reals_, ref);
    }
    std::vector<std::pair<ServiceKey, uint32_t>> services;
    for (const auto& [key, id] : adopted_services_)
        if (!next.services.count(key)) services.emplace_back(key, id);
    for (const auto& [key, id] : services) {
        for (int fd : {bpf_map__fd(skel_->maps.xvs_services), bpf_map__fd(skel_->maps.xvs_matches)}) {
            std::vector<xvs_service_key> stale;
            for_each_entry<xvs_service_key, uint32_t>(
                fd, [&](const xvs_service_key& k, uint32_t v) {
                    if (v == id) stale.push_back(k);
                });
            for (const auto& k : stale)
                c.maps.erase(fd, bytes_of(k), "stale key of " + key.to_string());
        }
        clear_sched_table(c, id, key.to_string());
        xvs_service none{};
        c.maps.update(bpf_map__fd(skel_->maps.xvs_service_info), bytes_of(id), bytes_of(none),
                      "service " + key.to_string());
        c.ids.erase(adopted_services_, key);
        c.ids.insert(free_service_ids_, id);
    }
}

namespace {

// A change that touches a service's reals only, not its settings.
bool reals_only(const ModelDiff& part) {
    return part.added_services.empty() && part.removed_services.empty() && part.changed_services.empty();
}

// Whether two versions of a service give the same address filter entries
// (AddressFilter::entries_of()): a weight change, the common case, does.
bool same_filter_entries(const VirtualService& a, const VirtualService& b) {
    if (a.key != b.key || a.matches != b.matches || a.reals.size() != b.reals.size()) return false;
    for (auto x = a.reals.begin(), y = b.reals.begin(); x != a.reals.end(); ++x, ++y) {
        bool x_masq = x->second.method == ForwardMethod::masq, y_masq = y->second.method == ForwardMethod::masq;
        if (x_masq != y_masq || x->first.address != y->first.address) return false;
    }
    return true;
}

}  // namespace

void XdpDataplane::write_filter_words(MapTransaction& tx, const std::set<uint32_t>& words) {
    int fd = bpf_map__fd(skel_->maps.xvs_addr_filter);
    for (uint32_t index : words) {
        uint64_t want = address_filter_.word(index), have = 0;
        if (bpf_map_lookup_elem(fd, &index, &have) == 0 && have == want) continue;
        tx.update(fd, bytes_of(index), bytes_of(want), "address filter word " + std::to_string(index));
    }
}

void XdpDataplane::apply(const ModelDiff& change) {
    // Each service the change lists is moved from what this plane programmed
    // for it along its part of the change; services it does not list are not
    // looked at (time follows the change). `next` holds the listed services
    // as they are to be, and only those.
    // After adopting pinned state the maps are known only service by service:
    // the first apply (from nothing, so it lists every service to serve) also
    // removes what the previous daemon left that it does not list.
    const bool adopting = !adopted_services_.empty() || !adopted_reals_.empty();
    // `touched`: the services moved through `next`. Weights-only parts (a
    // health result's common case) are kept apart: nothing in them needs
    // judging or moves an address, and they are patched into programmed_ in
    // place when written, so no copy of the service is made.
    std::set<ServiceKey> touched, weights_only;
    Model next;
    std::map<ServiceKey, ModelDiff> parts = split_by_service(change);
    for (auto& [key, part] : parts) {
        auto before = programmed_.services.find(key);
        if (before != programmed_.services.end() && !adopting && only_weights_change(part)) {
            weights_only.insert(key);
            continue;
        }
        touched.insert(key);
        auto after = service_after(before == programmed_.services.end() ? nullptr : &before->second, part);
        if (after) next.services.emplace(key, std::move(*after));
    }
    std::vector<std::string> problems;
    size_t reals = programmed_reals_;
    size_t services = programmed_.services.size();
    for (const auto& key : touched) {
        auto after = next.services.find(key);
        auto before = programmed_.services.find(key);
        if (after != next.services.end()) {
            // A weight moves nothing add_service_problems() looks at.
            if (adopting || !only_weights_change(parts.at(key))) add_service_problems(after->second, problems);
            reals += after->second.reals.size();
            ++services;
        }
        if (before != programmed_.services.end()) {
            reals -= before->second.reals.size();
            --services;
        }
    }
    if (services > XVS_MAX_SERVICES)
        problems.push_back("more than " + std::to_string(XVS_MAX_SERVICES) +
                           " virtual services; XDP holds at most that many");
    if (reals > options_.max_reals) problems.push_back(real_capacity_problem(reals));
    if (!problems.empty()) {
        std::string msg = "the XDP data plane cannot serve this configuration:";
        for (const auto& p : problems) msg += "\n  " + p;
        throw DataplaneError(msg);
    }

    size_t writes = 0;
    try {
        // Destroyed without commit (an exception), it puts back every map
        // entry and every id it changed.
        Change c(vacant_table_.get());
        // The address filter gains the bits of what is added before the
        // entries exist and loses the bits of what goes only after they are gone.
        std::vector<AddressFilter::Entry> filter_gained, filter_lost;
        auto add_entries = [](std::vector<AddressFilter::Entry>& to, const VirtualService& svc) {
            auto e = AddressFilter::entries_of(svc);
            to.insert(to.end(), e.begin(), e.end());
        };
        for (const auto& key : touched) {
            auto before = programmed_.services.find(key);
            auto after = next.services.find(key);
            bool was = before != programmed_.services.end(), is = after != next.services.end();
            if (was && is && !adopting && reals_only(parts.at(key))) {
                // Only the reals the change lists can move the filter.
                for (const auto& r : parts.at(key).removed_reals)
                    if (r.real.method == ForwardMethod::masq) filter_lost.push_back({XVS_ADDR_FILTER_SRC, r.real.key.address});
                for (const auto& r : parts.at(key).added_reals)
                    if (r.real.method == ForwardMethod::masq) filter_gained.push_back({XVS_ADDR_FILTER_SRC, r.real.key.address});
                for (const auto& r : parts.at(key).changed_reals) {
                    bool was_masq = r.before.method == ForwardMethod::masq, is_masq = r.after.method == ForwardMethod::masq;
                    if (was_masq && !is_masq) filter_lost.push_back({XVS_ADDR_FILTER_SRC, r.before.key.address});
                    if (is_masq && !was_masq) filter_gained.push_back({XVS_ADDR_FILTER_SRC, r.after.key.address});
                }
                continue;
            }
            if (was && is && same_filter_entries(before->second, after->second)) continue;
            if (was) add_entries(filter_lost, before->second);
            if (is) add_entries(filter_gained, after->second);
        }
        auto gained_words = address_filter_.add(filter_gained);
        c.ids.on_rollback([this, filter_gained] { address_filter_.remove(filter_gained); });
        write_filter_words(c.maps, gained_words);

        if (adopting) remove_adopted_leftovers(c, next);
        // Removals first: a lookup key they free may be taken by a service
        // added in this same apply.
        for (const auto& key : touched) {
            auto before = programmed_.services.find(key);
            if (before != programmed_.services.end() && !next.services.count(key))
                remove_service(c, before->second);
        }
        for (const auto& key : weights_only) {
            const ModelDiff& part = parts.at(key);
            apply_diff(programmed_, part);
            c.ids.on_rollback([this, undo = inverse(part)] { apply_diff(programmed_, undo); });
            update_reals(c, programmed_.services.at(key), part);
        }
        for (const auto& key : touched) {
            auto after = next.services.find(key);
            if (after == next.services.end()) continue;
            auto before = programmed_.services.find(key);
            if (before == programmed_.services.end())
                add_service(c, after->second);
            else if (!adopting && reals_only(parts.at(key)))
                update_reals(c, after->second, parts.at(key));
            else if (!(before->second == after->second))
                update_service(c, before->second, after->second, parts.at(key));
        }
        zero_percpu(bpf_map__fd(skel_->maps.xvs_service_stats), c.fresh_services,
                    sizeof(xvs_counters));
        zero_percpu(bpf_map__fd(skel_->maps.xvs_rr_position), c.fresh_services, sizeof(uint32_t));
        zero_percpu(bpf_map__fd(skel_->maps.xvs_real_stats), c.fresh_reals, sizeof(xvs_counters));
        // A reused id's counts start from zero (the program no longer counts
        // entries of the id's earlier generation).
        zero_entries(bpf_map__fd(skel_->maps.xvs_real_conns), c.fresh_reals, sizeof(xvs_real_conns));
        c.maps.flush_inner();
        release_reals(c);
        for (const auto& [id, svc] : c.publish) write_service_keys(c.maps, id, *svc);

        auto lost_words = address_filter_.remove(filter_lost);
        c.ids.on_rollback([this, filter_lost] { address_filter_.add(filter_lost); });
        if (!filter_synced_) {
            // Pinned words may hold bits of what a previous daemon served.
            lost_words.clear();
            for (uint32_t i = 0; i < AddressFilter::word_count; ++i) lost_words.insert(i);
        }
        write_filter_words(c.maps, lost_words);
        c.ids.set(filter_synced_, true);

        for (const auto& key : touched) {
            auto after = next.services.find(key);
            if (after != next.services.end())
                c.ids.assign(programmed_.services, key, std::move(after->second));
            else
                c.ids.erase(programmed_.services, key);
        }
        c.ids.set(programmed_reals_, reals);
        writes = c.maps.writes() + c.in_place_writes;
        c.maps.commit();
        c.ids.commit();
        // After the commit: a refused apply leaves the flags as they were,
        // as IPVS leaves a real whose edit it refused.
        for (uint32_t id : c.overload_cleared) real_conns_->clear_overloaded(id);
    } catch (const DataplaneError&) {
        throw;
    } catch (const std::exception& e) {
        throw DataplaneError(std::string("programming the XDP maps: ") + e.what());
    }
    last_apply_writes_ = writes;
}

}  // namespace xvs
