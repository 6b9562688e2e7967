// lc, wlc, sed, nq, fo and ovf in the XDP program: for a scripted pattern of
// connections opened, held and closed, each new connection goes to the real
// IPVS's formula picks (net/netfilter/ipvs/ip_vs_lc.c and the others), ties
// and weight-0 reals included. The expected reals are worked out by hand in
// the comments from IPVS's code; the reals are listed 10.1.0.4, .3, .2 (the
// newest first, as IPVS lists destinations added in map order).
#include <catch2/catch.hpp>
#include <vector>

#include "bpf/flow_script.h"

using namespace xvs;
using namespace xvs::test;

namespace {

using Reals = std::vector<int>;

}  // namespace

TEST_CASE("lc picks the least active * 256 + inactive, ignores weights, skips weight 0, ties to the first listed") {
    XdpFixture f;
    f.set(make_model({test_service("lc", {test_real(2, 5), test_real(3, 1), test_real(4, 0)})}));
    FlowScript s(f);
    // .3: 0 / .2: 0 -> .3 (a tie: the first listed); .3: 256 / .2: 0 -> .2;
    // 256 / 256 -> .3.
    CHECK(s.open_each(1000, 3) == Reals{3, 2, 3});
    s.close(1000);  // .3: 1 active, 1 inactive = 257
    // 257 / 256 -> .2 (512); 257 / 512 -> .3 (513); a SYN alone: 513 / 512
    // -> .2 (513); 513 / 513 -> .3.
    CHECK(s.open(1003) == 2);
    CHECK(s.open(1004) == 3);
    CHECK(s.open_half(1005) == 2);
    CHECK(s.open(1006) == 3);
}

TEST_CASE("wlc with equal weights spreads by active * 256 + inactive, a closed flow still counting as inactive") {
    XdpFixture f;
    f.set(make_model({test_service("wlc", {test_real(2, 1), test_real(3, 1), test_real(4, 1)})}));
    FlowScript s(f);
    // All 0 -> .4; .4 busy -> .3; -> .2; all 256 -> .4 (512).
    CHECK(s.open_each(2000, 4) == Reals{4, 3, 2, 4});
    s.close(2000);  // .4: 257
    // .4 257, .3 256 -> .3 (512); .4 257, .2 256 -> .2 (512); then .4.
    CHECK(s.open_each(2004, 3) == Reals{3, 2, 4});
}

TEST_CASE("wlc weighs the overhead by the weight and never picks a weight-0 real") {
    XdpFixture f;
    f.set(make_model({test_service("wlc", {test_real(2, 1), test_real(3, 3), test_real(4, 0)})}));
    FlowScript s(f);
    // Listed .3 (weight 3), .2 (1): a later real wins when loh * its weight >
    // its overhead * the best's weight. 0/0 -> .3; 256*1 > 0 -> .2; 256*1 >
    // 256*3 no -> .3; 512 > 768 no -> .3; 768 > 768 no (tie) -> .3; 1024 > 768
    // -> .2; 1024 > 512*3 no -> .3.
    CHECK(s.open_each(3000, 7) == Reals{3, 2, 3, 3, 3, 2, 3});
}

TEST_CASE("sed compares (active + 1) / weight and ignores inactive flows") {
    XdpFixture f;
    f.set(make_model({test_service("sed", {test_real(2, 1), test_real(3, 3), test_real(4, 0)})}));
    FlowScript s(f);
    // SYNs alone count as inactive only: each sees .3 1/3 against .2 1/1
    // (1 * 1 > 1 * 3 no) -> .3, and changes nothing for the next.
    CHECK(s.open_half(4000) == 3);
    CHECK(s.open_half(4001) == 3);
    CHECK(s.open_half(4002) == 3);
    // .3 (a+1) against .2 (a+1): 1:1, 2:1, 3:1 (3 > 3 no), 4:1 (4 > 3) -> .2;
    // 4:2, 5:2, 6:2 (6 > 6 no), 7:2 (7 > 6) -> .2.
    CHECK(s.open_each(4003, 8) == Reals{3, 3, 3, 2, 3, 3, 3, 2});
}

TEST_CASE("nq sends to the first listed real without active flows, else as sed") {
    XdpFixture f;
    f.set(make_model({test_service("nq", {test_real(2, 1), test_real(3, 3), test_real(4, 0)})}));
    FlowScript s(f);
    // .3 idle -> .3; .3 busy, .2 idle -> .2 (sed would keep .3: 2 * 1 > 1 * 3
    // no); then sed's 2:2 (2 > 6 no) .3, 3:2 .3, 4:2 .3, 5:2 .3, 6:2 (6 > 6
    // no) .3, 7:2 (7 > 6) -> .2.
    CHECK(s.open_each(5000, 8) == Reals{3, 2, 3, 3, 3, 3, 3, 2});
    // .2's two flows close: inactive, and .2 has no active flow: idle again.
    s.close(5001);
    s.close(5007);
    CHECK(s.open(5008) == 2);
}

TEST_CASE("nq takes the first listed idle real even when a later one weighs more") {
    XdpFixture f;
    f.set(make_model({test_service("nq", {test_real(3, 3), test_real(4, 1)})}));
    // Both idle: the first listed (.4), though sed would pick .3 (1 * 3 > 1 * 1).
    CHECK(FlowScript(f).open(5100) == 4);
}

TEST_CASE("fo sends every flow to the first listed real of the highest weight until it is overloaded") {
    XdpFixture f;
    // .3 and .2 both weigh 2: .3 is listed first. .3 is overloaded from 2 flows.
    f.set(make_model({test_service("fo", {test_real(2, 2), test_real(3, 2, 2), test_real(4, 1)})}));
    FlowScript s(f);
    CHECK(s.open_each(6000, 5) == Reals{3, 3, 2, 2, 2});
    // .3's flows expire: below 3/4 of its threshold, it takes them again.
    s.forget({6000, 6001});
    CHECK(s.open(6005) == 3);
}

TEST_CASE("ovf keeps the highest weight while its active flows do not exceed it, then overflows, then drops") {
    XdpFixture f;
    f.set(make_model({test_service("ovf", {test_real(2, 2), test_real(3, 3), test_real(4, 1)})}));
    FlowScript s(f);
    // .3 (3) takes 4 (active 0..3 <= 3), .2 (2) takes 3, .4 (1) takes 2; then
    // every real has more active flows than its weight: no real.
    CHECK(s.open_each(7000, 10) == Reals{3, 3, 3, 3, 2, 2, 2, 4, 4, 0});
    CHECK(f.stat(XVS_STAT_DROP_NO_REAL) == 1);
    // A closed flow is inactive: .3 is back to 3 active.
    s.close(7000);
    CHECK(s.open(7010) == 3);
}

TEST_CASE("a real added later is listed first and wins the ties, as in IPVS") {
    XdpFixture f;
    auto svc = test_service("wlc", {test_real(3, 1)});
    f.set(make_model({svc}));
    FlowScript s(f);
    CHECK(s.open(8000) == 3);
    s.close(8000);
    s.forget({8000});
    // .2 is added now: IPVS lists it before .3, although .2 sorts first.
    svc.reals[test_real(2, 1).key] = test_real(2, 1);
    f.set(make_model({svc}));
    CHECK(s.open(8001) == 2);  // 0 / 0: the first listed
    CHECK(s.open(8002) == 3);
    CHECK(s.open(8003) == 2);
}

TEST_CASE("a weight change re-weighs the live counts at once") {
    XdpFixture f;
    auto svc = test_service("wlc", {test_real(2, 1), test_real(3, 1)});
    f.set(make_model({svc}));
    FlowScript s(f);
    CHECK(s.open_each(9000, 4) == Reals{3, 2, 3, 2});
    // .3 has 512 at weight 1; .2 weighs 3 now, so it takes flows while
    // 512 * 3 > its overhead: at 512, 768, 1024 and 1280; at 1536 it ties
    // and .3, listed first, takes the next.
    svc.reals.at(test_real(2, 1).key).weight = 3;
    f.set(make_model({svc}));
    CHECK(s.open_each(9004, 5) == Reals{2, 2, 2, 2, 3});
}

TEST_CASE("a list read while user space rewrites it takes only reals in use of its own service") {
    XdpFixture f;
    auto web = test_service("wlc", {test_real(2, 1)});
    auto other = make_service(Protocol::tcp, "10.0.0.100", 81, {make_real("10.1.0.3", 81, ForwardMethod::gate)}, "wlc");
    f.set(make_model({web, other}));
    auto web_id = f.dp.service_id(web.key);
    auto mine = f.dp.real_id(web.key, test_real(2, 1).key);
    auto theirs = f.dp.real_id(other.key, other.reals.begin()->first);
    REQUIRE(web_id);
    REQUIRE(mine);
    REQUIRE(theirs);
    // What a racing packet might read: the other service's real first (it
    // would win the tie), an id no real uses, then the service's own real.
    xvs_sched_list mixed{};
    mixed.len = 3;
    mixed.real_ids[0] = *theirs;
    mixed.real_ids[1] = 60;
    mixed.real_ids[2] = *mine;
    REQUIRE(bpf_map_update_elem(f.dp.map_fd("xvs_sched_lists"), &*web_id, &mixed, BPF_EXIST) == 0);
    FlowScript s(f);
    CHECK(s.open_each(9500, 3) == Reals{2, 2, 2});
}
