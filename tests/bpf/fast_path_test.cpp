// The program's fast path: the address filter, the per-CPU next-hop cache and
// the jiffies clock (bpf/lib/filter.h, fwd.h, conn.h).
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sched.h>
#include <time.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "bpf/xdp_fixture.h"
#include "dataplane/xdp/address_filter.h"

namespace xvs::test {
namespace {

bool filter_bit(const XdpFixture& f, uint32_t set, const std::string& address) {
    auto [index, mask] = AddressFilter::position_of({set, ip(address)});
    uint64_t word = 0;
    REQUIRE(bpf_map_lookup_elem(f.dp.map_fd("xvs_addr_filter"), &index, &word) == 0);
    return (word & mask) != 0;
}

TEST_CASE("the address filter holds served VIPs and NAT reals, and loses them with their service") {
    XdpFixture f;
    auto nat = make_service(Protocol::tcp, "10.0.0.100", 80, {make_real("10.1.0.2", 8080, ForwardMethod::masq)});
    auto dr = make_service(Protocol::tcp, "10.0.0.100", 443, {make_real("10.1.0.3", 443, ForwardMethod::gate)});
    f.set(make_model({nat, dr}));
    CHECK(filter_bit(f, XVS_ADDR_FILTER_DST, "10.0.0.100"));
    CHECK(filter_bit(f, XVS_ADDR_FILTER_SRC, "10.1.0.2"));
    CHECK_FALSE(filter_bit(f, XVS_ADDR_FILTER_SRC, "10.1.0.3"));  // DR replies bypass the director

    f.set(make_model({dr}));  // the VIP is still served on 443
    CHECK(filter_bit(f, XVS_ADDR_FILTER_DST, "10.0.0.100"));
    CHECK_FALSE(filter_bit(f, XVS_ADDR_FILTER_SRC, "10.1.0.2"));
    f.set(make_model({}));
    CHECK_FALSE(filter_bit(f, XVS_ADDR_FILTER_DST, "10.0.0.100"));
}

TEST_CASE("a packet whose addresses are not in the filter passes without a table lookup") {
    XdpFixture f;
    f.set(make_model({make_service(Protocol::tcp, "10.0.0.100", 80,
                                   {make_real("10.1.0.2", 80, ForwardMethod::gate)})}));
    REQUIRE(f.send(client_packet("10.0.0.100", 80)).action == XDP_REDIRECT);
    // Clear the VIP's word behind the data plane's back: the packet no longer
    // reaches the connection table, although its flow is there.
    auto [index, mask] = AddressFilter::position_of({XVS_ADDR_FILTER_DST, ip("10.0.0.100")});
    uint64_t zero = 0;
    REQUIRE(bpf_map_update_elem(f.dp.map_fd("xvs_addr_filter"), &index, &zero, BPF_ANY) == 0);
    uint64_t pass_before = f.stat(XVS_STAT_PASS);
    CHECK(f.send(client_packet("10.0.0.100", 80)).action == XDP_PASS);
    CHECK(f.stat(XVS_STAT_PASS) == pass_before + 1);
    // With the bit back, the flow's entry is found again.
    REQUIRE(bpf_map_update_elem(f.dp.map_fd("xvs_addr_filter"), &index, &mask, BPF_ANY) == 0);
    uint64_t new_before = f.stat(XVS_STAT_NEW_CONN);
    CHECK(f.send(client_packet("10.0.0.100", 80)).action == XDP_REDIRECT);
    CHECK(f.stat(XVS_STAT_NEW_CONN) == new_before);
}

TEST_CASE("a restarted data plane rewrites filter words a previous daemon left set") {
    XdpOptions o = test_options();
    o.keep_on_exit = true;
    TestNetwork net;
    {
        XdpDataplane first(o);
        Model m = make_model({make_service(Protocol::tcp, "10.0.0.77", 80,
                                           {make_real("10.1.0.2", 80, ForwardMethod::gate)})});
        first.apply(diff(Model{}, m));
    }
    o.keep_on_exit = false;
    XdpDataplane second(o);
    Model m = make_model({make_service(Protocol::tcp, "10.0.0.100", 80,
                                       {make_real("10.1.0.2", 80, ForwardMethod::gate)})});
    second.apply(diff(Model{}, m));
    auto bit = [&](const std::string& a) {
        auto [index, mask] = AddressFilter::position_of({XVS_ADDR_FILTER_DST, ip(a)});
        uint64_t word = 0;
        REQUIRE(bpf_map_lookup_elem(second.map_fd("xvs_addr_filter"), &index, &word) == 0);
        return (word & mask) != 0;
    };
    CHECK(bit("10.0.0.100"));
    CHECK_FALSE(bit("10.0.0.77"));
}

TEST_CASE("the program caches a next hop in the slot xvs_hop_slot names") {
    PinnedToOneCpu pinned;
    XdpFixture f;
    f.set(make_model({make_service(Protocol::tcp, "fd00::100", 80,
                                   {make_real("fd00:1::2", 80, ForwardMethod::gate)})}));
    REQUIRE(f.send(client_packet("fd00::100", 80)).action == XDP_REDIRECT);
    IpAddress real = ip("fd00:1::2");
    __u32 dst[4];
    std::memcpy(dst, real.bytes.data(), 16);
    __u32 slot = xvs_hop_slot(dst, static_cast<__u32>(f.net.client_ifindex));
    int cpus = libbpf_num_possible_cpus();
    REQUIRE(cpus > 0);
    std::vector<xvs_hop> per_cpu(static_cast<size_t>(cpus));  // 8-byte multiple: no padding
    static_assert(sizeof(xvs_hop) % 8 == 0);
    REQUIRE(bpf_map_lookup_elem(f.dp.map_fd("xvs_hops"), &slot, per_cpu.data()) == 0);
    const xvs_hop& hop = per_cpu[static_cast<size_t>(sched_getcpu())];
    CHECK(hop.family == XVS_FAMILY_V6);
    CHECK(std::memcmp(hop.dst, dst, 16) == 0);
    CHECK(hop.ingress_ifindex == static_cast<__u32>(f.net.client_ifindex));
    CHECK(hop.egress_ifindex == static_cast<__u32>(f.net.real_ifindex));
}

TEST_CASE("a neighbour change reaches the packets once the cached next hop is a second old") {
    PinnedToOneCpu pinned;
    XdpFixture f;
    f.set(make_model({make_service(Protocol::tcp, "10.0.0.100", 80,
                                   {make_real("10.1.0.2", 80, ForwardMethod::gate)})}));
    REQUIRE(real_of(f.send(client_packet("10.0.0.100", 80))) == 2);
    f.net.ip("neigh replace 10.1.0.2 lladdr 02:00:00:00:01:03 dev rs0 nud permanent");
    // Cached: the old MAC for up to XVS_HOP_CACHE_NS.
    CHECK(real_of(f.send(client_packet("10.0.0.100", 80))) == 2);
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    CHECK(real_of(f.send(client_packet("10.0.0.100", 80))) == 3);
}

TEST_CASE("a packet longer than the cached one is checked against the route's MTU") {
    PinnedToOneCpu pinned;
    XdpFixture f;
    f.set(make_model({make_service(Protocol::udp, "10.0.0.100", 53,
                                   {make_real("10.1.0.2", 53, ForwardMethod::gate)})}));
    f.net.ip("link set rs0 mtu 1000");
    PacketSpec small = client_packet("10.0.0.100", 53);
    small.proto = 17;
    small.payload.assign(100, 0x61);
    REQUIRE(f.send(small).action == XDP_REDIRECT);
    PacketSpec big = small;
    big.payload.assign(1200, 0x62);
    CHECK(f.send(big).action == XDP_DROP);
    CHECK(f.stat(XVS_STAT_DROP_FRAG_NEEDED) == 1);
    CHECK(f.send(small).action == XDP_REDIRECT);
}

TEST_CASE("timestamps in the maps are CLOCK_MONOTONIC to within a few ticks") {
    XdpFixture f;
    f.set(make_model({make_service(Protocol::tcp, "10.0.0.100", 80,
                                   {make_real("10.1.0.2", 80, ForwardMethod::gate)})}));
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t before = uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
    REQUIRE(f.send(client_packet("10.0.0.100", 80)).action == XDP_REDIRECT);
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t after = uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
    int fd = f.dp.map_fd("xvs_conns");
    xvs_conn_key key{}, next{};
    REQUIRE(bpf_map_get_next_key(fd, nullptr, &next) == 0);
    key = next;
    xvs_conn c{};
    REQUIRE(bpf_map_lookup_elem(fd, &key, &c) == 0);
    timespec res{};
    clock_getres(CLOCK_MONOTONIC_COARSE, &res);
    const uint64_t tick = uint64_t(res.tv_nsec);
    // jiffies advance when the timekeeping CPU handles its tick; on a shared
    // machine that tick can be late by a few milliseconds, and the stamp lags
    // by as much. The clocks this guards against (jiffies without the offset,
    // boot time, real time) are off by seconds to years.
    const uint64_t late_tick_allowance = 10 * tick;
    INFO("before " << before << " stamp " << c.last_seen_ns << " after " << after << " tick " << tick);
    CHECK(c.last_seen_ns + late_tick_allowance >= before);
    CHECK(c.last_seen_ns <= after + tick);
}

}  // namespace
}  // namespace xvs::test
