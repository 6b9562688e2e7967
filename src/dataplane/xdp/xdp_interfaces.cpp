// XdpDataplane, following the interface= links after start: what the kernel
// says about each name, and the re-attachment of the program to a device
// that came back (through attach(), the one place that prepares an interface).
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <net/if.h>

#include <cerrno>
#include <numeric>

#include "dataplane/xdp/xdp_dataplane.h"
#include "dataplane/xdp/xdp_maps_io.h"
#include "xvs_xdp.skel.h"

namespace xvs {

InterfaceObservation XdpDataplane::observe(const std::string& interface) const {
    InterfaceObservation now;
    now.ifindex = if_nametoindex(interface.c_str());
    if (now.ifindex == 0) return now;
    bpf_prog_info info{};
    uint32_t len = sizeof info;
    if (bpf_obj_get_info_by_fd(program_fd(), &info, &len) != 0)
        throw DataplaneError("reading the XDP program's id: " + errno_text(errno));
    bpf_xdp_query_opts query{};
    query.sz = sizeof query;
    if (int err = bpf_xdp_query(static_cast<int>(now.ifindex), 0, &query); err != 0)
        throw DataplaneError(interface + ": querying XDP programs failed: " + errno_text(err));
    now.our_program = query.prog_id == info.id;
    return now;
}

void XdpDataplane::forget_interface(const std::string& interface, uint32_t ifindex) {
    for (const auto& a : attached_) {
        if (a.interface != interface || a.ifindex != static_cast<int>(ifindex)) continue;
        // A device that still exists under another name (renamed) keeps no
        // program of ours. One that is gone took the program with it
        // (ENODEV, or ENOENT/EEXIST when the ifindex now names another
        // device without our program): nothing is left to detach then.
        bpf_xdp_attach_opts opts{};
        opts.sz = sizeof opts;
        opts.old_prog_fd = program_fd();
        int err = bpf_xdp_detach(a.ifindex, a.flags | XDP_FLAGS_REPLACE, &opts);
        if (err != 0 && err != -ENODEV && err != -EEXIST && err != -ENOENT)
            throw DataplaneError(interface + ": detaching XDP from ifindex " +
                                 std::to_string(ifindex) + " failed: " + errno_text(err));
    }
    std::erase_if(attached_, [&](const Attachment& a) { return a.interface == interface; });
    std::erase_if(attached_modes_, [&](const auto& m) { return m.first == interface; });
    unserve_interface(static_cast<int>(ifindex), interface);
    if (bpf_map_delete_elem(bpf_map__fd(skel_->maps.xvs_iface_addrs), &ifindex) != 0 &&
        errno != ENOENT)
        throw DataplaneError("removing ifindex " + std::to_string(ifindex) +
                             " from xvs_iface_addrs: " + errno_text(errno));
    // Neighbours queued for resolution through the device can no longer be.
    int pending = bpf_map__fd(skel_->maps.xvs_pending_neigh);
    std::vector<xvs_neigh_key> through;
    for_each_entry<xvs_neigh_key, uint64_t>(pending, [&](const xvs_neigh_key& k, uint64_t) {
        if (k.ifindex == ifindex) through.push_back(k);
    });
    for (const auto& k : through) bpf_map_delete_elem(pending, &k);  // gone already: as wanted
    // Next hops cached towards or from the device would be trusted for up to
    // a second: every slot goes (the cache refills from bpf_fib_lookup).
    std::vector<uint32_t> slots(XVS_HOP_CACHE_SIZE);
    std::iota(slots.begin(), slots.end(), 0u);
    zero_percpu(bpf_map__fd(skel_->maps.xvs_hops), slots, sizeof(xvs_hop));
}

std::vector<InterfaceNote> XdpDataplane::sync_interfaces() {
    std::vector<InterfaceNote> notes;
    auto note = [&](InterfaceNote n) {
        if (!n.text.empty()) notes.push_back(std::move(n));
    };
    for (const auto& name : interfaces_.names()) {
        try {
            InterfaceObservation now = observe(name);
            InterfaceStep step = interfaces_.step(name, now);
            if (step == InterfaceStep::keep) continue;
            uint32_t before = interfaces_.last_ifindex(name);
            if (before != 0 && before != now.ifindex) {
                forget_interface(name, before);
                interfaces_.released(name);
            }
            if (step == InterfaceStep::lose) {
                note(interfaces_.lost(name, "no such interface (was ifindex " +
                                                std::to_string(before) +
                                                "), the XDP program is not attached"));
                continue;
            }
            note(attach(name));
        } catch (const std::exception& e) {
            note(interfaces_.attach_failed(name, e.what()));
            continue;
        }
        try {
            // Addresses may already be there (a device moved in whole);
            // otherwise the periodic refresh writes them once they are added.
            refresh_interface_addresses();
        } catch (const std::exception& e) {
            notes.push_back({true, name + ": attached, but " + e.what()});
        }
    }
    return notes;
}

}  // namespace xvs
