// Helpers of the checker tests: check specs with short timings, and a
// checker run that collects what it reports.
#pragma once

#include <catch2/catch.hpp>
#include <initializer_list>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "health/health_checker.h"
#include "local_servers.h"

namespace xvs::test {

inline CheckSpec connect_spec(const IpAddress& address, uint16_t port) {
    CheckSpec spec;
    spec.type = CheckSpec::Type::connect;
    spec.address = address;
    spec.port = port;
    spec.interval_s = 0.2;
    spec.timeout_s = 2;
    spec.negotiate_timeout_s = 2;
    return spec;
}

inline CheckSpec negotiate_spec(const std::string& service, const IpAddress& address, uint16_t port) {
    CheckSpec spec = connect_spec(address, port);
    spec.type = CheckSpec::Type::negotiate;
    spec.service = service;
    return spec;
}

// A checker started with `checks`, and the log of the changes it reports.
struct RunningChecker {
    HealthChecker checker;
    ChangeLog log{checker};

    explicit RunningChecker(std::vector<std::pair<SubscriberId, CheckSpec>> checks,
                            const std::set<SubscriberId>& assume_up = {}) {
        checker.set_checks(std::move(checks), assume_up);
        checker.start();
    }
    // Waits until each of `ids` has reported at least once.
    bool wait_for_each(std::initializer_list<SubscriberId> ids) {
        std::vector<SubscriberId> wanted(ids);
        return log.wait([wanted](const ChangeLog& l) {
            for (SubscriberId id : wanted)
                if (l.of(id).empty()) return false;
            return true;
        });
    }
    StateChange first_change(SubscriberId id) {
        auto c = log.wait_for(id);
        REQUIRE(c);
        return *c;
    }
};

// Runs `spec` alone and returns its first result; the checker has stopped
// when this returns, so what the server saw is complete.
inline StateChange first_result(const CheckSpec& spec) {
    RunningChecker running({{1, spec}});
    return running.first_change(1);
}

// Runs `checks` together and returns the first result of each subscriber.
inline std::map<SubscriberId, StateChange> first_results(
    std::vector<std::pair<SubscriberId, CheckSpec>> checks) {
    RunningChecker running(checks);
    std::map<SubscriberId, StateChange> firsts;
    for (const auto& [id, spec] : checks) firsts.emplace(id, running.first_change(id));
    return firsts;
}

}  // namespace xvs::test
