// ipvsadm --set on the XDP plane: the timeouts written into xvs_config decide
// when the program takes a flow's entry for stale (its next packet is then
// scheduled afresh), at once for existing entries, and what the listing
// counts down from; a 0 keeps a value, as IPVS_CMD_SET_CONFIG does.
#include <catch2/catch.hpp>

#include "bpf/xdp_fixture.h"

using namespace xvs;
using namespace xvs::test;

namespace {

PacketSpec tcp(uint16_t sport, uint8_t flags) {
    PacketSpec s = client_packet("10.0.0.100", 80);
    s.sport = sport;
    s.tcp_flags = flags;
    return s;
}

// rr over two reals: a flow scheduled afresh lands on the other real than
// the previous pick, so "which real" tells a kept entry from a new one.
struct TwoReals {
    XdpFixture f;
    TwoReals() {
        auto web = make_service(Protocol::tcp, "10.0.0.100", 80,
                                {make_real("10.1.0.2", 80, ForwardMethod::gate),
                                 make_real("10.1.0.3", 80, ForwardMethod::gate)},
                                "rr");
        auto dns = make_service(Protocol::udp, "10.0.0.100", 53,
                                {make_real("10.1.0.2", 53, ForwardMethod::gate),
                                 make_real("10.1.0.3", 53, ForwardMethod::gate)},
                                "rr");
        f.set(make_model({web, dns}));
    }
    void age(uint64_t seconds) {
        age_all<xvs_conn_key, xvs_conn>(f.dp.map_fd("xvs_conns"), seconds * XVS_NS_PER_SEC);
    }
};

}  // namespace

TEST_CASE(
    "ipvsadm --set tcp decides when an established flow's entry is stale, for flows that exist already") {
    TwoReals t;
    CHECK(t.f.dp.timeouts() == ConnectionTimeouts{900, 120, 300});
    int first = real_of(t.f.send(tcp(31000, tcp_syn)));
    REQUIRE(first != 0);
    REQUIRE(real_of(t.f.send(tcp(31000, tcp_ack))) == first);

    t.f.dp.set_timeouts({100, 0, 0});  // 0: tcpfin and udp stay
    CHECK(t.f.dp.timeouts() == ConnectionTimeouts{100, 120, 300});
    // The listing counts down from the new value.
    auto listed = t.f.dp.connections();
    REQUIRE(listed.size() == 1);
    CHECK(listed[0].expires_in_seconds <= 100);
    CHECK(listed[0].expires_in_seconds >= 98);

    t.age(99);
    CHECK(real_of(t.f.send(tcp(31000, tcp_ack))) == first);  // alive: 99 s < 100 s
    t.age(101);
    CHECK(real_of(t.f.send(tcp(31000, tcp_ack))) != first);  // stale: scheduled afresh
}

TEST_CASE(
    "ipvsadm --set tcpfin and udp decide for flows after their FIN and for UDP flows, IPVS's defaults "
    "without") {
    TwoReals t;
    int tcp_real = real_of(t.f.send(tcp(32000, tcp_syn)));
    t.f.send(tcp(32000, tcp_ack));
    t.f.send(tcp(32000, tcp_fin | tcp_ack));
    PacketSpec dns = client_packet("10.0.0.100", 53, 17);
    dns.sport = 40000;
    int udp_real = real_of(t.f.send(dns));
    REQUIRE(tcp_real != 0);
    REQUIRE(udp_real != 0);

    t.age(119);  // IPVS's 120 s after a FIN, 300 s for UDP
    CHECK(real_of(t.f.send(tcp(32000, tcp_ack))) == tcp_real);
    CHECK(real_of(t.f.send(dns)) == udp_real);

    t.f.dp.set_timeouts({0, 10, 20});
    CHECK(t.f.dp.timeouts() == ConnectionTimeouts{900, 10, 20});
    t.age(11);
    CHECK(real_of(t.f.send(tcp(32000, tcp_ack))) != tcp_real);  // past tcpfin's 10 s
    CHECK(real_of(t.f.send(dns)) == udp_real);                  // within udp's 20 s
    t.age(21);
    CHECK(real_of(t.f.send(dns)) != udp_real);
}
