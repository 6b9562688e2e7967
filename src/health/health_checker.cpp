#include "health/health_checker.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <map>
#include <stdexcept>
#include <system_error>

#include "health/probe_factory.h"

namespace xvs {
namespace {

UniqueFd make_eventfd(const char* what) {
    UniqueFd fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!fd) throw std::system_error(errno, std::generic_category(), std::string("health: eventfd for ") + what);
    return fd;
}

}  // namespace

HealthChecker::HealthChecker() : HealthChecker(Options{}) {}

HealthChecker::HealthChecker(Options options)
    : options_(options), mailbox_(std::make_unique<CheckerMailbox>()) {
    mailbox_->wake_fd = make_eventfd("the checker loop");
    mailbox_->changes_fd = make_eventfd("state changes");
}

HealthChecker::~HealthChecker() { stop(); }

void HealthChecker::set_checks(std::vector<std::pair<SubscriberId, CheckSpec>> checks,
                               const std::set<SubscriberId>& assume_up) {
    auto entries = std::make_shared<std::vector<CheckEntry>>();
    entries->reserve(checks.size());
    std::map<SubscriberId, bool> seen;
    for (auto& [subscriber, spec] : checks) {
        if (!seen.emplace(subscriber, true).second)
            throw std::invalid_argument("health: subscriber " + std::to_string(subscriber) + " given twice");
        validate_check_spec(spec);
        CheckEntry entry;
        entry.subscriber = subscriber;
        entry.assume_up = assume_up.count(subscriber) > 0;
        entry.key = check_key(spec);
        entry.receive = compile_receive(spec);
        entry.spec = std::move(spec);
        entries->push_back(std::move(entry));
    }
    {
        std::lock_guard lock(mailbox_->mutex);
        mailbox_->latest = std::move(entries);
        ++mailbox_->generation;
    }
    wake();
}

void HealthChecker::start() {
    if (thread_.joinable()) return;
    {
        std::lock_guard lock(mailbox_->mutex);
        mailbox_->stop_requested = false;
        mailbox_->error.clear();
    }
    loop_ = std::make_unique<CheckLoop>(*mailbox_, options_.max_in_flight, options_.first_round_window_s);
    thread_ = std::thread([this] {
        try {
            loop_->run();
        } catch (const std::exception& e) {
            std::lock_guard lock(mailbox_->mutex);
            mailbox_->error = e.what();
        }
    });
}

void HealthChecker::stop() {
    if (!thread_.joinable()) return;
    {
        std::lock_guard lock(mailbox_->mutex);
        mailbox_->stop_requested = true;
    }
    wake();
    thread_.join();
    loop_.reset();
}

void HealthChecker::wake() {
    uint64_t one = 1;
    if (::write(mailbox_->wake_fd.get(), &one, sizeof one) < 0 && errno != EAGAIN)
        throw std::system_error(errno, std::generic_category(), "health: waking the checker loop");
}

std::vector<StateChange> HealthChecker::take_changes() {
    // Reset the fd before taking the queue: a change queued in between
    // signals the fd again rather than being missed.
    uint64_t count;
    while (::read(mailbox_->changes_fd.get(), &count, sizeof count) > 0) {
    }
    std::lock_guard lock(mailbox_->mutex);
    std::vector<StateChange> out(std::make_move_iterator(mailbox_->changes.begin()),
                                 std::make_move_iterator(mailbox_->changes.end()));
    mailbox_->changes.clear();
    return out;
}

bool HealthChecker::wait_for_changes(double timeout_s) const {
    {
        std::lock_guard lock(mailbox_->mutex);
        if (!mailbox_->changes.empty()) return true;
    }
    pollfd p{mailbox_->changes_fd.get(), POLLIN, 0};
    int ms = timeout_s <= 0 ? 0 : static_cast<int>(std::ceil(timeout_s * 1000));
    int r = ::poll(&p, 1, ms);
    if (r < 0 && errno != EINTR) throw std::system_error(errno, std::generic_category(), "health: poll");
    std::lock_guard lock(mailbox_->mutex);
    return !mailbox_->changes.empty();
}

HealthCheckerStats HealthChecker::stats() const {
    std::lock_guard lock(mailbox_->mutex);
    return mailbox_->stats;
}

std::string HealthChecker::error() const {
    std::lock_guard lock(mailbox_->mutex);
    return mailbox_->error;
}

}  // namespace xvs
