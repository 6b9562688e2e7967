// The tables of the count schedulers (lc, wlc, sed, nq, fo, ovf): the reals
// of weight > 0 in the order IPVS lists a service's destinations, the newest
// first; and the rule by which an edit of a real clears its overload flag.
#include <catch2/catch.hpp>

#include "dataplane/xdp/overload_flags.h"
#include "dataplane/xdp/sched_table.h"

using namespace xvs;

namespace {

VirtualService service(const std::string& scheduler, const std::vector<uint32_t>& weights) {
    VirtualService svc;
    svc.key = ServiceKey::tcp_udp(Protocol::tcp, *IpAddress::parse("10.0.0.1"), 80);
    svc.scheduler = scheduler;
    for (size_t i = 0; i < weights.size(); ++i) {
        RealServer real;
        real.key = RealKey{*IpAddress::parse("10.0.1." + std::to_string(i + 1)), 80};
        real.weight = real.configured_weight = weights[i];
        svc.reals[real.key] = real;
    }
    return svc;
}

}  // namespace

TEST_CASE("IPVS lists a service's reals newest first") {
    CHECK(ipvs_list_order({0, 1, 2}) == std::vector<uint32_t>{2, 1, 0});
    // A real added later (7) comes before those of the service's creation.
    CHECK(ipvs_list_order({3, 7, 4, 5}) == std::vector<uint32_t>{1, 3, 2, 0});
    CHECK(ipvs_list_order({}).empty());
}

TEST_CASE("a count scheduler's table is its reals of weight > 0 in IPVS's list order") {
    const std::vector<uint32_t> ids{10, 11, 12, 13};
    for (const char* sched : {"lc", "wlc", "sed", "nq", "fo", "ovf"}) {
        INFO(sched);
        // Added in map order: listed last to first, the weight-0 one left out.
        CHECK(build_sched_table(service(sched, {1, 0, 5, 2}), ids, {0, 1, 2, 3}) ==
              std::vector<uint32_t>{13, 12, 10});
        // The second real was added last: it leads.
        CHECK(build_sched_table(service(sched, {1, 1, 1, 1}), ids, {0, 9, 2, 3}) ==
              std::vector<uint32_t>{11, 13, 12, 10});
        CHECK(build_sched_table(service(sched, {0, 0, 0, 0}), ids, {0, 1, 2, 3}).empty());
    }
    // The table schedulers keep their own order whatever the additions.
    CHECK(build_sched_table(service("rr", {1, 1, 1, 1}), ids, {3, 2, 1, 0}) == ids);
}

TEST_CASE("build_sched_table refuses ids or additions that do not match the reals") {
    CHECK_THROWS_AS(build_sched_table(service("wlc", {1, 1}), {10}, {0, 1}), std::invalid_argument);
    CHECK_THROWS_AS(build_sched_table(service("wlc", {1, 1}), {10, 11}, {0}), std::invalid_argument);
}

TEST_CASE("exactly lc, wlc, sed, nq, fo and ovf schedule by connection counts") {
    for (const char* name : {"lc", "wlc", "sed", "nq", "fo", "ovf"}) CHECK(schedules_by_counts(*xdp_scheduler(name)));
    for (const char* name : {"rr", "wrr", "sh", "dh", "mh"}) CHECK_FALSE(schedules_by_counts(*xdp_scheduler(name)));
}

TEST_CASE("an edit clears the overload flag when it removes or raises the upper threshold, as IPVS's does") {
    CHECK(edit_clears_overload(5, 0));
    CHECK(edit_clears_overload(5, 6));
    CHECK_FALSE(edit_clears_overload(5, 5));
    CHECK_FALSE(edit_clears_overload(5, 4));
    CHECK(edit_clears_overload(0, 0));
}
