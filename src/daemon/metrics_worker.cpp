#include "daemon/metrics_worker.h"

#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <stdexcept>
#include <system_error>

namespace xvs {
namespace {

constexpr int worker_nice = 10;

}  // namespace

MetricsWorker::MetricsWorker() : done_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (!done_) throw std::system_error(errno, std::generic_category(), "metrics: eventfd");
    thread_ = std::thread([this] { run(); });
}

MetricsWorker::~MetricsWorker() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_one();
    thread_.join();
}

void MetricsWorker::start(Render render) {
    {
        std::lock_guard lock(mutex_);
        if (busy_) throw std::logic_error("metrics: a rendering is already running");
        busy_ = true;
        job_ = std::move(render);
    }
    wake_.notify_one();
}

std::optional<MetricsWorker::Rendered> MetricsWorker::take() {
    uint64_t count = 0;
    if (::read(done_.get(), &count, sizeof count) < 0 && errno != EAGAIN)
        throw std::system_error(errno, std::generic_category(), "metrics: reading the eventfd");
    std::lock_guard lock(mutex_);
    if (!result_) return std::nullopt;
    std::optional<Rendered> out = std::move(result_);
    result_.reset();
    busy_ = false;
    return out;
}

void MetricsWorker::run() {
    // Below the loop's priority: on a busy director health reactions and
    // xvsadm come before formatting a body. Failing to lower it (a seccomp
    // filter, say) only leaves the thread at the loop's priority.
    (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), worker_nice);
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, [this] { return stop_ || job_.has_value(); });
        if (stop_) return;
        Render render = std::move(*job_);
        job_.reset();
        lock.unlock();
        Rendered rendered;
        try {
            rendered.bodies = metrics_ok_bodies(render());
            rendered.ok = true;
        } catch (const std::exception& e) {
            rendered.bodies = same_bodies(plain_response("500 Internal Server Error", e.what()));
        } catch (...) {
            rendered.bodies = same_bodies(plain_response("500 Internal Server Error", "rendering failed"));
        }
        render = nullptr;  // what it captured (the snapshot) goes now, off the loop
        lock.lock();
        result_ = std::move(rendered);
        uint64_t one = 1;
        // An eventfd write fails only on counter overflow, impossible at one
        // write per rendering; the loop then still sees the fd readable.
        (void)!::write(done_.get(), &one, sizeof one);
    }
}

}  // namespace xvs
