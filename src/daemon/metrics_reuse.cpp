#include "daemon/metrics_reuse.h"

#include <algorithm>

namespace xvs {

MetricsReuse::Answer MetricsReuse::on_scrape(Clock::time_point now) {
    if (rendering_) return Answer::wait_for_rendering;
    if (newest_ && (now - newest_snapshot_ < window_ || older_body_held()))
        return Answer::serve_newest;
    return Answer::start_rendering;
}

void MetricsReuse::started(Clock::time_point now) {
    rendering_ = true;
    rendering_since_ = now;
}

void MetricsReuse::finished(const MetricsBodies& bodies, bool ok) {
    rendering_ = false;
    if (!ok) return;
    if (newest_) older_.push_back(newest_.identity);
    newest_ = bodies;
    newest_snapshot_ = rendering_since_;
}

bool MetricsReuse::older_body_held() {
    std::erase_if(older_, [](const auto& body) { return body.expired(); });
    return !older_.empty();
}

}  // namespace xvs
