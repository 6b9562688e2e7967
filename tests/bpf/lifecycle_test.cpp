// The loader: what it refuses, all-or-nothing apply, minimal writes, pinning
// and reuse of pinned state across a restart, attach errors, following a
// deleted and re-created interface.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <map>

#include "bpf/xdp_fixture.h"

using namespace xvs;
using namespace xvs::test;

namespace {

VirtualService web(const std::vector<RealServer>& reals, const std::string& sched = "wrr") {
    return make_service(Protocol::tcp, "10.0.0.100", 80, reals, sched);
}

PacketSpec syn(uint16_t sport) {
    PacketSpec s;
    s.sport = sport;
    return s;
}

bool exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

TEST_CASE("schedulers XDP cannot run are reported and refused by apply") {
    XdpFixture f;
    auto lblc = web({make_real("10.1.0.2", 80, ForwardMethod::gate)}, "lblc");
    auto problems = f.dp.unsupported(make_model({lblc}));
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].find("scheduler lblc") != std::string::npos);
    CHECK(f.dp.unsupported(make_model({web({make_real("10.1.0.2", 80, ForwardMethod::gate)})}))
              .empty());
    CHECK_THROWS_AS(f.set(make_model({lblc})), DataplaneError);

    VirtualService mark;
    mark.key = ServiceKey::mark(7, Family::v4);
    mark.reals[RealKey{ip("10.1.0.2"), 0}] = make_real("10.1.0.2", 0, ForwardMethod::gate);
    auto fw = f.dp.unsupported(make_model({mark}));
    REQUIRE(fw.size() == 1);
    CHECK(fw[0].find("match=") != std::string::npos);
}

TEST_CASE("a refused apply leaves the previous state serving") {
    XdpFixture f;
    auto good = web({make_real("10.1.0.2", 80, ForwardMethod::gate)});
    f.set(make_model({good}));
    auto bad = make_model({web({make_real("10.1.0.3", 80, ForwardMethod::gate)}, "lblcr")});
    CHECK_THROWS_AS(f.dp.apply(diff(f.model, bad)), DataplaneError);
    CHECK(real_of(f.send(syn(1000))) == 2);
}

TEST_CASE("a map write failing half-way rolls back every write of the apply") {
    XdpFixture f;
    auto svc = web({make_real("10.1.0.2", 80, ForwardMethod::gate), make_real("10.1.0.3", 80, ForwardMethod::gate)},
                   "rr");
    auto before = make_model({svc});
    f.set(before);
    // A weight change, then a fwmark service with more match= lines than
    // xvs_matches holds: the kernel refuses a write in the middle.
    auto next = before;
    next.services.begin()->second.reals.begin()->second.weight = 0;
    VirtualService mark;
    mark.key = ServiceKey::mark(9, Family::v4);
    mark.scheduler = "rr";
    mark.reals[RealKey{ip("10.1.0.4"), 0}] = make_real("10.1.0.4", 0, ForwardMethod::gate);
    for (uint32_t port = 1; port <= XVS_MAX_MATCHES + 1; ++port)
        mark.matches.push_back({Protocol::udp, ip("10.0.0.200"), uint16_t(port % 65536)});
    next.services[mark.key] = mark;
    REQUIRE(f.dp.unsupported(next).empty());
    CHECK_THROWS_AS(f.dp.apply(diff(before, next)), DataplaneError);
    // Nothing of `next` is visible: both reals still take new flows, no match key is left.
    std::map<int, int> hits;
    for (uint16_t port = 1000; port < 1010; ++port) hits[real_of(f.send(syn(port)))]++;
    CHECK(hits[2] > 0);
    CHECK(hits[3] > 0);
    int matches = f.dp.map_fd("xvs_matches");
    xvs_service_key k{};
    CHECK(bpf_map_get_next_key(matches, nullptr, &k) != 0);
    CHECK_FALSE(f.dp.service_id(mark.key));
    f.set(before);
    CHECK(f.dp.last_apply_writes() == 0);
}

TEST_CASE("an unchanged model writes nothing and a weight change writes only that service") {
    XdpFixture f;
    auto a = web({make_real("10.1.0.2", 80, ForwardMethod::gate), make_real("10.1.0.3", 80, ForwardMethod::gate)});
    auto b = make_service(Protocol::udp, "10.0.0.100", 53, {make_real("10.1.0.4", 53, ForwardMethod::gate)});
    f.set(make_model({a, b}));
    CHECK(f.dp.last_apply_writes() > 0);
    f.set(make_model({a, b}));
    CHECK(f.dp.last_apply_writes() == 0);
    auto a2 = a;
    a2.reals.begin()->second.weight = 3;
    f.set(make_model({a2, b}));
    CHECK(f.dp.last_apply_writes() == 2);  // the real's entry and the service's table
}

TEST_CASE("ids are reused after removal and a reused real id does not inherit old flows") {
    // A removed real's id is kept for its return while other ids are free
    // (ipvs_switches_test.cpp); with one id it is taken back at once.
    XdpOptions options = test_options();
    options.max_reals = 1;
    XdpFixture f(options);
    f.set(make_model({web({make_real("10.1.0.2", 80, ForwardMethod::gate)})}));
    auto old_id = f.dp.real_id(f.model.services.begin()->first, RealKey{ip("10.1.0.2"), 80});
    REQUIRE(old_id);
    CHECK(real_of(f.send(syn(2000))) == 2);
    f.set(Model{});
    CHECK(f.send(syn(2000)).action == XDP_PASS);
    f.set(make_model({web({make_real("10.1.0.3", 80, ForwardMethod::gate)})}));
    auto new_id = f.dp.real_id(f.model.services.begin()->first, RealKey{ip("10.1.0.3"), 80});
    CHECK(new_id == old_id);
    // The old flow's entry is stale: a new SYN of its ports is scheduled.
    CHECK(real_of(f.send(syn(2000))) == 3);
}

TEST_CASE("maps are pinned per instance and removed on exit") {
    TestNetwork net;
    XdpOptions o = test_options();
    std::string dir;
    {
        XdpDataplane dp(o);
        dir = dp.pin_directory();
        CHECK(dir == "/sys/fs/bpf/xvs/" + o.instance);
        CHECK(exists(dir + "/xvs_conns"));
        CHECK(exists(dir + "/xvs_service_info"));
        CHECK(dp.serving_at_start().empty());  // fresh maps: nothing found serving
    }
    CHECK_FALSE(exists(dir));
}

TEST_CASE("a restarted data plane reuses pinned maps and keeps established flows on their real") {
    TestNetwork net;
    XdpOptions o = test_options();
    o.connection_table_size = 4096;
    o.keep_on_exit = true;
    std::string dir;
    std::map<uint16_t, int> first;
    auto svc = web({make_real("10.1.0.2", 80, ForwardMethod::gate), make_real("10.1.0.3", 80, ForwardMethod::gate)});
    auto gone = make_service(Protocol::udp, "10.0.0.100", 53, {make_real("10.1.0.4", 53, ForwardMethod::gate)});
    try {
        {
            XdpDataplane dp(o);
            dp.serve_interface(net.client_ifindex);
            dir = dp.pin_directory();
            CHECK(dp.xdp_facts()->pinned_start == PinnedStart::fresh);
            auto m = make_model({svc, gone});
            dp.apply(diff(Model{}, m));
            for (uint16_t port = 3000; port < 3010; ++port)
                first[port] = real_of(run_xdp(dp.program_fd(), build_packet(syn(port)), net.client_ifindex));
        }
        REQUIRE(exists(dir + "/xvs_conns"));
        o.keep_on_exit = false;
        XdpDataplane again(o);
        again.serve_interface(net.client_ifindex);
        // What the previous plane served, as the daemon seeds health from it.
        const auto& found = again.serving_at_start();
        REQUIRE(found.size() == 2);
        std::map<std::string, uint32_t> weights;
        for (const auto& s : found)
            for (const auto& r : s.reals) weights[r.key.address.to_string()] = r.weight;
        CHECK(weights == std::map<std::string, uint32_t>{{"10.1.0.2", 1}, {"10.1.0.3", 1}, {"10.1.0.4", 1}});
        // The same facts reach /metrics.
        auto facts = again.xdp_facts();
        REQUIRE(facts);
        CHECK(facts->pinned_start == PinnedStart::reused);
        CHECK(facts->adopted_services == 2);
        CHECK(facts->adopted_reals == 3);
        // The new model lists the reals in another weight and drops a service.
        auto changed = svc;
        changed.reals.begin()->second.weight = 4;
        auto m = make_model({changed});
        again.apply(diff(Model{}, m));
        for (auto [port, real] : first) {
            PacketSpec more = syn(port);
            more.tcp_flags = tcp_ack;
            CHECK(real_of(run_xdp(again.program_fd(), build_packet(more), net.client_ifindex)) == real);
        }
        PacketSpec dns = syn(5000);
        dns.proto = 17;
        dns.dport = 53;
        CHECK(run_xdp(again.program_fd(), build_packet(dns), net.client_ifindex).action == XDP_PASS);
        CHECK(again.connections().size() == 10);
    } catch (...) {
        if (!dir.empty()) std::system(("rm -rf " + dir).c_str());
        throw;
    }
    CHECK_FALSE(exists(dir));
}

TEST_CASE("attach names the interface and the mode when it fails") {
    TestNetwork net;
    XdpOptions o = test_options();
    o.interfaces = {"no-such-if0"};
    try {
        XdpDataplane dp(o);
        FAIL("attach to a missing interface succeeded");
    } catch (const DataplaneError& e) {
        CHECK(std::string(e.what()).find("no-such-if0: XDP attach failed") != std::string::npos);
    }
}

TEST_CASE("attach and detach in generic and native mode on a veth") {
    TestNetwork net;
    for (auto mode : {XdpOptions::Mode::generic, XdpOptions::Mode::native}) {
        XdpOptions o = test_options();
        o.interfaces = {"cli0"};
        o.mode = mode;
        {
            XdpDataplane dp(o);
            REQUIRE(dp.attachments().size() == 1);
            CHECK(dp.attachments()[0].second == to_string(mode));
            CHECK(net.capture("ip link show cli0").find("prog/xdp") != std::string::npos);
            // The program knows the interface's MAC from the attach (bpf/lib/ingress.h).
            uint32_t key = static_cast<uint32_t>(net.client_ifindex);
            xvs_iface iface{};
            REQUIRE(bpf_map_lookup_elem(dp.map_fd("xvs_ifaces"), &key, &iface) == 0);
            CHECK(std::equal(net.client_if_mac.begin(), net.client_if_mac.end(), iface.mac));
            CHECK(bpf_map_get_next_key(dp.map_fd("xvs_ifaces"), &key, &key) != 0);  // only cli0
        }
        CHECK(net.capture("ip link show cli0").find("prog/xdp") == std::string::npos);
    }
}

TEST_CASE("a deleted interface goes missing with its ifindex's entries and a re-created one gets the program") {
    TestNetwork net;
    XdpOptions o = test_options();
    o.interfaces = {"cli0"};
    o.mode = XdpOptions::Mode::generic;
    XdpDataplane dp(o);
    const uint32_t before = static_cast<uint32_t>(net.client_ifindex);
    CHECK(dp.sync_interfaces().empty());  // nothing changed
    int addrs = dp.map_fd("xvs_iface_addrs");
    xvs_iface_addr addr{};
    REQUIRE(bpf_map_lookup_elem(addrs, &before, &addr) == 0);
    // A queued neighbour resolution and a cached next hop through cli0.
    int pending = dp.map_fd("xvs_pending_neigh");
    xvs_neigh_key neigh{};
    neigh.addr[0] = htonl(0x0a000002);
    neigh.ifindex = before;
    neigh.family = XVS_FAMILY_V4;
    uint64_t first_seen = 1;
    REQUIRE(bpf_map_update_elem(pending, &neigh, &first_seen, BPF_ANY) == 0);
    int hops = dp.map_fd("xvs_hops");
    const size_t hop_stride = (sizeof(xvs_hop) + 7) / 8 * 8;
    std::vector<uint8_t> slot(hop_stride * static_cast<size_t>(libbpf_num_possible_cpus()), 0);
    reinterpret_cast<xvs_hop*>(slot.data())->egress_ifindex = before;
    reinterpret_cast<xvs_hop*>(slot.data())->family = XVS_FAMILY_V4;
    const uint32_t hop_slot = 7;
    REQUIRE(bpf_map_update_elem(hops, &hop_slot, slot.data(), BPF_ANY) == 0);

    net.ip("link del cli0");
    auto notes = dp.sync_interfaces();
    REQUIRE(notes.size() == 1);
    CHECK(notes[0].error);
    CHECK(notes[0].text.find("cli0: no such interface (was ifindex " + std::to_string(before) +
                             ")") == 0);
    CHECK_FALSE(dp.interface_states()[0].attached);
    CHECK(dp.attachments().empty());
    CHECK(bpf_map_lookup_elem(addrs, &before, &addr) != 0);  // the old ifindex's entry went
    CHECK(bpf_map_lookup_elem(pending, &neigh, &first_seen) != 0);
    REQUIRE(bpf_map_lookup_elem(hops, &hop_slot, slot.data()) == 0);
    CHECK(reinterpret_cast<xvs_hop*>(slot.data())->family == 0);  // the slot is empty
    CHECK(dp.sync_interfaces().empty());                      // the loss is logged once

    net.ip("link add cli0 type veth peer name cli1");
    net.ip("link set cli0 up");
    net.ip("addr add 10.0.0.1/24 dev cli0");
    notes = dp.sync_interfaces();
    REQUIRE(notes.size() == 1);
    CHECK_FALSE(notes[0].error);
    InterfaceState now = dp.interface_states()[0];
    CHECK(now.attached);
    CHECK(now.ifindex == if_nametoindex("cli0"));
    CHECK(now.ifindex != before);
    CHECK(now.mode == "generic");
    CHECK(now.reattachments == 1);
    CHECK(net.capture("ip link show cli0").find("prog/xdp") != std::string::npos);
    REQUIRE(bpf_map_lookup_elem(addrs, &now.ifindex, &addr) == 0);
    CHECK(addr.v4 == htonl(0x0a000001));  // 10.0.0.1: the new ifindex's tunnel source

    // The program removed from the same device: attached again.
    net.ip("link set dev cli0 xdpgeneric off");
    notes = dp.sync_interfaces();
    REQUIRE(notes.size() == 1);
    CHECK(notes[0].text.find("it had lost the program") != std::string::npos);
    CHECK(dp.interface_states()[0].reattachments == 2);
    CHECK(dp.attachments().size() == 1);
}
