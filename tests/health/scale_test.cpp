// Many checks on the one checker thread.
#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <chrono>
#include <set>

#include "health/health_checker.h"
#include "local_servers.h"

using namespace xvs;
using namespace xvs::test;

TEST_CASE("2000 connect checks run on one thread and all come up", "[scale]") {
    constexpr size_t listener_count = 20, address_count = 100;  // 2000 distinct (address, port)
    AcceptCloseServers servers(listener_count);
    std::vector<std::pair<SubscriberId, CheckSpec>> checks;
    for (size_t a = 0; a < address_count; ++a) {
        for (size_t l = 0; l < listener_count; ++l) {
            CheckSpec spec;
            spec.type = CheckSpec::Type::connect;
            spec.address = IpAddress::v4(0x7f000001u + static_cast<uint32_t>(a) * 256);  // 127.0.x.1
            spec.port = servers.ports()[l];
            spec.interval_s = 1;
            spec.timeout_s = 5;
            checks.emplace_back(a * listener_count + l, spec);
        }
    }
    rusage before{};
    getrusage(RUSAGE_SELF, &before);
    auto start = std::chrono::steady_clock::now();
    HealthChecker checker;
    checker.set_checks(checks);
    checker.start();
    ChangeLog log(checker);
    std::set<SubscriberId> up;
    bool all_up = log.wait([&](const ChangeLog& l) {
        for (const auto& c : l.all())
            if (c.up) up.insert(c.subscriber);
        return up.size() == checks.size();
    }, 60);
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    rusage after{};
    getrusage(RUSAGE_SELF, &after);
    auto cpu = [](const rusage& r) {
        return r.ru_utime.tv_sec + r.ru_stime.tv_sec + (r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
    };
    auto stats = checker.stats();
    WARN("first round of " << checks.size() << " checks (spread over a 1 s interval): all up after " << elapsed
                           << " s, " << stats.probes_finished << " probes finished, CPU "
                           << (cpu(after) - cpu(before)) << " s, " << servers.accepted() << " accepts");
    CHECK(all_up);
    CHECK(up.size() == checks.size());
    CHECK(stats.checks == checks.size());
    size_t downs = 0;
    for (const auto& c : log.all()) downs += !c.up;
    CHECK(downs == 0);
}
