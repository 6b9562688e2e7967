// Connection thresholds (real=... u:N l:N, ipvsadm -x / -y) in the XDP
// program, as IPVS's overload flag: a real stops taking new flows when a new
// entry brings its active + inactive flows to the upper threshold, and takes
// them again once they fall below the lower threshold (3/4 of the upper one
// without a lower), here when the sweeper deletes expired entries. Every
// scheduler skips or refuses an overloaded real as its IPVS namesake does.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "bpf/flow_script.h"
#include "bpf/pinned_cpu.h"

using namespace xvs;
using namespace xvs::test;

namespace {

using Reals = std::vector<int>;

bool overloaded(const XdpFixture& f, const VirtualService& svc, int real) {
    auto id = f.dp.real_id(svc.key, test_real(real, 1).key);
    REQUIRE(id);
    xvs_real_conns n{};
    REQUIRE(bpf_map_lookup_elem(f.dp.map_fd("xvs_real_conns"), &*id, &n) == 0);
    return n.overloaded != 0;
}

}  // namespace

TEST_CASE("an upper threshold alone stops a real at u flows and resumes it below 3/4 of u") {
    PinnedToOneCpu pin;
    XdpFixture f;
    auto svc = test_service("rr", {test_real(2, 1, 4), test_real(3, 1)});
    f.set(make_model({svc}));
    FlowScript s(f);
    // rr alternates until .2's fourth flow (the 7th) overloads it; then rr's
    // turns of .2 go to the next real, .3.
    CHECK(s.open_each(100, 10) == Reals{2, 3, 2, 3, 2, 3, 2, 3, 3, 3});
    CHECK(overloaded(f, svc, 2));
    // 3 flows left: 3 * 4 < 4 * 3 does not hold, still overloaded.
    s.forget({100});
    CHECK(s.open(110) == 3);
    // 2 left: below 3/4 of 4, .2 takes its turns again until 4 once more.
    s.forget({102});
    CHECK(s.open_each(111, 5) == Reals{2, 3, 2, 3, 3});
}

TEST_CASE("upper and lower thresholds: stopped at u, resumed only below l") {
    PinnedToOneCpu pin;
    XdpFixture f;
    auto svc = test_service("rr", {test_real(2, 1, 3, 1), test_real(3, 1)});
    f.set(make_model({svc}));
    FlowScript s(f);
    CHECK(s.open_each(200, 7) == Reals{2, 3, 2, 3, 2, 3, 3});
    // 2 and then 1 flow left are not below l = 1 (3/4 of u would have
    // resumed it at 2).
    s.forget({200});
    CHECK(s.open(207) == 3);
    s.forget({202});
    CHECK(s.open(208) == 3);
    s.forget({204});
    CHECK(s.open(210) == 2);
    CHECK_FALSE(overloaded(f, svc, 2));  // cleared by the scheduler that looked
}

TEST_CASE("an edit that raises the upper threshold clears the flag at once, one that lowers it keeps it") {
    PinnedToOneCpu pin;
    XdpFixture f;
    auto svc = test_service("rr", {test_real(2, 1, 2, 1), test_real(3, 1)});
    f.set(make_model({svc}));
    FlowScript s(f);
    CHECK(s.open_each(300, 5) == Reals{2, 3, 2, 3, 3});
    const RealKey two = test_real(2, 1).key;
    svc.reals.at(two).upper_threshold = 1;
    f.set(make_model({svc}));
    CHECK(overloaded(f, svc, 2));
    CHECK(s.open(305) == 3);
    // 2 flows are not below l = 1, yet IPVS's edit clears the flag: u rose.
    svc.reals.at(two).upper_threshold = 10;
    f.set(make_model({svc}));
    CHECK_FALSE(overloaded(f, svc, 2));
    CHECK(s.open(306) == 2);
}

TEST_CASE("removing a real's thresholds lets it take new flows at once") {
    PinnedToOneCpu pin;
    XdpFixture f;
    auto svc = test_service("rr", {test_real(2, 1, 1, 1), test_real(3, 1)});
    f.set(make_model({svc}));
    FlowScript s(f);
    CHECK(s.open_each(400, 3) == Reals{2, 3, 3});
    svc.reals.at(test_real(2, 1).key).upper_threshold = 0;
    svc.reals.at(test_real(2, 1).key).lower_threshold = 0;
    f.set(make_model({svc}));
    CHECK(s.open_each(403, 2) == Reals{2, 3});
}

TEST_CASE("wrr passes over an overloaded real's slots to the next real in its order") {
    PinnedToOneCpu pin;
    XdpFixture f;
    // wrr's order for weights 2, 1 is .2 .2 .3.
    f.set(make_model({test_service("wrr", {test_real(2, 2, 2), test_real(3, 1)})}));
    FlowScript s(f);
    CHECK(s.open_each(500, 5) == Reals{2, 2, 3, 3, 3});
}

TEST_CASE("sh, mh and dh refuse a new flow whose real is overloaded, sh and mh with -fallback take another") {
    for (std::string sched : {"sh", "mh", "dh"}) {
        for (bool fallback : {false, true}) {
            if (sched == "dh" && fallback) continue;  // dh has no fallback flag
            DYNAMIC_SECTION(sched << (fallback ? " with fallback" : "")) {
                XdpFixture f;
                auto svc = test_service(sched, {test_real(2, 1, 1), test_real(3, 1, 1)});
                if (fallback) svc.scheduler_flags = {sched + "-fallback"};
                f.set(make_model({svc}));
                FlowScript s(f);
                // One client: the hash names one real, overloaded by the first flow.
                int first = s.open(600);
                REQUIRE(first != 0);
                if (fallback) {
                    CHECK(s.open(601) == (first == 2 ? 3 : 2));
                    CHECK(s.open(602) == 0);  // both overloaded
                } else {
                    CHECK(s.open(601) == 0);
                }
                CHECK(f.stat(XVS_STAT_DROP_NO_REAL) == 1);
            }
        }
    }
}

TEST_CASE("a persistent client's new flow settles the flag of a real whose flows expired, as IPVS's unbinds did") {
    PinnedToOneCpu pin;
    XdpFixture f;
    auto svc = test_service("rr", {test_real(2, 1, 4), test_real(3, 1)});
    svc.persistence = {300, 32};
    f.set(make_model({svc}));
    FlowScript s(f);
    // 10.0.0.2 is scheduled to .2; its template keeps it there: 4 flows, overloaded.
    for (uint16_t port = 700; port < 704; ++port) CHECK(s.open(port) == 2);
    CHECK(overloaded(f, svc, 2));
    CHECK(s.open(710, "10.0.0.3") == 3);  // rr's turn of .3
    CHECK(s.open(711, "10.0.0.4") == 3);  // rr's turn of .2, overloaded: .3
    // Two of .2's flows expire (2 left: below 3/4 of 4) and no scheduler
    // looks; then the persistent client opens a third. IPVS cleared the flag
    // at the second unbind, and 3 flows do not set it again.
    s.forget({700, 701});
    CHECK(s.open(704) == 2);
    CHECK_FALSE(overloaded(f, svc, 2));
    CHECK(s.open(712, "10.0.0.5") == 2);  // rr's turn of .2: taken
}

TEST_CASE("lower above upper is refused, as IPVS refuses it") {
    XdpFixture f;
    auto svc = test_service("rr", {test_real(2, 1, 2, 3)});
    auto problems = f.dp.unsupported(make_model({svc}));
    REQUIRE(problems.size() == 1);
    CHECK(problems[0] ==
          "TCP  10.0.0.100:80: real 10.1.0.2:80: lower threshold 3 is higher than upper threshold 2 (IPVS refuses it too)");
    CHECK_THROWS_AS(f.set(make_model({svc})), DataplaneError);
}
