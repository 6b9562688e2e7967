#include "health/subscriber_state.h"

namespace xvs {

std::optional<Health> SubscriberState::apply(bool success) {
    if (success) {
        failures_ = 0;
        if (health_ == Health::up) return std::nullopt;
        health_ = Health::up;
        return health_;
    }
    switch (health_) {
        case Health::unknown:
            health_ = Health::down;
            return health_;
        case Health::down:
            return std::nullopt;
        case Health::up:
            if (++failures_ < failurecount_) return std::nullopt;
            failures_ = 0;
            health_ = Health::down;
            return health_;
    }
    return std::nullopt;
}

}  // namespace xvs
