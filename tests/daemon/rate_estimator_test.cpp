#include <catch2/catch.hpp>

#include "daemon/rate_estimator.h"

using namespace xvs;
using namespace std::chrono_literals;

namespace {

std::vector<ServiceStatus> sample_with(uint64_t connections, uint64_t real_bytes) {
    ServiceStatus s;
    s.key = ServiceKey::mark(100, Family::v4);
    s.counters.connections = connections;
    RealStatus r;
    r.key = {*IpAddress::parse("10.0.0.2"), 80};
    r.counters.bytes_in = real_bytes;
    s.reals.push_back(r);
    return {s};
}

}  // namespace

TEST_CASE("rates are counter differences over the sample period", "[rates]") {
    RateEstimator est;
    auto t0 = RateEstimator::Clock::time_point{} + 100s;
    auto key = ServiceKey::mark(100, Family::v4);
    RealKey real{*IpAddress::parse("10.0.0.2"), 80};
    est.sample(sample_with(10, 1000), t0);
    CHECK(est.service_rates(key).connections == 0);  // one sample: no rate yet
    est.sample(sample_with(30, 9000), t0 + 2s);
    CHECK(est.service_rates(key).connections == 10);
    CHECK(est.real_rates(key, real).bytes_in == 4000);
}

TEST_CASE("a counter that went down gives rate 0, not a huge number", "[rates]") {
    RateEstimator est;
    auto t0 = RateEstimator::Clock::time_point{} + 100s;
    auto key = ServiceKey::mark(100, Family::v4);
    est.sample(sample_with(500, 0), t0);
    est.sample(sample_with(3, 0), t0 + 2s);
    CHECK(est.service_rates(key).connections == 0);
}

TEST_CASE("unknown services and reals have zero rates", "[rates]") {
    RateEstimator est;
    CHECK(est.service_rates(ServiceKey::mark(1, Family::v4)) == control::Rates{});
}
