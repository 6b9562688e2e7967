// MetricsWorker: renders /metrics bodies on a thread of its own, one at a
// time, so that formatting 100,000 reals never runs on the event loop.
//
// start() hands it a Render (which must not touch state the loop changes: the
// loop's part is done before, see metrics_collect.h); fd() (an eventfd)
// becomes readable when it is done, and take() then returns the response:
// 200 with the body (as it is and gzip-compressed), or 500 with the
// exception's message. The thread is
// started by the constructor and joined by the destructor (after the running
// rendering, if any, ends). It runs at nice 10, below the loop. Signals stay
// blocked in it as in the thread that creates it.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/unique_fd.h"
#include "daemon/metrics_http.h"

namespace xvs {

class MetricsWorker {
   public:
    using Render = std::function<std::string()>;
    struct Rendered {
        MetricsBodies bodies;
        bool ok = false;
    };

    MetricsWorker();
    ~MetricsWorker();
    MetricsWorker(const MetricsWorker&) = delete;
    MetricsWorker& operator=(const MetricsWorker&) = delete;

    int fd() const { return done_.get(); }
    // Throws std::logic_error when a rendering is still running.
    void start(Render render);
    // The finished rendering, or nullopt (none finished since the last take).
    std::optional<Rendered> take();

   private:
    void run();

    UniqueFd done_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false;
    std::optional<Render> job_;
    bool busy_ = false;
    std::optional<Rendered> result_;
    std::thread thread_;
};

}  // namespace xvs
