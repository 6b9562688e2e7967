// Which real a flow goes to: schedulers, the connection table, persistence,
// weight changes, quiescent and removed reals.
#include <bpf/bpf.h>
#include <sched.h>

#include <catch2/catch.hpp>
#include <map>

#include "bpf/pinned_cpu.h"
#include "bpf/xdp_fixture.h"

using namespace xvs;
using namespace xvs::test;

namespace {

PacketSpec flow(uint16_t sport, uint16_t dport = 80, const std::string& client = "10.0.0.2",
                const std::string& vip = "10.0.0.100") {
    PacketSpec s;
    s.src = ip(client);
    s.dst = ip(vip);
    s.sport = sport;
    s.dport = dport;
    s.tcp_flags = tcp_syn;
    return s;
}

PacketSpec ack(PacketSpec s) {
    s.tcp_flags = tcp_ack;
    return s;
}

VirtualService two_reals(uint32_t w2, uint32_t w3, const std::string& sched = "wrr") {
    return make_service(Protocol::tcp, "10.0.0.100", 80,
                        {make_real("10.1.0.2", 80, ForwardMethod::gate, w2),
                         make_real("10.1.0.3", 80, ForwardMethod::gate, w3)},
                        sched);
}

}  // namespace

TEST_CASE("wrr spreads new flows 1:2 over reals of weight 1 and 2") {
    PinnedToOneCpu pin;
    XdpFixture f;
    f.set(make_model({two_reals(1, 2)}));
    std::map<int, int> hits;
    for (uint16_t i = 0; i < 300; ++i) hits[real_of(f.send(flow(10000 + i)))]++;
    CHECK(hits[2] == 100);
    CHECK(hits[3] == 200);
    CHECK(hits[0] == 0);
    f.dp.census_now();  // status() reads connection counts from the last census
    auto st = f.dp.status().at(0);
    CHECK(st.counters.connections == 300);
    CHECK(st.reals.at(0).counters.connections == 100);
    CHECK(st.reals.at(0).inactive_connections == 100);  // SYN only: not yet established
}

TEST_CASE("rr alternates regardless of weights") {
    PinnedToOneCpu pin;
    XdpFixture f;
    f.set(make_model({two_reals(1, 5, "rr")}));
    std::map<int, int> hits;
    for (uint16_t i = 0; i < 10; ++i) hits[real_of(f.send(flow(10000 + i)))]++;
    CHECK(hits[2] == 5);
    CHECK(hits[3] == 5);
}

TEST_CASE("an established flow keeps its real across weight changes and added reals") {
    XdpFixture f;
    f.set(make_model({two_reals(1, 1)}));
    std::map<uint16_t, int> first;
    for (uint16_t port = 20000; port < 20010; ++port) {
        first[port] = real_of(f.send(flow(port)));
        REQUIRE(first[port] != 0);
    }
    auto changed = two_reals(1, 7);
    changed.reals[RealKey{ip("10.1.0.4"), 80}] = make_real("10.1.0.4", 80, ForwardMethod::gate, 9);
    f.set(make_model({changed}));
    for (auto [port, real] : first) CHECK(real_of(f.send(ack(flow(port)))) == real);
    auto conns = f.dp.connections();
    CHECK(conns.size() == 10);
    for (const auto& c : conns) CHECK(c.state == "ESTABLISHED");
    f.dp.census_now();
    auto st = f.dp.status().at(0);
    uint32_t active = 0;
    for (const auto& r : st.reals) active += r.active_connections;
    CHECK(active == 10);
}

TEST_CASE("a quiescent real gets no new flows but keeps its established ones") {
    PinnedToOneCpu pin;
    XdpFixture f;
    f.set(make_model({two_reals(1, 1, "rr")}));
    uint16_t on_two = 0;
    for (uint16_t port = 30000; port < 30004; ++port)
        if (real_of(f.send(flow(port))) == 2) on_two = port;
    REQUIRE(on_two != 0);
    f.set(make_model({two_reals(0, 1, "rr")}));
    for (uint16_t port = 31000; port < 31020; ++port) CHECK(real_of(f.send(flow(port))) == 3);
    CHECK(real_of(f.send(ack(flow(on_two)))) == 2);
}

TEST_CASE("flows of a removed real go to the remaining reals once their client reconnects, with expire_nodest_conn=1") {
    XdpFixture f;
    f.set(make_model({two_reals(1, 1)}));
    f.dp.set_behaviour(IpvsBehaviour{.expire_nodest_conn = true});
    std::vector<uint16_t> on_two;
    for (uint16_t port = 32000; port < 32010; ++port)
        if (real_of(f.send(flow(port))) == 2) on_two.push_back(port);
    REQUIRE(!on_two.empty());
    f.set(make_model({make_service(Protocol::tcp, "10.0.0.100", 80,
                                   {make_real("10.1.0.3", 80, ForwardMethod::gate, 1)})}));
    // The next packet is dropped and its entry deleted; the client's
    // retransmitted SYN is scheduled to the real that is left.
    for (uint16_t port : on_two) CHECK(f.send(ack(flow(port))).action == XDP_DROP);
    for (uint16_t port : on_two) CHECK(real_of(f.send(flow(port))) == 3);
    for (const auto& c : f.dp.connections()) CHECK(c.real == ip("10.1.0.3"));
}

TEST_CASE("a service whose reals all have weight 0 drops new flows instead of passing them") {
    XdpFixture f;
    f.set(make_model({two_reals(0, 0)}));
    CHECK(f.send(flow(1234)).action == XDP_DROP);
    CHECK(f.stat(XVS_STAT_DROP_NO_REAL) == 1);
}

TEST_CASE("a SYN reusing the ports of a reset flow is scheduled afresh") {
    PinnedToOneCpu pin;
    XdpFixture f;
    f.set(make_model({two_reals(1, 1, "rr")}));
    int first = real_of(f.send(flow(33000)));
    PacketSpec rst = ack(flow(33000));
    rst.tcp_flags = tcp_rst | tcp_ack;
    CHECK(real_of(f.send(rst)) == first);
    CHECK(f.dp.connections().at(0).state == "CLOSE");
    int second = real_of(f.send(flow(33000)));
    CHECK(second != 0);
    CHECK(second != first);  // rr moved on: the flow was scheduled, not looked up
    CHECK(f.dp.connections().at(0).state == "SYN_RECV");
}

TEST_CASE("sh, dh and mh send a client to the same real for every port") {
    for (const char* sched : {"sh", "mh", "dh"}) {
        DYNAMIC_SECTION(sched) {
            XdpFixture f;
            auto svc = two_reals(1, 1, sched);
            svc.reals[RealKey{ip("10.1.0.4"), 80}] = make_real("10.1.0.4", 80, ForwardMethod::gate, 1);
            f.set(make_model({svc}));
            std::map<int, int> per_client_real;
            std::map<int, int> hits;
            for (int client = 2; client < 60; ++client) {
                std::string addr = "10.0.0." + std::to_string(client);
                int real = real_of(f.send(flow(40000, 80, addr)));
                REQUIRE(real != 0);
                for (uint16_t port = 40001; port < 40004; ++port)
                    CHECK(real_of(f.send(flow(port, 80, addr))) == real);
                hits[real]++;
            }
            if (std::string(sched) == "dh") {
                CHECK(hits.size() == 1);  // one destination: one real
            } else {
                CHECK(hits.size() == 3);  // 58 clients reach every real
            }
        }
    }
}

TEST_CASE("mh-port hashes the source port too") {
    XdpFixture f;
    auto svc = two_reals(1, 1, "mh");
    svc.scheduler_flags = {"mh-port"};
    f.set(make_model({svc}));
    std::map<int, int> hits;
    for (uint16_t port = 40000; port < 40064; ++port) hits[real_of(f.send(flow(port)))]++;
    CHECK(hits[2] > 0);
    CHECK(hits[3] > 0);
}

TEST_CASE("persistence keeps a client on one real across the ports of a fwmark service") {
    XdpFixture f;
    VirtualService svc;
    svc.key = ServiceKey::mark(100, Family::v4);
    svc.scheduler = "rr";
    svc.persistence = {360, 32};
    svc.matches = {{Protocol::tcp, ip("10.0.0.105"), 80}, {Protocol::tcp, ip("10.0.0.105"), 8080}};
    for (auto r : {make_real("10.1.0.2", 0, ForwardMethod::masq, 1),
                   make_real("10.1.0.3", 0, ForwardMethod::masq, 2)})
        svc.reals[r.key] = r;
    f.set(make_model({svc}));
    for (int client = 2; client < 8; ++client) {
        std::string addr = "10.0.0." + std::to_string(client);
        int real = real_of(f.send(flow(50000, 80, addr, "10.0.0.105")));
        REQUIRE(real != 0);
        for (uint16_t port = 50001; port < 50005; ++port) {
            CHECK(real_of(f.send(flow(port, 8080, addr, "10.0.0.105"))) == real);
            CHECK(real_of(f.send(flow(port, 80, addr, "10.0.0.105"))) == real);
        }
    }
    CHECK(f.send(flow(50000, 81, "10.0.0.2", "10.0.0.105")).action == XDP_PASS);
    size_t templates = 0;
    for (const auto& c : f.dp.connections()) templates += c.is_template;
    CHECK(templates == 6);
    CHECK(f.stat(XVS_STAT_PERSIST_HIT) == 6 * 8);
}

TEST_CASE("a persistence template expires after its timeout without traffic") {
    PinnedToOneCpu pin;
    XdpFixture f;
    auto svc = two_reals(1, 1, "rr");
    svc.persistence = {30, 32};
    f.set(make_model({svc}));
    int first = real_of(f.send(flow(51000)));
    CHECK(real_of(f.send(flow(51001))) == first);
    // Age the template by more than the timeout.
    int fd = f.dp.map_fd("xvs_persist");
    xvs_persist_key key{};
    REQUIRE(bpf_map_get_next_key(fd, nullptr, &key) == 0);
    xvs_persist value{};
    REQUIRE(bpf_map_lookup_elem(fd, &key, &value) == 0);
    value.last_seen_ns -= 31 * XVS_NS_PER_SEC;
    REQUIRE(bpf_map_update_elem(fd, &key, &value, BPF_EXIST) == 0);
    int after = real_of(f.send(flow(51002)));
    CHECK(after != 0);
    CHECK(after != first);  // rr's next real: scheduled, not from the template
}

TEST_CASE("a persistence template keeps sending a client to a quiescent real") {
    XdpFixture f;
    auto svc = two_reals(1, 1);
    svc.persistence = {300, 24};
    f.set(make_model({svc}));
    int first = real_of(f.send(flow(52000)));
    REQUIRE(first != 0);
    auto quiesced = svc;
    for (auto& [k, r] : quiesced.reals)
        if (k.address == ip(first == 2 ? "10.1.0.2" : "10.1.0.3")) r.weight = 0;
    quiesced.persistence = svc.persistence;
    f.set(make_model({quiesced}));
    // Same /24: same template, as IPVS does with expire_quiescent_template=0.
    CHECK(real_of(f.send(flow(52001, 80, "10.0.0.77"))) == first);

    // expire_quiescent_template=1: the template to the quiescent real is
    // stale for the client's next connection, which goes to the other real;
    // the connection that exists keeps its real.
    f.dp.set_behaviour(IpvsBehaviour{.expire_quiescent_template = true});
    int other = real_of(f.send(flow(52002, 80, "10.0.0.78")));
    CHECK(other != 0);
    CHECK(other != first);
    CHECK(real_of(f.send(flow(52003, 80, "10.0.0.79"))) == other);  // the new template
    CHECK(real_of(f.send(flow(52000))) == first);                   // its flow entry stands
}

TEST_CASE("one-packet scheduling makes no connection entry for UDP") {
    PinnedToOneCpu pin;
    XdpFixture f;
    auto svc = make_service(Protocol::udp, "10.0.0.100", 53,
                            {make_real("10.1.0.2", 53, ForwardMethod::gate),
                             make_real("10.1.0.3", 53, ForwardMethod::gate)},
                            "rr");
    svc.one_packet = true;
    f.set(make_model({svc}));
    PacketSpec dgram = flow(5353, 53);
    dgram.proto = 17;
    int a = real_of(f.send(dgram));
    int b = real_of(f.send(dgram));
    CHECK(a != b);
    CHECK(f.dp.connections().empty());
}
