// xvsadm -Z -t|-u|-f on the XDP plane: one service's counters and its reals'
// are cleared, every other counter keeps counting.
#include <catch2/catch.hpp>

#include "bpf/xdp_fixture.h"

using namespace xvs;
using namespace xvs::test;

namespace {

const ServiceStatus& status_of(const std::vector<ServiceStatus>& all, const ServiceKey& key) {
    for (const auto& s : all)
        if (s.key == key) return s;
    FAIL("service " << key.to_string() << " is not listed");
    throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("zeroing one XDP service clears it and its reals, not the other service") {
    XdpFixture f;
    auto web = make_service(Protocol::tcp, "10.0.0.100", 80,
                            {make_real("10.1.0.2", 80, ForwardMethod::gate),
                             make_real("10.1.0.3", 80, ForwardMethod::gate)});
    auto mail = make_service(Protocol::tcp, "10.0.0.101", 25,
                             {make_real("10.1.0.4", 25, ForwardMethod::gate)});
    f.set(make_model({web, mail}));
    for (uint16_t port = 40000; port < 40004; ++port) {
        auto to_web = client_packet("10.0.0.100", 80);
        to_web.sport = port;
        REQUIRE(xdp_action_name(f.send(to_web).action) == std::string("XDP_REDIRECT"));
    }
    REQUIRE(xdp_action_name(f.send(client_packet("10.0.0.101", 25)).action) ==
            std::string("XDP_REDIRECT"));
    auto before = f.dp.status();
    REQUIRE(status_of(before, web.key).counters.connections == 4);
    REQUIRE(status_of(before, mail.key).counters.connections == 1);

    f.dp.zero_service_counters(web.key);

    auto after = f.dp.status();
    const auto& zeroed = status_of(after, web.key);
    CHECK(zeroed.counters.connections == 0);
    CHECK(zeroed.counters.packets_in == 0);
    CHECK(zeroed.counters.bytes_in == 0);
    REQUIRE(zeroed.reals.size() == 2);
    for (const auto& r : zeroed.reals) {
        CHECK(r.counters.connections == 0);
        CHECK(r.counters.packets_in == 0);
    }
    const auto& kept = status_of(after, mail.key);
    CHECK(kept.counters.connections == 1);
    CHECK(kept.counters.packets_in == 1);
    REQUIRE(kept.reals.size() == 1);
    CHECK(kept.reals[0].counters.connections == 1);
    // The totals of the program are not a service's: they stay.
    CHECK(f.stat(XVS_STAT_REDIRECT) == 5);
}

TEST_CASE("zeroing a service XDP does not serve is refused with No such service") {
    XdpFixture f;
    f.set(make_model({make_service(Protocol::tcp, "10.0.0.100", 80,
                                   {make_real("10.1.0.2", 80, ForwardMethod::gate)})}));
    CHECK_THROWS_WITH(
        f.dp.zero_service_counters(ServiceKey::tcp_udp(Protocol::udp, ip("10.0.0.100"), 80)),
        Catch::EndsWith("No such service"));
}
