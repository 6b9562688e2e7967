// More checks due than slots: every check still gets its turn, in the order
// the checks became due.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <memory>

#include "health/health_checker.h"
#include "local_servers.h"

using namespace xvs;
using namespace xvs::test;

TEST_CASE("with few slots and always-due checks every real is checked, in turn", "[fairness]") {
    constexpr size_t listener_count = 20, address_count = 100;  // 2000 distinct (address, port)
    auto servers = std::make_unique<AcceptCloseServers>(listener_count);
    std::vector<std::pair<SubscriberId, CheckSpec>> checks;
    for (size_t a = 0; a < address_count; ++a) {
        for (size_t l = 0; l < listener_count; ++l) {
            CheckSpec spec;
            spec.type = CheckSpec::Type::connect;
            spec.address = IpAddress::v4(0x7f000001u + static_cast<uint32_t>(a) * 256);  // 127.0.x.1
            spec.port = servers->ports()[l];
            // Far shorter than a sweep over 2000 checks through 4 slots takes:
            // every check is due again as soon as it finishes, so the slots
            // are always contended.
            spec.interval_s = 0.001;
            spec.timeout_s = 5;
            checks.emplace_back(a * listener_count + l, spec);
        }
    }
    HealthChecker::Options options;
    options.max_in_flight = 4;
    HealthChecker checker(options);
    checker.set_checks(checks);
    checker.start();
    ChangeLog log(checker);

    // Every subscriber gets its first result: no check waits for ever while
    // others hold the slots.
    std::map<SubscriberId, bool> first;
    bool all_checked = log.wait([&](const ChangeLog& l) {
        for (const auto& c : l.all())
            if (c.first) first[c.subscriber] = c.up;
        return first.size() == checks.size();
    }, 30);
    INFO(first.size() << " of " << checks.size() << " reals checked; "
                      << checker.stats().probes_finished << " probes finished");
    REQUIRE(all_checked);
    CHECK(std::count_if(first.begin(), first.end(), [](const auto& f) { return f.second; }) ==
          static_cast<long>(checks.size()));

    // The servers go away: each check turns down in the round that first
    // finds them gone. Checks taking turns have all run about as many rounds
    // as each other at that moment; checks that jump the queue would show
    // round numbers far apart.
    servers.reset();
    std::map<SubscriberId, uint64_t> down_round;
    bool all_down = log.wait([&](const ChangeLog& l) {
        for (const auto& c : l.all())
            if (!c.up && !c.first) down_round.emplace(c.subscriber, c.round);
        return down_round.size() == checks.size();
    }, 30);
    REQUIRE(all_down);
    auto [lowest, highest] = std::minmax_element(
        down_round.begin(), down_round.end(),
        [](const auto& a, const auto& b) { return a.second < b.second; });
    INFO("rounds at the down transition: " << lowest->second << " .. " << highest->second);
    CHECK(highest->second - lowest->second <= 3);
}
