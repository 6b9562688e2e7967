#include "daemon/health_batch.h"

#include <utility>

namespace xvs {

void HealthBatch::add(const std::set<ServiceKey>& touched, Clock::time_point now) {
    if (touched.empty()) return;
    services_.insert(touched.begin(), touched.end());
    if (!due_) due_ = now + window_;
}

int HealthBatch::timeout_ms(Clock::time_point now) const {
    if (!due_) return -1;
    if (now >= *due_) return 0;
    // Rounded up: waking before the due time would only wait again.
    auto left = std::chrono::ceil<std::chrono::milliseconds>(*due_ - now);
    return static_cast<int>(left.count());
}

std::set<ServiceKey> HealthBatch::take() {
    due_.reset();
    return std::exchange(services_, {});
}

}  // namespace xvs
