// SubscriberState: ldirectord's up/down bookkeeping for one subscriber of a
// check (ldirectord's _service_up/_service_down).
//
// Contract:
//  - Before any result the state is unknown. ldirectord starts every real
//    that is not already in the IPVS table as down and checks it once at
//    start-up, so the first result decides directly: success => up,
//    failure => down, whatever failurecount says. That first result is
//    always reported (StateChange::first).
//  - Up: a failure increments the failure counter; the state turns down when
//    the counter reaches failurecount (0 counts as 1). A success resets the
//    counter.
//  - Down: one success => up. Failures while down are not counted (as
//    ldirectord, which only counts soft failures of a live real).
#pragma once

#include <cstdint>
#include <optional>

namespace xvs {

enum class Health : uint8_t { unknown, up, down };

class SubscriberState {
public:
    explicit SubscriberState(uint32_t failurecount) : failurecount_(failurecount ? failurecount : 1) {}

    // Applies one check result; returns the new state when it changed
    // (including unknown -> up/down).
    std::optional<Health> apply(bool success);

    Health health() const { return health_; }
    uint32_t consecutive_failures() const { return failures_; }
    uint32_t failurecount() const { return failurecount_; }

private:
    uint32_t failurecount_;
    uint32_t failures_ = 0;
    Health health_ = Health::unknown;
};

}  // namespace xvs
