// Throttle: lets one message through per period and counts the ones held
// back, so a condition that repeats many times a second (accept failing
// with EMFILE) is logged, rate-limited, and none of it silently.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace xvs {

class Throttle {
   public:
    using Clock = std::chrono::steady_clock;
    explicit Throttle(Clock::duration period) : period_(period) {}

    // When a message may go out now: how many were held back before it.
    // nullopt when this one is held back (and counted).
    std::optional<uint64_t> pass(Clock::time_point now = Clock::now()) {
        if (passed_any_ && now - last_ < period_) {
            ++held_back_;
            return std::nullopt;
        }
        passed_any_ = true;
        last_ = now;
        uint64_t held = held_back_;
        held_back_ = 0;
        return held;
    }

    // `message` as it may be logged now ("... (N more since the last
    // report)" after held-back ones), or nullopt when it is held back.
    std::optional<std::string> report(const std::string& message,
                                      Clock::time_point now = Clock::now()) {
        auto held = pass(now);
        if (!held) return std::nullopt;
        if (*held == 0) return message;
        return message + " (" + std::to_string(*held) + " more since the last report)";
    }

   private:
    Clock::duration period_;
    bool passed_any_ = false;
    Clock::time_point last_{};
    uint64_t held_back_ = 0;
};

}  // namespace xvs
