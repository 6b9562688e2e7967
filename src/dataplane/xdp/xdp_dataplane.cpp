#include "dataplane/xdp/xdp_dataplane.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
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

#include "dataplane/xdp/abi_check.h"
#include "dataplane/xdp/bpffs.h"
#include "dataplane/xdp/address_filter.h"
#include "dataplane/xdp/map_transaction.h"
#include "dataplane/xdp/neighbour.h"
#include "dataplane/xdp/sched_table.h"
#include "dataplane/xdp/undo_log.h"
#include "common/unique_fd.h"
#include "xvs_xdp.skel.h"

namespace xvs {

namespace {

constexpr const char* kProgramName = "xvs_xdp_main";

std::string errno_text(int err) { return std::strerror(err < 0 ? -err : err); }

uint8_t family_code(Family f) { return f == Family::v6 ? XVS_FAMILY_V6 : XVS_FAMILY_V4; }

uint8_t ip_protocol(Protocol p) { return p == Protocol::udp ? IPPROTO_UDP : IPPROTO_TCP; }

void copy_address(const IpAddress& a, __u32 out[4]) { std::memcpy(out, a.bytes.data(), 16); }

IpAddress address_from(const __u32 in[4], uint8_t family) {
    IpAddress a;
    a.family = family == XVS_FAMILY_V6 ? Family::v6 : Family::v4;
    std::memcpy(a.bytes.data(), in, 16);
    if (!a.is_v6()) std::fill(a.bytes.begin() + 4, a.bytes.end(), 0);
    return a;
}

bool has_flag(const VirtualService& svc, std::string_view flag) {
    return std::find(svc.scheduler_flags.begin(), svc.scheduler_flags.end(), flag) !=
           svc.scheduler_flags.end();
}

uint64_t monotonic_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * XVS_NS_PER_SEC + uint64_t(ts.tv_nsec);
}

uint64_t conn_timeout_ns(uint8_t state) {
    switch (state) {
        case XVS_CONN_TCP_SYN: return XVS_TIMEOUT_TCP_SYN;
        case XVS_CONN_TCP_ESTABLISHED: return XVS_TIMEOUT_TCP_ESTABLISHED;
        case XVS_CONN_TCP_FIN: return XVS_TIMEOUT_TCP_FIN;
        case XVS_CONN_TCP_CLOSE: return XVS_TIMEOUT_TCP_CLOSE;
        default: return XVS_TIMEOUT_UDP;
    }
}

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

// Walks every key of a hash map, calling fn(key, value).
template <typename Key, typename Value, typename Fn>
void for_each_entry(int map_fd, Fn&& fn) {
    Key key{}, next{};
    Value value{};
    const Key* prev = nullptr;
    while (bpf_map_get_next_key(map_fd, prev, &next) == 0) {
        if (bpf_map_lookup_elem(map_fd, &next, &value) == 0) fn(next, value);
        key = next;
        prev = &key;
    }
}

// Walks entries 0..size-1 of an array map, calling fn(index, value); batch
// reads where the kernel has them (a restart reads the whole real table).
template <typename Value, typename Fn>
void for_each_array_entry(int map_fd, uint32_t size, Fn&& fn) {
    constexpr uint32_t kChunk = 4096;
    std::vector<uint32_t> keys(kChunk);
    std::vector<Value> values(kChunk);
    uint32_t cursor = 0;
    bool first = true;
    uint32_t done = 0;
    while (done < size) {
        uint32_t count = kChunk;
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

bool map_is_pinnable(const bpf_map* map) { return !bpf_map__is_internal(map); }

}  // namespace

const char* to_string(XdpOptions::Mode mode) {
    switch (mode) {
        case XdpOptions::Mode::native: return "native";
        case XdpOptions::Mode::generic: return "generic";
        case XdpOptions::Mode::automatic: return "automatic";
    }
    return "?";
}

void XdpDataplane::SkeletonDeleter::operator()(xvs_xdp* skel) const { xvs_xdp__destroy(skel); }

XdpDataplane::XdpDataplane(XdpOptions options) : options_(std::move(options)) {
    if (options_.instance.empty() || options_.instance.find('/') != std::string::npos)
        throw DataplaneError("invalid instance name '" + options_.instance + "'");
    if (options_.max_reals == 0 || options_.max_reals > kXdpMaxRealsLimit)
        throw DataplaneError("max reals " + std::to_string(options_.max_reals) +
                             " is out of range (1 to " + std::to_string(kXdpMaxRealsLimit) + ")");
    pin_dir_ = options_.pin_root + "/" + options_.instance;
    int cpus = libbpf_num_possible_cpus();
    if (cpus <= 0) throw DataplaneError("counting possible CPUs: " + errno_text(cpus));
    possible_cpus_ = cpus;
    ensure_bpffs_mounted();
    make_pin_directory(pin_dir_);
    try {
        load_and_pin();
    } catch (...) {
        // Nothing was pinned when the load failed: the new directory goes
        // (rmdir leaves one that still holds an earlier run's maps).
        ::rmdir(pin_dir_.c_str());
        ::rmdir(options_.pin_root.c_str());
        throw;
    }
    write_config();
    refresh_interface_addresses();
    adopt_pinned_ids();
    try {
        for (const auto& interface : options_.interfaces) attach(interface);
    } catch (...) {
        detach_all();
        if (!options_.keep_on_exit) {
            bpf_object__unpin_maps(skel_->obj, nullptr);
            ::rmdir(pin_dir_.c_str());
            ::rmdir(options_.pin_root.c_str());
        }
        throw;
    }
}

XdpDataplane::~XdpDataplane() {
    if (options_.keep_on_exit) return;
    detach_all();
    bpf_map* map;
    bpf_object__for_each_map(map, skel_->obj) {
        if (!map_is_pinnable(map)) continue;
        if (bpf_map__unpin(map, nullptr) != 0)
            std::cerr << "xvs: unpinning " << bpf_map__name(map) << " failed\n";
    }
    ::rmdir(pin_dir_.c_str());
    ::rmdir(options_.pin_root.c_str());  // only succeeds when no other instance is left
}

void XdpDataplane::load_and_pin() {
    skel_.reset(xvs_xdp__open());
    if (!skel_) throw DataplaneError("opening the XDP program: " + errno_text(errno));
    bpf_map__set_max_entries(skel_->maps.xvs_conns, options_.connection_table_size);
    bpf_map__set_max_entries(skel_->maps.xvs_nat_reverse, options_.connection_table_size);
    bpf_map__set_max_entries(skel_->maps.xvs_persist, options_.persistence_table_size);
    bpf_map__set_max_entries(skel_->maps.xvs_reals, options_.max_reals);
    bpf_map__set_max_entries(skel_->maps.xvs_real_stats, options_.max_reals);

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
            if (map == skel_->maps.xvs_reals || map == skel_->maps.xvs_real_stats)
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

    bpf_map_create_opts opts{};
    opts.sz = sizeof opts;
    opts.map_flags = BPF_F_INNER_MAP;
    vacant_table_.reset(bpf_map_create(BPF_MAP_TYPE_ARRAY, "xvs_sched_none", sizeof(uint32_t),
                                       sizeof(uint32_t), 1, &opts));
    if (!vacant_table_)
        throw DataplaneError("creating the empty scheduling table: " + errno_text(errno));
}

XdpDataplane::PinnedReals XdpDataplane::take_pinned_reals() {
    PinnedReals carried;
    std::string reals_path = pin_dir_ + "/xvs_reals";
    std::string stats_path = pin_dir_ + "/xvs_real_stats";
    UniqueFd reals(bpf_obj_get(reals_path.c_str()));
    UniqueFd stats(bpf_obj_get(stats_path.c_str()));
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
    }
    // The program cannot reuse maps of another size: these two are made anew.
    ::unlink(reals_path.c_str());
    ::unlink(stats_path.c_str());
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
}

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
    if (bpf_map_update_elem(bpf_map__fd(skel_->maps.xvs_config), &zero, &cfg, BPF_ANY) != 0)
        throw DataplaneError("writing xvs_config: " + errno_text(errno));
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
            real_generation_[id] = r.generation;
            used_reals.insert(id);
        });
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

void XdpDataplane::attach(const std::string& interface) {
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
        if (std::string(info.name) != kProgramName)
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
            attached_.push_back({interface, ifindex, mode});
            attached_modes_.emplace_back(interface, mode_name);
            return;
        }
        if (!failures.empty()) failures += "; ";
        failures += std::string(mode_name) + " mode: " + errno_text(err);
    }
    if (modes.size() == 1)
        throw DataplaneError(interface + ": XDP attach failed (" + modes[0].second +
                             " mode): " + failures.substr(failures.find(": ") + 2));
    throw DataplaneError(interface + ": XDP attach failed (" + failures + ")");
}

void XdpDataplane::detach_all() noexcept {
    for (const auto& a : attached_) {
        bpf_xdp_attach_opts opts{};
        opts.sz = sizeof opts;
        opts.old_prog_fd = program_fd();
        if (int err = bpf_xdp_detach(a.ifindex, a.flags | XDP_FLAGS_REPLACE, &opts); err != 0)
            std::cerr << "xvs: " << a.interface << ": XDP detach failed: " << errno_text(err)
                      << "\n";
    }
    attached_.clear();
    attached_modes_.clear();
}

int XdpDataplane::program_fd() const { return bpf_program__fd(skel_->progs.xvs_xdp_main); }

int XdpDataplane::map_fd(std::string_view map_name) const {
    bpf_map* map = bpf_object__find_map_by_name(skel_->obj, std::string(map_name).c_str());
    if (!map) throw DataplaneError("no BPF map named " + std::string(map_name));
    return bpf_map__fd(map);
}

std::optional<uint32_t> XdpDataplane::service_id(const ServiceKey& key) const {
    auto it = service_ids_.find(key);
    if (it == service_ids_.end()) return std::nullopt;
    return it->second;
}

std::optional<uint32_t> XdpDataplane::real_id(const ServiceKey& service, const RealKey& real) const {
    auto it = real_ids_.find({service, real});
    if (it == real_ids_.end()) return std::nullopt;
    return it->second;
}

// ---- what XDP can serve -----------------------------------------------------

namespace {

void add_service_problems(const VirtualService& svc, std::vector<std::string>& problems) {
    std::string name = svc.key.to_string();
    if (!xdp_scheduler(svc.scheduler))
        problems.push_back(name + ": scheduler " + svc.scheduler +
                           " is not supported by the XDP data plane (rr, wrr, sh, dh, mh are)");
    for (const auto& flag : svc.scheduler_flags)
        if (flag != "sh-port" && flag != "mh-port" && flag != "sh-fallback" &&
            flag != "mh-fallback")
            problems.push_back(name + ": scheduler flag " + flag +
                               " is not supported by the XDP data plane");
    if (svc.key.protocol == Protocol::fwmark && svc.matches.empty())
        problems.push_back(name + ": XDP cannot see firewall marks; add match= lines");
    for (const auto& m : svc.matches)
        if (m.address.family != svc.key.family)
            problems.push_back(name + ": match " + m.address.to_string() +
                               " is not of the service's address family");
    for (const auto& [rkey, real] : svc.reals) {
        if (rkey.address.family != svc.key.family)
            problems.push_back(name + ": real " + rkey.to_string() +
                               " is of another address family (XDP forwards within one)");
        if (real.lower_threshold || real.upper_threshold)
            problems.push_back(name + ": real " + rkey.to_string() +
                               " has connection thresholds, which XDP cannot enforce");
    }
    if (svc.reals.size() > XVS_SCHED_TABLE_MAX)
        problems.push_back(name + ": too many reals for one XDP scheduling table");
}

}  // namespace

std::string xdp_real_capacity_problem(size_t reals, uint32_t max_reals) {
    return "the configuration needs " + std::to_string(reals) + " reals, the XDP real table holds " +
           std::to_string(max_reals) + ": raise --max-reals";
}

std::string XdpDataplane::real_capacity_problem(size_t reals) const {
    return xdp_real_capacity_problem(reals, options_.max_reals);
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
    std::vector<std::pair<uint32_t, uint32_t>> released_reals;
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
    if (next_real_id_ >= options_.max_reals && !c.released_reals.empty()) {
        // Full: the ids this apply removed are needed now, so the tables
        // that may name them are replaced first.
        c.maps.flush_inner();
        release_reals(c);
        return allocate_real_id(c);
    }
    if (next_real_id_ >= options_.max_reals)
        throw DataplaneError("out of XDP real ids: the XDP real table holds " +
                             std::to_string(options_.max_reals) + " reals: raise --max-reals");
    uint32_t id = next_real_id_;
    c.ids.set(next_real_id_, id + 1);
    return id;
}

void XdpDataplane::zero_percpu(int map_fd, uint32_t id, size_t value_size) {
    zero_percpu(map_fd, std::vector<uint32_t>{id}, value_size);
}

void XdpDataplane::zero_percpu(int map_fd, const std::vector<uint32_t>& ids, size_t value_size) {
    if (ids.empty()) return;
    size_t per_element = ((value_size + 7) / 8) * 8 * possible_cpus_;
    std::vector<uint8_t> zeros(per_element * ids.size(), 0);
    uint32_t count = static_cast<uint32_t>(ids.size());
    if (bpf_map_update_batch(map_fd, ids.data(), zeros.data(), &count, nullptr) == 0) return;
    // Kernels without batch updates for this map: one by one from where it stopped.
    for (size_t i = count; i < ids.size(); ++i)
        if (bpf_map_update_elem(map_fd, &ids[i], zeros.data(), BPF_ANY) != 0)
            throw DataplaneError("clearing per-CPU entry " + std::to_string(ids[i]) + ": " +
                                 errno_text(errno));
}

void XdpDataplane::write_service_info(MapTransaction& tx, uint32_t id, const VirtualService& svc) {
    xvs_service info{};
    info.flags = XVS_SVC_F_IN_USE;
    if (svc.persistence.timeout > 0) info.flags |= XVS_SVC_F_PERSISTENT;
    if (has_flag(svc, "sh-port") || has_flag(svc, "mh-port")) info.flags |= XVS_SVC_F_HASH_PORT;
    if (svc.one_packet) info.flags |= XVS_SVC_F_ONE_PACKET;
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
        // Pinned by a previous run: same id and generation, so its flows stay.
        id = it->second;
        generation = real_generation_.at(id);
        c.ids.erase(adopted_reals_, ref);
    } else {
        id = allocate_real_id(c);
        old.emplace();
        if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.xvs_reals), &id, &*old) != 0)
            throw DataplaneError("reading real id " + std::to_string(id) + ": " + errno_text(errno));
        generation = old->generation + 1;
        c.fresh_reals.push_back(id);
    }
    write_real(c.maps, id, service_id, real, generation, old ? &*old : nullptr);
    c.ids.assign(real_ids_, ref, id);
    c.ids.assign(real_generation_, id, generation);
    return id;
}

void XdpDataplane::free_real(Change& c, uint32_t id) {
    c.released_reals.emplace_back(id, real_generation_.at(id));
    c.ids.erase(real_generation_, id);
}

void XdpDataplane::release_reals(Change& c) {
    for (auto [id, generation] : c.released_reals) {
        xvs_real r{};
        r.generation = generation;  // kept: the next owner of the id bumps it
        c.maps.update(bpf_map__fd(skel_->maps.xvs_reals), bytes_of(id), bytes_of(r),
                      "real id " + std::to_string(id));
        c.ids.insert(free_real_ids_, id);
    }
    c.released_reals.clear();
}

void XdpDataplane::write_sched_table(MapTransaction& tx, uint32_t service_id,
                                     const VirtualService& svc) {
    std::vector<uint32_t> ids;
    ids.reserve(svc.reals.size());
    for (const auto& [rkey, real] : svc.reals) ids.push_back(real_ids_.at({svc.key, rkey}));
    std::vector<uint32_t> table = build_sched_table(svc, ids);
    std::vector<uint32_t> values;
    values.reserve(table.size() + 1);
    values.push_back(static_cast<uint32_t>(table.size()));
    values.insert(values.end(), table.begin(), table.end());

    bpf_map_create_opts opts{};
    opts.sz = sizeof opts;
    opts.map_flags = BPF_F_INNER_MAP;
    std::string what = "scheduling table of " + svc.key.to_string();
    UniqueFd inner(bpf_map_create(BPF_MAP_TYPE_ARRAY, "xvs_sched", sizeof(uint32_t),
                                  sizeof(uint32_t), static_cast<uint32_t>(values.size()), &opts));
    if (!inner) throw DataplaneError("creating " + what + ": " + errno_text(errno));
    std::vector<uint32_t> keys(values.size());
    for (uint32_t i = 0; i < keys.size(); ++i) keys[i] = i;
    uint32_t count = static_cast<uint32_t>(values.size());
    if (bpf_map_update_batch(inner.get(), keys.data(), values.data(), &count, nullptr) != 0)
        throw DataplaneError("filling " + what + ": " + errno_text(errno));
    tx.stage_inner(bpf_map__fd(skel_->maps.xvs_sched_tables), service_id, std::move(inner), what);
}

void XdpDataplane::clear_sched_table(MapTransaction& tx, uint32_t service_id,
                                     const std::string& service_name) {
    // The slot points at the one empty table rather than being deleted: a
    // deletion waits for a grace period of its own, a staged write shares one.
    UniqueFd vacant(fcntl(vacant_table_.get(), F_DUPFD_CLOEXEC, 0));
    if (!vacant)
        throw DataplaneError("duplicating the empty scheduling table: " + errno_text(errno));
    tx.stage_inner(bpf_map__fd(skel_->maps.xvs_sched_tables), service_id, std::move(vacant),
                   "scheduling table of " + service_name);
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
    write_sched_table(c.maps, id, svc);
    // Keys last: the service becomes visible to packets only when complete.
    c.publish.emplace_back(id, &svc);
}

void XdpDataplane::update_service(Change& c, const VirtualService& before,
                                  const VirtualService& after) {
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
    bool table_changed = before.scheduler != after.scheduler ||
                         before.scheduler_flags != after.scheduler_flags ||
                         before.reals.size() != after.reals.size();
    for (const auto& [rkey, real] : before.reals) {
        if (after.reals.count(rkey)) continue;
        auto ref = RealRefKey{after.key, rkey};
        free_real(c, real_ids_.at(ref));
        c.ids.erase(real_ids_, ref);
        table_changed = true;
    }
    for (const auto& [rkey, real] : after.reals) {
        auto old = before.reals.find(rkey);
        if (old == before.reals.end()) {
            add_real(c, after, id, real);
            table_changed = true;
        } else if (!(old->second == real)) {
            uint32_t rid = real_ids_.at({after.key, rkey});
            write_real(c.maps, rid, id, real, real_generation_.at(rid));
            if (old->second.weight != real.weight) table_changed = true;
        }
    }
    if (table_changed) write_sched_table(c.maps, id, after);
}

void XdpDataplane::remove_service(Change& c, const VirtualService& svc) {
    uint32_t id = service_ids_.at(svc.key);
    erase_service_keys(c.maps, id, svc);
    clear_sched_table(c.maps, id, svc.key.to_string());
    for (const auto& [rkey, real] : svc.reals) {
        auto ref = RealRefKey{svc.key, rkey};
        free_real(c, real_ids_.at(ref));
        c.ids.erase(real_ids_, ref);
    }
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
        clear_sched_table(c.maps, id, key.to_string());
        xvs_service none{};
        c.maps.update(bpf_map__fd(skel_->maps.xvs_service_info), bytes_of(id), bytes_of(none),
                      "service " + key.to_string());
        c.ids.erase(adopted_services_, key);
        c.ids.insert(free_service_ids_, id);
    }
}

std::set<ServiceKey> XdpDataplane::services_to_reconcile(const ModelDiff& change,
                                                         const Model& next) const {
    std::set<ServiceKey> keys;
    if (!adopted_services_.empty() || !adopted_reals_.empty()) {
        // The first apply after adopting pinned state: what the maps hold is
        // known only service by service, so every service is compared.
        for (const auto& [key, svc] : programmed_.services) keys.insert(key);
        for (const auto& [key, svc] : next.services) keys.insert(key);
        return keys;
    }
    for (const auto& s : change.added_services) keys.insert(s.key);
    for (const auto& s : change.removed_services) keys.insert(s.key);
    for (const auto& s : change.changed_services) keys.insert(s.after.key);
    for (const auto& r : change.added_reals) keys.insert(r.service);
    for (const auto& r : change.removed_reals) keys.insert(r.service);
    for (const auto& r : change.changed_reals) keys.insert(r.service);
    return keys;
}

void XdpDataplane::write_filter_words(MapTransaction& tx, const std::set<uint32_t>& words) {
    int fd = bpf_map__fd(skel_->maps.xvs_addr_filter);
    for (uint32_t index : words) {
        uint64_t want = address_filter_.word(index), have = 0;
        if (bpf_map_lookup_elem(fd, &index, &have) == 0 && have == want) continue;
        tx.update(fd, bytes_of(index), bytes_of(want), "address filter word " + std::to_string(index));
    }
}

void XdpDataplane::apply(const ModelDiff& change, const Model& next) {
    // Each listed service is compared with what this plane programmed for it,
    // so a diff that lists a service is enough, whatever detail it carries;
    // services it does not list are not looked at (time follows the change).
    std::set<ServiceKey> touched = services_to_reconcile(change, next);
    std::vector<std::string> problems;
    size_t reals = programmed_reals_;
    for (const auto& key : touched) {
        auto after = next.services.find(key);
        auto before = programmed_.services.find(key);
        if (after != next.services.end()) {
            add_service_problems(after->second, problems);
            reals += after->second.reals.size();
        }
        if (before != programmed_.services.end()) reals -= before->second.reals.size();
    }
    if (next.services.size() > XVS_MAX_SERVICES)
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
            if (was && is && before->second == after->second) continue;
            if (was) add_entries(filter_lost, before->second);
            if (is) add_entries(filter_gained, after->second);
        }
        auto gained_words = address_filter_.add(filter_gained);
        c.ids.on_rollback([this, filter_gained] { address_filter_.remove(filter_gained); });
        write_filter_words(c.maps, gained_words);

        if (!adopted_services_.empty() || !adopted_reals_.empty()) remove_adopted_leftovers(c, next);
        // Removals first: a lookup key they free may be taken by a service
        // added in this same apply.
        for (const auto& key : touched) {
            auto before = programmed_.services.find(key);
            if (before != programmed_.services.end() && !next.services.count(key))
                remove_service(c, before->second);
        }
        for (const auto& key : touched) {
            auto after = next.services.find(key);
            if (after == next.services.end()) continue;
            auto before = programmed_.services.find(key);
            if (before == programmed_.services.end())
                add_service(c, after->second);
            else if (!(before->second == after->second))
                update_service(c, before->second, after->second);
        }
        zero_percpu(bpf_map__fd(skel_->maps.xvs_service_stats), c.fresh_services,
                    sizeof(xvs_counters));
        zero_percpu(bpf_map__fd(skel_->maps.xvs_rr_position), c.fresh_services, sizeof(uint32_t));
        zero_percpu(bpf_map__fd(skel_->maps.xvs_real_stats), c.fresh_reals, sizeof(xvs_counters));
        c.maps.flush_inner();
        release_reals(c);
        for (const auto& [id, svc] : c.publish) write_service_keys(c.maps, id, *svc);

        auto lost_words = address_filter_.remove(filter_lost);
        c.ids.on_rollback([this, filter_lost] { address_filter_.add(filter_lost); });
        if (!filter_synced_) {
            // Pinned words may hold bits of what a previous daemon served.
            lost_words.clear();
            for (uint32_t i = 0; i < AddressFilter::kWords; ++i) lost_words.insert(i);
        }
        write_filter_words(c.maps, lost_words);
        c.ids.set(filter_synced_, true);

        for (const auto& key : touched) {
            auto after = next.services.find(key);
            if (after != next.services.end())
                c.ids.assign(programmed_.services, key, after->second);
            else
                c.ids.erase(programmed_.services, key);
        }
        c.ids.set(programmed_reals_, reals);
        writes = c.maps.writes();
        c.maps.commit();
        c.ids.commit();
    } catch (const DataplaneError&) {
        throw;
    } catch (const std::exception& e) {
        throw DataplaneError(std::string("programming the XDP maps: ") + e.what());
    }
    last_apply_writes_ = writes;
}

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

std::vector<ServiceStatus> XdpDataplane::status() const {
    struct ConnCounts {
        uint32_t active = 0, inactive = 0, persistent = 0;
    };
    std::map<uint32_t, ConnCounts> per_real;
    uint64_t now = monotonic_ns();
    auto live = [&](uint32_t id, uint32_t generation) {
        auto it = real_generation_.find(id);
        return it != real_generation_.end() && it->second == generation;
    };
    for_each_entry<xvs_conn_key, xvs_conn>(
        bpf_map__fd(skel_->maps.xvs_conns), [&](const xvs_conn_key&, const xvs_conn& c) {
            if (!live(c.real_id, c.real_generation) || now - c.last_seen_ns > conn_timeout_ns(c.state))
                return;
            if (c.state == XVS_CONN_TCP_ESTABLISHED)
                per_real[c.real_id].active++;
            else
                per_real[c.real_id].inactive++;
        });
    std::map<uint32_t, uint64_t> persist_timeout_by_service;
    for (const auto& [key, svc] : programmed_.services)
        persist_timeout_by_service[service_ids_.at(key)] = svc.persistence.timeout;
    for_each_entry<xvs_persist_key, xvs_persist>(
        bpf_map__fd(skel_->maps.xvs_persist), [&](const xvs_persist_key& k, const xvs_persist& t) {
            auto timeout = persist_timeout_by_service.find(k.service_id);
            if (timeout == persist_timeout_by_service.end() || !live(t.real_id, t.real_generation) ||
                now - t.last_seen_ns > timeout->second * XVS_NS_PER_SEC)
                return;
            per_real[t.real_id].persistent++;
        });

    std::vector<ServiceStatus> out;
    int svc_stats = bpf_map__fd(skel_->maps.xvs_service_stats);
    int real_stats = bpf_map__fd(skel_->maps.xvs_real_stats);
    for (const auto& [key, svc] : programmed_.services) {
        ServiceStatus s;
        s.key = key;
        s.scheduler = svc.scheduler;
        s.scheduler_flags = svc.scheduler_flags;
        s.persistence = svc.persistence;
        s.one_packet = svc.one_packet;
        s.counters = sum_counters(svc_stats, service_ids_.at(key));
        for (const auto& [rkey, real] : svc.reals) {
            uint32_t rid = real_ids_.at({key, rkey});
            RealStatus r;
            r.key = rkey;
            r.method = real.method;
            r.weight = real.weight;
            r.lower_threshold = real.lower_threshold;
            r.upper_threshold = real.upper_threshold;
            auto counts = per_real.find(rid);
            if (counts != per_real.end()) {
                r.active_connections = counts->second.active;
                r.inactive_connections = counts->second.inactive;
                r.persistent_connections = counts->second.persistent;
            }
            r.counters = sum_counters(real_stats, rid);
            s.reals.push_back(std::move(r));
        }
        out.push_back(std::move(s));
    }
    return out;
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
            uint64_t timeout = conn_timeout_ns(c.state);
            uint64_t age = now > c.last_seen_ns ? now - c.last_seen_ns : 0;
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
            uint64_t age = now > t.last_seen_ns ? now - t.last_seen_ns : 0;
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
