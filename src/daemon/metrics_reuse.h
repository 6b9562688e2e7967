// MetricsReuse: when a scrape is answered with the last rendered body and
// when a new rendering starts (pure logic; the clock is the caller's).
//
// Contract, for a scrape at `now`:
//   wait_for_rendering  a rendering is running: its result answers the scrape
//   serve_newest        the newest body's snapshot is younger than `window`,
//                       or an older body is still being sent to a client
//   start_rendering     otherwise (the caller starts one and calls started())
// So every scrape within the window shares one rendering, and at most two
// rendered bodies are held (the newest and one older that slow clients still
// read) plus the one being rendered: the memory for /metrics is bounded by
// three bodies whatever the number of clients. A body (in both encodings) is
// "held" while a shared pointer to it (a client's) lives. Failed renderings (500) answer the
// scrapes that waited for them and are not reused.
#pragma once

#include <chrono>
#include <optional>
#include <vector>

#include "daemon/metrics_http.h"

namespace xvs {

class MetricsReuse {
   public:
    using Clock = std::chrono::steady_clock;
    enum class Answer { serve_newest, wait_for_rendering, start_rendering };

    explicit MetricsReuse(std::chrono::milliseconds window) : window_(window) {}

    Answer on_scrape(Clock::time_point now);
    // A rendering from a snapshot taken at `now` started.
    void started(Clock::time_point now);
    // The running rendering ended; `ok` ones become the newest body.
    void finished(const MetricsBodies& bodies, bool ok);
    // The newest good body, or empty before the first one.
    const MetricsBodies& newest() const { return newest_; }

   private:
    bool older_body_held();

    std::chrono::milliseconds window_;
    bool rendering_ = false;
    Clock::time_point rendering_since_{};
    MetricsBodies newest_;
    Clock::time_point newest_snapshot_{};
    std::vector<std::weak_ptr<const HttpResponse>> older_;
};

}  // namespace xvs
