// XdpDataplane: construction (load, pin, attach) and teardown, and the small
// accessors; the rest lives in xdp_load, xdp_apply and xdp_state.cpp.
#include "dataplane/xdp/xdp_dataplane.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <map>

#include "dataplane/xdp/abi_check.h"
#include "dataplane/xdp/bpffs.h"
#include "dataplane/xdp/interface_mac.h"
#include "dataplane/xdp/xdp_maps_io.h"
#include "xvs_xdp.skel.h"

namespace xvs {

const char* to_string(XdpOptions::Mode mode) {
    switch (mode) {
        case XdpOptions::Mode::native: return "native";
        case XdpOptions::Mode::generic: return "generic";
        case XdpOptions::Mode::automatic: return "automatic";
    }
    return "?";
}

void XdpDataplane::SkeletonDeleter::operator()(xvs_xdp* skel) const { xvs_xdp__destroy(skel); }

XdpDataplane::XdpDataplane(XdpOptions options)
    : options_(std::move(options)), interfaces_(options_.interfaces, to_string(options_.mode)) {
    if (options_.instance.empty() || options_.instance.find('/') != std::string::npos)
        throw DataplaneError("invalid instance name '" + options_.instance + "'");
    if (options_.max_reals == 0 || options_.max_reals > xdp_max_reals_limit)
        throw DataplaneError("max reals " + std::to_string(options_.max_reals) +
                             " is out of range (1 to " + std::to_string(xdp_max_reals_limit) + ")");
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
        held_ = std::make_unique<HeldFragments>(
            bpf_map__fd(skel_->maps.xvs_frag_held), bpf_map__fd(skel_->maps.xvs_frags),
            program_fd(), bpf_program__fd(skel_->progs.xvs_frag_expire));
        real_conns_ = std::make_unique<MappedRealConns>(bpf_map__fd(skel_->maps.xvs_real_conns));
        census_ = std::make_unique<ConnectionCensus>(
            ConnectionCensus::Maps{bpf_map__fd(skel_->maps.xvs_conns), bpf_map__fd(skel_->maps.xvs_persist),
                                   bpf_map__fd(skel_->maps.xvs_nat_reverse),
                                   bpf_map__fd(skel_->maps.xvs_service_info),
                                   bpf_map__fd(skel_->maps.xvs_reals), bpf_map__fd(skel_->maps.xvs_config)},
            *real_conns_);
        std::map<std::string, int> depth;
        for (const auto& interface : options_.interfaces) depth[interface] = stacking_depth(interface);
        std::vector<std::string> order = options_.interfaces;
        std::stable_sort(order.begin(), order.end(), [&depth](const auto& a, const auto& b) {
            return depth[a] < depth[b];
        });
        // A first attachment has nothing to report (its note is empty).
        for (const auto& interface : order) (void)attach(interface);
        if (options_.replay_fragments)
            replayer_ = std::make_unique<FragmentReplayer>(
                *held_, bpf_map__fd(skel_->maps.xvs_frag_ready));
        if (options_.count_connections)
            census_thread_ = std::make_unique<CensusThread>(*census_, options_.census_interval);
    } catch (...) {
        census_thread_.reset();
        replayer_.reset();
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
    census_thread_.reset();
    replayer_.reset();
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

}  // namespace xvs
