// The XDP plane serves exactly the schedulers and scheduler flags that
// model/schedulers.h marks xdp (the list the config and xvsadm accept), and
// names the others as unsupported.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "support/xdp_plane_options.h"
#include "dataplane/xdp/sched_table.h"
#include "dataplane/xdp/xdp_dataplane.h"
#include "model/diff.h"
#include "model/schedulers.h"

using namespace xvs;

namespace {

using testing::PinCleanup;

Model one_service(const std::string& scheduler, const std::vector<std::string>& flags) {
    VirtualService svc;
    svc.key = ServiceKey::tcp_udp(Protocol::tcp, *IpAddress::parse("10.0.0.1"), 80);
    svc.scheduler = scheduler;
    svc.scheduler_flags = flags;
    RealServer real;
    real.key = RealKey{*IpAddress::parse("10.0.0.2"), 80};
    svc.reals[real.key] = real;
    Model m;
    m.services[svc.key] = svc;
    return m;
}

}  // namespace

TEST_CASE("the XDP program has a code for exactly the schedulers the list marks xdp") {
    for (const auto& s : known_schedulers) {
        INFO(s.name);
        CHECK(xdp_scheduler(std::string(s.name)).has_value() == s.xdp);
    }
    CHECK_FALSE(xdp_scheduler("newsched"));
}

TEST_CASE("the XDP plane refuses exactly the listed schedulers and flags it does not run, naming them") {
    XdpOptions o;
    o.instance = "schedulers-" + std::to_string(getpid());
    o.connection_table_size = 1024;
    o.persistence_table_size = 1024;
    o.max_reals = 16;
    PinCleanup cleanup{o.pin_root + "/" + o.instance};
    XdpDataplane dp(o);
    for (const auto& s : known_schedulers) {
        std::string name(s.name);
        INFO(name);
        auto problems = dp.unsupported(one_service(name, {}));
        if (s.xdp) {
            CHECK(problems.empty());
        } else {
            REQUIRE(problems.size() == 1);
            CHECK(problems[0] == "TCP  10.0.0.1:80: scheduler " + name +
                                     " is not supported by the XDP data plane (rr, wrr, sh, dh, mh, lc, wlc, "
                                     "sed, nq, fo, ovf are)");
        }
    }
    for (const auto& f : known_scheduler_flags) {
        std::string name(f.name);
        INFO(name);
        auto problems = dp.unsupported(one_service("sh", {name}));
        if (f.xdp) {
            CHECK(problems.empty());
        } else {
            REQUIRE(problems.size() == 1);
            CHECK(problems[0] == "TCP  10.0.0.1:80: scheduler flag " + name + " is not supported by the XDP data plane");
        }
    }
}

namespace {

Model service_of_reals(const std::string& scheduler, int reals, uint32_t weight, uint32_t upper_threshold) {
    Model m = one_service(scheduler, {});
    auto& svc = m.services.begin()->second;
    svc.reals.clear();
    for (int i = 0; i < reals; ++i) {
        RealServer real;
        real.key = RealKey{*IpAddress::parse("10.0." + std::to_string(1 + i / 250) + "." + std::to_string(1 + i % 250)), 80};
        real.weight = real.configured_weight = weight;
        real.upper_threshold = upper_threshold;
        svc.reals[real.key] = real;
    }
    return m;
}

}  // namespace

TEST_CASE("the count schedulers take at most XVS_SCHED_LIST_MAX reals on XDP, the table schedulers more") {
    XdpOptions o;
    o.instance = "sched-bound-" + std::to_string(getpid());
    o.connection_table_size = 1024;
    o.persistence_table_size = 1024;
    o.max_reals = 1024;
    PinCleanup cleanup{o.pin_root + "/" + o.instance};
    XdpDataplane dp(o);
    for (const char* sched : {"lc", "wlc", "sed", "nq", "fo", "ovf"}) {
        INFO(sched);
        CHECK(dp.unsupported(service_of_reals(sched, XVS_SCHED_LIST_MAX, 1, 0)).empty());
        auto problems = dp.unsupported(service_of_reals(sched, XVS_SCHED_LIST_MAX + 1, 1, 0));
        REQUIRE(problems.size() == 1);
        CHECK(problems[0] == "TCP  10.0.0.1:80: scheduler " + std::string(sched) +
                                 " on the XDP data plane takes at most 256 reals (it compares every one for each "
                                 "new flow); this service has 257");
    }
    CHECK(dp.unsupported(service_of_reals("wrr", XVS_SCHED_LIST_MAX + 1, 1, 0)).empty());
    // Applying one is refused too, and leaves nothing programmed.
    CHECK_THROWS_AS(dp.apply(diff(Model{}, service_of_reals("wlc", XVS_SCHED_LIST_MAX + 1, 1, 0))), DataplaneError);
    CHECK(dp.status().empty());
}

TEST_CASE("thresholds with rr or wrr need a table of at most XVS_SCHED_SKIP_MAX slots") {
    XdpOptions o;
    o.instance = "sched-skip-" + std::to_string(getpid());
    o.connection_table_size = 1024;
    o.persistence_table_size = 1024;
    o.max_reals = 1024;
    PinCleanup cleanup{o.pin_root + "/" + o.instance};
    XdpDataplane dp(o);
    CHECK(dp.unsupported(service_of_reals("rr", XVS_SCHED_SKIP_MAX, 1, 5)).empty());
    auto rr = dp.unsupported(service_of_reals("rr", XVS_SCHED_SKIP_MAX + 1, 1, 5));
    REQUIRE(rr.size() == 1);
    CHECK(rr[0] == "TCP  10.0.0.1:80: connection thresholds with scheduler rr on the XDP data plane need a table of "
                   "at most 256 slots (it passes over overloaded reals in it); this service's has 257");
    // wrr's cycle is the weights over their gcd: 2 reals of weight 200 make 2 slots.
    CHECK(dp.unsupported(service_of_reals("wrr", 2, 200, 5)).empty());
    Model uneven = service_of_reals("wrr", 2, 200, 5);
    uneven.services.begin()->second.reals.begin()->second.weight = 57;  // gcd 1: 257 slots
    auto wrr = dp.unsupported(uneven);
    REQUIRE(wrr.size() == 1);
    CHECK(wrr[0].ends_with("this service's has 257"));
    // Without thresholds nothing is skipped, so any table is fine.
    CHECK(dp.unsupported(service_of_reals("rr", XVS_SCHED_SKIP_MAX + 1, 1, 0)).empty());
    // Other schedulers try XVS_SCHED_SKIP_MAX slots at most, in a table of any size.
    CHECK(dp.unsupported(service_of_reals("mh", XVS_SCHED_SKIP_MAX + 1, 1, 5)).empty());
}

TEST_CASE("the XDP plane serves persistence engine sip on UDP services only, naming the others") {
    VirtualService svc;
    svc.key = ServiceKey::tcp_udp(Protocol::udp, *IpAddress::parse("10.0.0.1"), 5060);
    svc.scheduler = "rr";
    svc.persistence = {60, 32, pe_sip};
    CHECK(xdp_service_problems(svc).empty());
    svc.key.protocol = Protocol::tcp;
    CHECK(xdp_service_problems(svc) ==
          std::vector<std::string>{"TCP  10.0.0.1:5060: persistence engine sip is supported by the XDP data "
                                   "plane only on UDP services"});
    VirtualService mark = svc;
    mark.key = ServiceKey::mark(7, Family::v4);
    mark.matches = {{Protocol::udp, *IpAddress::parse("10.0.0.1"), 5060}};
    CHECK(xdp_service_problems(mark).size() == 1);
}
