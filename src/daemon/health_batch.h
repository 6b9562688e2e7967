// HealthBatch: health results that arrive together are applied together.
//
// A rack that loses power fails all its checks within milliseconds, but the
// checker reports them one by one. The daemon gathers the services they
// touch from the first result for `window` and then applies them as one
// change: one data-plane apply (one grace period on XDP) instead of one per
// result. A result costs at most `window` of extra delay, small beside the
// check timeouts that decided it.
#pragma once

#include <chrono>
#include <optional>
#include <set>

#include "model/model.h"

namespace xvs {

// How long the daemon gathers results after the first one of a batch.
inline constexpr std::chrono::milliseconds health_batch_window{20};

class HealthBatch {
   public:
    using Clock = std::chrono::steady_clock;
    explicit HealthBatch(std::chrono::milliseconds window = health_batch_window) : window_(window) {}

    // Adds the services `touched` names; the first addition of a batch sets
    // its due time to now + window. Adding nothing changes nothing.
    void add(const std::set<ServiceKey>& touched, Clock::time_point now);
    bool pending() const { return due_.has_value(); }
    // Whether the batch is due at `now`.
    bool due(Clock::time_point now) const { return due_ && now >= *due_; }
    // Milliseconds until due (0 when due), -1 without a batch: epoll's timeout.
    int timeout_ms(Clock::time_point now) const;
    // The batch's services; the batch is empty afterwards.
    std::set<ServiceKey> take();

   private:
    std::chrono::milliseconds window_;
    std::set<ServiceKey> services_;
    std::optional<Clock::time_point> due_;
};

}  // namespace xvs
