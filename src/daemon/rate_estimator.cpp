#include "daemon/rate_estimator.h"

namespace xvs {
namespace {

uint64_t per_second(uint64_t before, uint64_t after, double seconds) {
    if (after < before || seconds <= 0) return 0;
    return static_cast<uint64_t>(static_cast<double>(after - before) / seconds + 0.5);
}

}  // namespace

void RateEstimator::update(Entry& e, const Counters& now, double seconds, bool first) {
    if (first) {
        e.rates = {};
    } else {
        e.rates.connections = per_second(e.last.connections, now.connections, seconds);
        e.rates.packets_in = per_second(e.last.packets_in, now.packets_in, seconds);
        e.rates.packets_out = per_second(e.last.packets_out, now.packets_out, seconds);
        e.rates.bytes_in = per_second(e.last.bytes_in, now.bytes_in, seconds);
        e.rates.bytes_out = per_second(e.last.bytes_out, now.bytes_out, seconds);
    }
    e.last = now;
}

void RateEstimator::sample(const std::vector<ServiceStatus>& status, Clock::time_point now) {
    double seconds = have_sample_
                         ? std::chrono::duration<double>(now - last_sample_).count()
                         : 0.0;
    std::map<ServiceKey, Entry> services;
    std::map<std::pair<ServiceKey, RealKey>, Entry> reals;
    for (const auto& s : status) {
        auto old = services_.find(s.key);
        bool first = old == services_.end();
        Entry e = first ? Entry{} : old->second;
        update(e, s.counters, seconds, first);
        services[s.key] = e;
        for (const auto& r : s.reals) {
            auto key = std::make_pair(s.key, r.key);
            auto old_real = reals_.find(key);
            bool first_real = old_real == reals_.end();
            Entry re = first_real ? Entry{} : old_real->second;
            update(re, r.counters, seconds, first_real);
            reals[key] = re;
        }
    }
    services_ = std::move(services);
    reals_ = std::move(reals);
    last_sample_ = now;
    have_sample_ = true;
}

control::Rates RateEstimator::service_rates(const ServiceKey& service) const {
    auto it = services_.find(service);
    return it == services_.end() ? control::Rates{} : it->second.rates;
}

control::Rates RateEstimator::real_rates(const ServiceKey& service, const RealKey& real) const {
    auto it = reals_.find({service, real});
    return it == reals_.end() ? control::Rates{} : it->second.rates;
}

void RateEstimator::forget() {
    services_.clear();
    reals_.clear();
    have_sample_ = false;
}

void RateEstimator::forget(const ServiceKey& service) {
    services_.erase(service);
    std::erase_if(reals_, [&](const auto& entry) { return entry.first.first == service; });
}

}  // namespace xvs
