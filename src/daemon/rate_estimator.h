// RateEstimator: per-second rates for `xvsadm --rate`, from two samples of the
// data plane's counters.
//
// The daemon samples every 2 seconds (IPVS's estimator period); a rate is the
// counter difference over the last period divided by its length. IPVS smooths
// its rates further (an exponentially weighted average); xvs shows the plain
// last-period rate. A counter that went down (zeroed) gives rate 0.
#pragma once

#include <chrono>
#include <map>
#include <utility>
#include <vector>

#include "control/protocol.h"
#include "dataplane/dataplane.h"

namespace xvs {

class RateEstimator {
   public:
    using Clock = std::chrono::steady_clock;

    void sample(const std::vector<ServiceStatus>& status, Clock::time_point now);
    control::Rates service_rates(const ServiceKey& service) const;
    control::Rates real_rates(const ServiceKey& service, const RealKey& real) const;
    void forget();  // after zeroing: the next sample starts afresh
    // After zeroing one service: its rates and its reals' start afresh, the
    // other services keep theirs.
    void forget(const ServiceKey& service);

   private:
    struct Entry {
        Counters last;
        control::Rates rates;
    };
    void update(Entry& entry, const Counters& now, double seconds, bool first);

    std::map<ServiceKey, Entry> services_;
    std::map<std::pair<ServiceKey, RealKey>, Entry> reals_;
    Clock::time_point last_sample_{};
    bool have_sample_ = false;
};

}  // namespace xvs
