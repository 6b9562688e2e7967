// XdpDataplane, loading: the program and its pinned maps (carried over or
// started clean), its clock and addresses, adopted ids, and the attachments.
#include "dataplane/xdp/xdp_dataplane.h"
#include "dataplane/xdp/sched_table_map.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <ctime>
#include <iostream>
#include <mutex>
#include <set>

#include "common/unique_fd.h"
#include "dataplane/xdp/interface_mac.h"
#include "dataplane/xdp/neighbour.h"
#include "dataplane/xdp/xdp_maps_io.h"
#include "xvs_xdp.skel.h"

namespace xvs {

namespace {

ForwardMethod forward_method_from(uint8_t method) {
    switch (method) {
        case XVS_FWD_MASQ: return ForwardMethod::masq;
        case XVS_FWD_IPIP: return ForwardMethod::ipip;
        default: return ForwardMethod::gate;
    }
}

Tunnel tunnel_from(const xvs_real& r) {
    Tunnel t;
    if (r.method != XVS_FWD_IPIP) return t;
    t.type = r.tun_type == XVS_TUN_GUE ? TunnelType::gue
             : r.tun_type == XVS_TUN_GRE ? TunnelType::gre
                                         : TunnelType::ipip;
    t.port = ntohs(r.tun_port);
    t.checksum = (r.tun_flags & XVS_TUN_F_REMCSUM) ? TunnelChecksum::remcsum
                 : (r.tun_flags & XVS_TUN_F_CSUM)  ? TunnelChecksum::csum
                                                   : TunnelChecksum::none;
    return t;
}

constexpr const char* program_name = "xvs_xdp_main";

// Walks entries 0..size-1 of an array map, calling fn(index, value); batch
// reads where the kernel has them (a restart reads the whole real table).
template <typename Value, typename Fn>
void for_each_array_entry(int map_fd, uint32_t size, Fn&& fn) {
    constexpr uint32_t chunk = 4096;
    std::vector<uint32_t> keys(chunk);
    std::vector<Value> values(chunk);
    uint32_t cursor = 0;
    bool first = true;
    uint32_t done = 0;
    while (done < size) {
        uint32_t count = chunk;
        int rc = bpf_map_lookup_batch(map_fd, first ? nullptr : &cursor, &cursor, keys.data(),
                                      values.data(), &count, nullptr);
        if (rc != 0 && errno != ENOENT) {
            if (!first) throw DataplaneError("reading a BPF array: " + errno_text(errno));
            // No batch reads for this map: one by one.
            Value v{};
            for (uint32_t id = 0; id < size; ++id)
                if (bpf_map_lookup_elem(map_fd, &id, &v) == 0) fn(id, v);
            return;
        }
        for (uint32_t i = 0; i < count; ++i) fn(keys[i], values[i]);
        done += count;
        if (rc != 0 || count == 0) return;  // ENOENT: the end of the array
        first = false;
    }
}

// libbpf prints the verifier log through its print callback; while loading we
// keep it so a rejection can be reported with its reason.
std::mutex g_log_mutex;
std::string* g_captured_log = nullptr;

int capture_libbpf_print(enum libbpf_print_level level, const char* fmt, va_list args) {
    if (level == LIBBPF_DEBUG || !g_captured_log) return 0;
    // The verifier log arrives as one message of up to megabytes.
    va_list again;
    va_copy(again, args);
    int n = vsnprintf(nullptr, 0, fmt, args);
    if (n > 0) {
        std::string text(size_t(n) + 1, '\0');
        vsnprintf(text.data(), text.size(), fmt, again);
        text.resize(size_t(n));
        g_captured_log->append(text);
    }
    va_end(again);
    return 0;
}

std::string log_tail(const std::string& log, size_t lines) {
    size_t pos = log.size();
    for (size_t i = 0; i <= lines && pos > 0; ++i) {
        pos = log.rfind('\n', pos - 1);
        if (pos == std::string::npos) return log;
    }
    return log.substr(pos + 1);
}

}  // namespace

void XdpDataplane::load_and_pin() {
    skel_.reset(xvs_xdp__open());
    if (!skel_) throw DataplaneError("opening the XDP program: " + errno_text(errno));
    bpf_map__set_max_entries(skel_->maps.xvs_conns, options_.connection_table_size);
    bpf_map__set_max_entries(skel_->maps.xvs_nat_reverse, options_.connection_table_size);
    bpf_map__set_max_entries(skel_->maps.xvs_persist, options_.persistence_table_size);
    bpf_map__set_max_entries(skel_->maps.xvs_reals, options_.max_reals);
    bpf_map__set_max_entries(skel_->maps.xvs_real_stats, options_.max_reals);
    bpf_map__set_max_entries(skel_->maps.xvs_real_conns, options_.max_reals);

    // Reuse pinned maps only if every one of them matches this program's
    // layout and ABI version; otherwise start clean (established flows of
    // an incompatible older version cannot be read anyway). The real tables
    // may differ in size only (max reals changed): they are carried over below.
    bool compatible = true;
    bool any_pinned = false;
    bool reals_resized = false;
    bpf_map* map;
    bpf_object__for_each_map(map, skel_->obj) {
        if (!map_is_pinnable(map)) continue;
        std::string path = pin_dir_ + "/" + bpf_map__name(map);
        if (access(path.c_str(), F_OK) != 0) continue;
        any_pinned = true;
        UniqueFd fd(bpf_obj_get(path.c_str()));
        bpf_map_info info{};
        uint32_t len = sizeof info;
        if (!fd || bpf_obj_get_info_by_fd(fd.get(), &info, &len) != 0 ||
            info.type != bpf_map__type(map) || info.key_size != bpf_map__key_size(map) ||
            info.value_size != bpf_map__value_size(map) ||
            info.map_flags != bpf_map__map_flags(map)) {
            compatible = false;
            continue;
        }
        if (info.max_entries != bpf_map__max_entries(map)) {
            if (map == skel_->maps.xvs_reals || map == skel_->maps.xvs_real_stats ||
                map == skel_->maps.xvs_real_conns)
                reals_resized = true;
            else
                compatible = false;
        }
        if (map == skel_->maps.xvs_config) {
            uint32_t zero = 0;
            xvs_config cfg{};
            if (bpf_map_lookup_elem(fd.get(), &zero, &cfg) != 0 ||
                cfg.abi_version != XVS_ABI_VERSION)
                compatible = false;
        }
    }
    PinnedReals carried;
    if (any_pinned && compatible && reals_resized) {
        carried = take_pinned_reals();
        if (!carried.fits) compatible = false;
    }
    pinned_start_ = !any_pinned ? PinnedStart::fresh
                    : compatible ? PinnedStart::reused
                                 : PinnedStart::discarded;
    if (any_pinned && !compatible) {
        std::cerr << "xvs: pinned maps in " << pin_dir_
                  << " belong to another ABI version or size; starting with empty tables\n";
        bpf_object__for_each_map(map, skel_->obj) {
            if (!map_is_pinnable(map)) continue;
            ::unlink((pin_dir_ + "/" + bpf_map__name(map)).c_str());
        }
        carried = {};
    }
    bpf_object__for_each_map(map, skel_->obj) {
        if (!map_is_pinnable(map)) continue;
        std::string path = pin_dir_ + "/" + bpf_map__name(map);
        if (int err = bpf_map__set_pin_path(map, path.c_str()); err != 0)
            throw DataplaneError("setting pin path " + path + ": " + errno_text(err));
    }

    std::string log;
    int err;
    {
        std::lock_guard lock(g_log_mutex);
        g_captured_log = &log;
        libbpf_print_fn_t previous = libbpf_set_print(capture_libbpf_print);
        err = xvs_xdp__load(skel_.get());
        libbpf_set_print(previous);
        g_captured_log = nullptr;
    }
    if (err != 0) {
        std::string msg = "loading the XDP program: " + errno_text(err);
        if (!log.empty()) msg += "\n" + log_tail(log, 25);
        throw DataplaneError(msg);
    }
    if (carried.fits) restore_pinned_reals(carried);

    // Length 0 in slot 0: the program finds no real in it.
    vacant_table_ = make_sched_table_map({0}, "the empty scheduling table");
}

XdpDataplane::PinnedReals XdpDataplane::take_pinned_reals() {
    PinnedReals carried;
    std::string reals_path = pin_dir_ + "/xvs_reals";
    std::string stats_path = pin_dir_ + "/xvs_real_stats";
    std::string conns_path = pin_dir_ + "/xvs_real_conns";
    UniqueFd reals(bpf_obj_get(reals_path.c_str()));
    UniqueFd stats(bpf_obj_get(stats_path.c_str()));
    UniqueFd conns(bpf_obj_get(conns_path.c_str()));
    if (!reals || !stats) return carried;
    bpf_map_info info{};
    uint32_t len = sizeof info;
    if (bpf_obj_get_info_by_fd(reals.get(), &info, &len) != 0) return carried;
    uint32_t highest_in_use = 0;
    bool any_in_use = false;
    for_each_array_entry<xvs_real>(reals.get(), info.max_entries,
                                   [&](uint32_t id, const xvs_real& r) {
                                       // Freed ids keep their generation: carried too.
                                       if (r.generation == 0 && !(r.flags & XVS_REAL_F_IN_USE))
                                           return;
                                       if (r.flags & XVS_REAL_F_IN_USE) {
                                           highest_in_use = std::max(highest_in_use, id);
                                           any_in_use = true;
                                       }
                                       carried.reals.emplace_back(id, r);
                                   });
    if (any_in_use && highest_in_use >= options_.max_reals) {
        std::cerr << "xvs: pinned reals in " << pin_dir_ << " use ids up to " << highest_in_use
                  << ", more than max reals " << options_.max_reals << " allows\n";
        return carried;  // not fitting: the caller starts clean
    }
    std::erase_if(carried.reals, [&](const auto& e) { return e.first >= options_.max_reals; });
    size_t stride = sizeof(xvs_counters) * possible_cpus_;
    for (const auto& [id, r] : carried.reals) {
        if (!(r.flags & XVS_REAL_F_IN_USE)) continue;
        std::vector<uint8_t> values(stride);
        if (bpf_map_lookup_elem(stats.get(), &id, values.data()) == 0)
            carried.stats.emplace_back(id, std::move(values));
        xvs_real_conns counts{};
        if (conns && bpf_map_lookup_elem(conns.get(), &id, &counts) == 0) carried.conns.emplace_back(id, counts);
    }
    // The program cannot reuse maps of another size: these three are made anew.
    ::unlink(reals_path.c_str());
    ::unlink(stats_path.c_str());
    ::unlink(conns_path.c_str());
    std::cerr << "xvs: pinned real tables in " << pin_dir_ << " held " << info.max_entries
              << " entries, max reals is " << options_.max_reals << ": carrying "
              << carried.reals.size() << " entries over into tables of the new size\n";
    carried.fits = true;
    return carried;
}

void XdpDataplane::restore_pinned_reals(const PinnedReals& carried) {
    int reals = bpf_map__fd(skel_->maps.xvs_reals);
    int stats = bpf_map__fd(skel_->maps.xvs_real_stats);
    for (const auto& [id, r] : carried.reals)
        if (bpf_map_update_elem(reals, &id, &r, BPF_ANY) != 0)
            throw DataplaneError("carrying real " + std::to_string(id) +
                                 " into the resized xvs_reals: " + errno_text(errno));
    for (const auto& [id, values] : carried.stats)
        if (bpf_map_update_elem(stats, &id, values.data(), BPF_ANY) != 0)
            throw DataplaneError("carrying the counters of real " + std::to_string(id) +
                                 " into the resized xvs_real_stats: " + errno_text(errno));
    int conns = bpf_map__fd(skel_->maps.xvs_real_conns);
    for (const auto& [id, counts] : carried.conns)
        if (bpf_map_update_elem(conns, &id, &counts, BPF_ANY) != 0)
            throw DataplaneError("carrying the connection counts of real " + std::to_string(id) +
                                 " into the resized xvs_real_conns: " + errno_text(errno));
}

namespace {

uint32_t behaviour_bits(const IpvsBehaviour& b) {
    uint32_t bits = 0;
    if (b.expire_nodest_conn) bits |= XVS_CFG_EXPIRE_NODEST_CONN;
    if (b.expire_quiescent_template) bits |= XVS_CFG_EXPIRE_QUIESCENT_TEMPLATE;
    if (b.sloppy_tcp) bits |= XVS_CFG_SLOPPY_TCP;
    if (!(b.conn_reuse_mode & 1)) bits |= XVS_CFG_CONN_REUSE_NO_CLOSE;
    if (b.conn_reuse_mode & 2) bits |= XVS_CFG_CONN_REUSE_FIN;
    return bits;
}

}  // namespace

void XdpDataplane::write_config() {
    uint32_t zero = 0;
    xvs_config cfg{};
    cfg.abi_version = XVS_ABI_VERSION;
    if (options_.tunnel_source_v4) {
        if (options_.tunnel_source_v4->is_v6())
            throw DataplaneError("tunnel source for IPv4 is an IPv6 address");
        std::memcpy(&cfg.tunnel_src_v4, options_.tunnel_source_v4->bytes.data(), 4);
    }
    if (options_.tunnel_source_v6) {
        if (!options_.tunnel_source_v6->is_v6())
            throw DataplaneError("tunnel source for IPv6 is an IPv4 address");
        std::memcpy(cfg.tunnel_src_v6, options_.tunnel_source_v6->bytes.data(), 16);
    }
    measure_program_clock(cfg);
    cfg.timeout_tcp_ns = timeouts_.tcp * XVS_NS_PER_SEC;
    cfg.timeout_tcp_fin_ns = timeouts_.tcp_fin * XVS_NS_PER_SEC;
    cfg.timeout_udp_ns = timeouts_.udp * XVS_NS_PER_SEC;
    cfg.behaviour = behaviour_bits(behaviour_);
    if (bpf_map_update_elem(bpf_map__fd(skel_->maps.xvs_config), &zero, &cfg, BPF_ANY) != 0)
        throw DataplaneError("writing xvs_config: " + errno_text(errno));
}

void XdpDataplane::set_behaviour(const IpvsBehaviour& behaviour) {
    uint32_t zero = 0;
    int fd = bpf_map__fd(skel_->maps.xvs_config);
    xvs_config cfg{};
    if (bpf_map_lookup_elem(fd, &zero, &cfg) != 0) throw DataplaneError("reading xvs_config: " + errno_text(errno));
    cfg.behaviour = behaviour_bits(behaviour);
    if (bpf_map_update_elem(fd, &zero, &cfg, BPF_ANY) != 0)
        throw DataplaneError("writing the IPVS switches into xvs_config: " + errno_text(errno));
    behaviour_ = behaviour;
}

void XdpDataplane::set_timeouts(const ConnectionTimeouts& change) {
    ConnectionTimeouts next = merge_timeouts(timeouts_, change);
    uint32_t zero = 0;
    int fd = bpf_map__fd(skel_->maps.xvs_config);
    xvs_config cfg{};
    if (bpf_map_lookup_elem(fd, &zero, &cfg) != 0) throw DataplaneError("reading xvs_config: " + errno_text(errno));
    cfg.timeout_tcp_ns = next.tcp * XVS_NS_PER_SEC;
    cfg.timeout_tcp_fin_ns = next.tcp_fin * XVS_NS_PER_SEC;
    cfg.timeout_udp_ns = next.udp * XVS_NS_PER_SEC;
    if (bpf_map_update_elem(fd, &zero, &cfg, BPF_ANY) != 0)
        throw DataplaneError("writing the timeouts into xvs_config: " + errno_text(errno));
    timeouts_ = next;
}

// The program reads time as jiffies (see now_ns() in bpf/lib/conn.h): one
// tick is the resolution of CLOCK_MONOTONIC_COARSE, and the offset comes from
// reading jiffies and the coarse clock together in the kernel. A tick between
// the two reads makes the offset one tick too large, so the smallest of a few
// probes is taken. If anything is off the program keeps its clock helper.
void XdpDataplane::measure_program_clock(xvs_config& cfg) {
    timespec res{};
    if (clock_getres(CLOCK_MONOTONIC_COARSE, &res) != 0 || res.tv_sec != 0 || res.tv_nsec <= 0)
        return;
    const uint64_t tick = static_cast<uint64_t>(res.tv_nsec);
    std::vector<uint8_t> frame(64, 0);
    std::optional<uint64_t> offset;
    for (int i = 0; i < 3; ++i) {
        LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(),
                    .data_size_in = static_cast<uint32_t>(frame.size()), .repeat = 1);
        if (bpf_prog_test_run_opts(bpf_program__fd(skel_->progs.xvs_clock_probe), &opts) != 0)
            return;
        uint64_t o = skel_->bss->clock_probe_coarse_ns - skel_->bss->clock_probe_jiffies * tick;
        // Offsets are compared as signed distances from the first probe.
        if (!offset || static_cast<int64_t>(o - *offset) < 0) offset = o;
    }
    cfg.clock_ns_per_tick = tick;
    cfg.clock_offset_ns = *offset;
}

void XdpDataplane::refresh_interface_addresses() {
    int fd = bpf_map__fd(skel_->maps.xvs_iface_addrs);
    for (const auto& [ifindex, addrs] : interface_addresses()) {
        if (bpf_map_update_elem(fd, &ifindex, &addrs, BPF_ANY) != 0)
            throw DataplaneError("writing xvs_iface_addrs: " + errno_text(errno));
    }
}

void XdpDataplane::adopt_pinned_ids() {
    std::map<uint32_t, ServiceKey> by_id;
    std::map<uint32_t, ServiceStatus> serving;  // by service id
    std::set<uint32_t> used_services, used_reals;
    for_each_array_entry<xvs_service>(
        bpf_map__fd(skel_->maps.xvs_service_info), XVS_MAX_SERVICES,
        [&](uint32_t id, const xvs_service& info) {
            if (!(info.flags & XVS_SVC_F_IN_USE)) return;
            Family family = info.family == XVS_FAMILY_V6 ? Family::v6 : Family::v4;
            ServiceKey key =
                info.key_proto == 0
                    ? ServiceKey::mark(info.fwmark, family)
                    : ServiceKey::tcp_udp(info.key_proto == IPPROTO_UDP ? Protocol::udp
                                                                        : Protocol::tcp,
                                          address_from(info.key_addr, info.family),
                                          ntohs(info.key_port));
            by_id[id] = key;
            serving[id].key = key;
            adopted_services_[key] = id;
            used_services.insert(id);
        });
    if (by_id.empty()) return;
    for_each_array_entry<xvs_real>(
        bpf_map__fd(skel_->maps.xvs_reals), options_.max_reals,
        [&](uint32_t id, const xvs_real& r) {
            if (!(r.flags & XVS_REAL_F_IN_USE)) return;
            auto svc = by_id.find(r.service_id);
            if (svc == by_id.end()) return;
            RealKey key{address_from(r.addr, r.family), ntohs(r.port)};
            adopted_reals_[{svc->second, key}] = id;
            RealStatus found{key, forward_method_from(r.method), r.weight};
            found.tunnel = tunnel_from(r);
            serving[r.service_id].reals.push_back(std::move(found));
            real_generation_[id] = r.generation;
            used_reals.insert(id);
        });
    for (auto& [id, s] : serving) serving_at_start_.push_back(std::move(s));
    // Ids in use stay allocated; the gaps below the highest become free.
    next_service_id_ = *used_services.rbegin() + 1;
    for (uint32_t id = 0; id < next_service_id_; ++id)
        if (!used_services.count(id)) free_service_ids_.insert(id);
    if (!used_reals.empty()) {
        next_real_id_ = *used_reals.rbegin() + 1;
        for (uint32_t id = 0; id < next_real_id_; ++id)
            if (!used_reals.count(id)) free_real_ids_.insert(id);
    }
}

void XdpDataplane::serve_interface(int ifindex) {
    xvs_iface value{};
    auto mac = interface_mac(ifindex);
    std::memcpy(value.mac, mac.data(), sizeof value.mac);
    uint32_t key = static_cast<uint32_t>(ifindex);
    if (bpf_map_update_elem(bpf_map__fd(skel_->maps.xvs_ifaces), &key, &value, BPF_ANY) != 0)
        throw DataplaneError("writing xvs_ifaces: " + errno_text(errno));
}

void XdpDataplane::unserve_interface(int ifindex, const std::string& interface) noexcept {
    uint32_t key = static_cast<uint32_t>(ifindex);
    if (bpf_map_delete_elem(bpf_map__fd(skel_->maps.xvs_ifaces), &key) != 0 && errno != ENOENT)
        std::cerr << "xvs: " << interface << ": clearing xvs_ifaces: " << errno_text(errno) << "\n";
}

InterfaceNote XdpDataplane::attach(const std::string& interface) {
    int ifindex = static_cast<int>(if_nametoindex(interface.c_str()));
    if (ifindex == 0)
        throw DataplaneError(interface + ": XDP attach failed: no such interface");
    int prog_fd = program_fd();

    bpf_xdp_query_opts query{};
    query.sz = sizeof query;
    if (int err = bpf_xdp_query(ifindex, 0, &query); err != 0)
        throw DataplaneError(interface + ": querying XDP programs failed: " + errno_text(err));
    UniqueFd existing;
    uint32_t existing_mode = 0;
    if (query.prog_id != 0) {
        existing.reset(bpf_prog_get_fd_by_id(query.prog_id));
        bpf_prog_info info{};
        uint32_t len = sizeof info;
        if (!existing || bpf_obj_get_info_by_fd(existing.get(), &info, &len) != 0)
            throw DataplaneError(interface + ": inspecting the attached XDP program failed: " +
                                 errno_text(errno));
        if (std::string(info.name) != program_name)
            throw DataplaneError(interface + ": another XDP program (" + info.name + ", id " +
                                 std::to_string(query.prog_id) +
                                 ") is attached; remove it first (ip link set dev " + interface +
                                 " xdp off)");
        existing_mode = query.attach_mode == XDP_ATTACHED_DRV   ? XDP_FLAGS_DRV_MODE
                        : query.attach_mode == XDP_ATTACHED_SKB ? XDP_FLAGS_SKB_MODE
                                                                : 0;
    }

    std::vector<std::pair<uint32_t, const char*>> modes;
    if (options_.mode != XdpOptions::Mode::generic) modes.emplace_back(XDP_FLAGS_DRV_MODE, "native");
    if (options_.mode != XdpOptions::Mode::native) modes.emplace_back(XDP_FLAGS_SKB_MODE, "generic");
    // Before the program sees the interface's first frame.
    serve_interface(ifindex);
    std::string failures;
    for (auto [mode, mode_name] : modes) {
        bpf_xdp_attach_opts opts{};
        opts.sz = sizeof opts;
        uint32_t flags = mode;
        if (existing && existing_mode == mode) {
            // Our program from a previous run: swap it atomically, no packet
            // meets an interface without a program.
            opts.old_prog_fd = existing.get();
            flags |= XDP_FLAGS_REPLACE;
        } else {
            if (existing) {
                bpf_xdp_attach_opts old{};
                old.sz = sizeof old;
                old.old_prog_fd = existing.get();
                bpf_xdp_detach(ifindex, existing_mode | XDP_FLAGS_REPLACE, &old);
                existing.reset();
            }
            flags |= XDP_FLAGS_UPDATE_IF_NOEXIST;
        }
        int err = bpf_xdp_attach(ifindex, prog_fd, flags, &opts);
        if (err == 0) {
            // A re-attachment replaces the interface's earlier record.
            std::erase_if(attached_, [&](const Attachment& a) { return a.interface == interface; });
            std::erase_if(attached_modes_, [&](const auto& m) { return m.first == interface; });
            attached_.push_back({interface, ifindex, mode});
            attached_modes_.emplace_back(interface, mode_name);
            return interfaces_.attached(interface, static_cast<uint32_t>(ifindex), mode_name);
        }
        if (!failures.empty()) failures += "; ";
        failures += std::string(mode_name) + " mode: " + errno_text(err);
    }
    unserve_interface(ifindex, interface);
    if (modes.size() == 1)
        throw DataplaneError(interface + ": XDP attach failed (" + modes[0].second +
                             " mode): " + failures.substr(failures.find(": ") + 2));
    throw DataplaneError(interface + ": XDP attach failed (" + failures + ")");
}

void XdpDataplane::detach_all() noexcept {
    // Upper devices first: a VLAN device before the device under it, which
    // the kernel would refuse while the VLAN device has a program. By the
    // stacking itself, not the attach order, which re-attachments change.
    std::vector<std::pair<int, const Attachment*>> order;
    for (const auto& a : attached_) order.emplace_back(stacking_depth(a.interface), &a);
    std::stable_sort(order.begin(), order.end(),
                     [](const auto& x, const auto& y) { return x.first > y.first; });
    for (const auto& [depth, attachment] : order) {
        const auto& a = *attachment;
        bpf_xdp_attach_opts opts{};
        opts.sz = sizeof opts;
        opts.old_prog_fd = program_fd();
        if (int err = bpf_xdp_detach(a.ifindex, a.flags | XDP_FLAGS_REPLACE, &opts); err != 0)
            std::cerr << "xvs: " << a.interface << ": XDP detach failed: " << errno_text(err)
                      << "\n";
        unserve_interface(a.ifindex, a.interface);
    }
    attached_.clear();
    attached_modes_.clear();
}

}  // namespace xvs
