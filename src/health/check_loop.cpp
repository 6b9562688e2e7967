#include "health/check_loop.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <algorithm>
#include <cstdio>
#include <functional>
#include <system_error>

#include "health/probe_factory.h"

namespace xvs {

// What a probe in flight registers through: every fd it watches carries the
// probe's tag, so events for a probe that has since finished are ignored.
class CheckLoop::Slot : public ProbeIo {
public:
    Slot(CheckLoop& loop, uint64_t tag) : loop_(loop), tag_(tag) {}
    // Before the probe closes its fds, so no closed (and reused) fd number
    // is ever left in epoll.
    void unwatch_all() {
        for (int fd : fds_) ::epoll_ctl(loop_.epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
        fds_.clear();
    }
    void watch(int fd, uint32_t events) override {
        epoll_event ev{};
        ev.events = events;
        ev.data.u64 = tag_;
        bool known = false;
        for (int f : fds_) known |= f == fd;
        if (::epoll_ctl(loop_.epoll_.get(), known ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) != 0)
            throw std::system_error(errno, std::generic_category(), "health: epoll_ctl");
        if (!known) fds_.push_back(fd);
    }
    void adopt_child(pid_t pid, UniqueFd pidfd) override {
        for (size_t i = 0; i < fds_.size(); ++i) {
            if (fds_[i] != pidfd.get()) continue;
            ::epoll_ctl(loop_.epoll_.get(), EPOLL_CTL_DEL, fds_[i], nullptr);
            fds_.erase(fds_.begin() + static_cast<long>(i));
            break;
        }
        loop_.adopt(pid, std::move(pidfd));
    }
    uint64_t tag() const { return tag_; }

private:
    CheckLoop& loop_;
    uint64_t tag_;
    std::vector<int> fds_;
};

struct CheckLoop::Check {
    uint64_t id = 0;
    std::string key;
    CheckSpec spec;
    std::shared_ptr<const ReceivePattern> receive;
    std::vector<SubscriberId> subscribers;
    std::optional<CheckResult> last;
    uint64_t rounds = 0;  // rounds finished
    bool is_static = false;  // on, off, service=none: never probed
    // Where in the interval this check's rounds start (a hash of its key,
    // 0..1) and when the check was created.
    double phase = 0;
    Clock::time_point epoch{};

    bool armed = false;
    Clock::time_point due{};
    bool waiting = false;

    // The round in flight and the loop's side of it.
    std::unique_ptr<Slot> slot;
    std::unique_ptr<Probe> probe;
    Clock::time_point started{};
    bool negotiate_round = false;
    double timeout_s = 0;

    // checktype=N: connect rounds since the last good negotiate; "many" at
    // first so the first round negotiates (ldirectord's 999999).
    uint32_t connects_done = UINT32_MAX;
};

namespace {

double seconds(std::chrono::steady_clock::duration d) { return std::chrono::duration<double>(d).count(); }

std::chrono::steady_clock::duration to_duration(double s) {
    return std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(s));
}

std::string timeout_reason(double timeout_s, const std::string& phase) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "timeout after %.1fs", timeout_s);
    return std::string(buf) + " while " + phase;
}

}  // namespace

CheckLoop::CheckLoop(CheckerMailbox& mailbox, size_t max_in_flight, double first_round_window_s)
    : mailbox_(mailbox),
      max_in_flight_(max_in_flight ? max_in_flight : 1),
      first_round_window_s_(first_round_window_s > 0 ? first_round_window_s : 0) {
    epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
    if (!epoll_) throw std::system_error(errno, std::generic_category(), "health: epoll_create1");
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = 0;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, mailbox_.wake_fd.get(), &ev) != 0)
        throw std::system_error(errno, std::generic_category(), "health: epoll_ctl(wake)");
}

CheckLoop::~CheckLoop() {
    for (auto& [id, check] : checks_) {
        if (!check->probe) continue;
        check->probe->abandon(*check->slot);
        check->slot->unwatch_all();
        check->probe.reset();
        check->slot.reset();
    }
    for (auto& [tag, orphan] : orphans_) ::waitpid(orphan.pid, nullptr, 0);
}

void CheckLoop::run() {
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);

    if (!handle_mailbox()) return;
    epoll_event events[256];
    for (;;) {
        int n = ::epoll_wait(epoll_.get(), events, 256, epoll_timeout_ms());
        if (n < 0) {
            if (errno == EINTR) continue;
            throw std::system_error(errno, std::generic_category(), "health: epoll_wait");
        }
        for (int i = 0; i < n; ++i) {
            uint64_t tag = events[i].data.u64;
            if (tag == 0) {
                uint64_t count;
                while (::read(mailbox_.wake_fd.get(), &count, sizeof count) > 0) {
                }
                if (!handle_mailbox()) return;
                continue;
            }
            if (orphans_.count(tag)) {
                reap(tag);
                continue;
            }
            auto it = probes_.find(tag);
            if (it == probes_.end()) continue;  // finished earlier in this batch
            Check& check = *checks_.at(it->second);
            std::optional<CheckResult> result;
            try {
                result = check.probe->on_io(*check.slot, events[i].events);
            } catch (const std::exception& e) {
                result = CheckResult{false, e.what(), 0};
            }
            if (result) finish(check, std::move(*result));
        }
        fire_timers();
        start_waiting();
        publish_changes();
    }
}

bool CheckLoop::handle_mailbox() {
    std::shared_ptr<const std::vector<CheckEntry>> latest;
    {
        std::lock_guard lock(mailbox_.mutex);
        if (mailbox_.stop_requested) return false;
        if (mailbox_.generation != applied_generation_) {
            latest = mailbox_.latest;
            applied_generation_ = mailbox_.generation;
        }
    }
    if (latest) apply(*latest);
    publish_changes();
    return true;
}

void CheckLoop::apply(const std::vector<CheckEntry>& entries) {
    std::map<SubscriberId, const CheckEntry*> wanted;
    for (const CheckEntry& e : entries) wanted[e.subscriber] = &e;

    // Subscribers that left or whose check changed lose their state.
    for (auto it = subscribers_.begin(); it != subscribers_.end();) {
        auto w = wanted.find(it->first);
        Check& check = *checks_.at(it->second.check_id);
        if (w != wanted.end() && w->second->key == check.key) {
            it->second.every_result = w->second->spec.report_every_result;
            uint32_t failurecount = w->second->spec.failurecount;
            if ((failurecount ? failurecount : 1) != it->second.state.failurecount()) {
                // Keep up/down; only the threshold changes (the counter restarts).
                Health health = it->second.state.health();
                it->second.state = SubscriberState(failurecount);
                if (health != Health::unknown) it->second.state.apply(health == Health::up);
            }
            ++it;
            continue;
        }
        std::erase(check.subscribers, it->first);
        it = subscribers_.erase(it);
    }
    for (const CheckEntry& e : entries) {
        if (subscribers_.count(e.subscriber)) continue;
        Check& check = check_for(e);
        check.subscribers.push_back(e.subscriber);
        Subscriber sub{check.id, SubscriberState(e.spec.failurecount), e.spec.report_every_result};
        if (e.assume_up) sub.state.apply(true);  // up without a report: it already is
        subscribers_.emplace(e.subscriber, std::move(sub));
        if (check.last) deliver(check, *check.last, {e.subscriber});
    }
    std::vector<uint64_t> unused;
    for (auto& [id, check] : checks_)
        if (check->subscribers.empty()) unused.push_back(id);
    for (uint64_t id : unused) remove_check(id);

    stats_.checks = checks_.size();
    stats_.subscribers = subscribers_.size();
}

CheckLoop::Check& CheckLoop::check_for(const CheckEntry& entry) {
    if (auto it = check_by_key_.find(entry.key); it != check_by_key_.end()) return *checks_.at(it->second);
    auto check = std::make_unique<Check>();
    check->id = next_id_++;
    check->key = entry.key;
    check->spec = entry.spec;
    check->receive = entry.receive;
    if (auto fixed = static_result(entry.spec)) {
        check->is_static = true;
        check->last = *fixed;
    } else {
        // The first round comes soon (reals count as down until checked),
        // spread over a short window; finish() then moves the check to its
        // own phase of the interval.
        check->phase = static_cast<double>(std::hash<std::string>{}(entry.key) % 1000003) / 1000003.0;
        check->epoch = Clock::now();
        double window = std::min(entry.spec.interval_s, first_round_window_s_);
        arm(*check, check->epoch + to_duration(check->phase * window));
    }
    Check& ref = *check;
    check_by_key_[check->key] = check->id;
    checks_[check->id] = std::move(check);
    return ref;
}

void CheckLoop::remove_check(uint64_t id) {
    Check& check = *checks_.at(id);
    if (check.probe) {
        check.probe->abandon(*check.slot);
        end_probe(check);
    }
    disarm(check);
    check_by_key_.erase(check.key);
    checks_.erase(id);  // a stale id left in waiting_ is skipped
}

void CheckLoop::arm(Check& check, Clock::time_point when) {
    disarm(check);
    check.due = when;
    check.armed = true;
    timers_.emplace(when, check.id);
}

void CheckLoop::disarm(Check& check) {
    if (!check.armed) return;
    timers_.erase({check.due, check.id});
    check.armed = false;
}

int CheckLoop::epoll_timeout_ms() const {
    auto now = Clock::now();
    bool can_start = !waiting_.empty() && in_flight_ < max_in_flight_;
    if (can_start && !paused(now)) return 0;
    if (timers_.empty() && !can_start) return -1;
    auto next = timers_.empty() ? paused_until_ : timers_.begin()->first;
    if (can_start) next = std::min(next, paused_until_);
    auto wait = next - now;
    if (wait <= Clock::duration::zero()) return 0;
    double ms = std::ceil(std::chrono::duration<double, std::milli>(wait).count());
    return ms > 60000 ? 60000 : static_cast<int>(ms);
}

void CheckLoop::fire_timers() {
    auto now = Clock::now();
    while (!timers_.empty() && timers_.begin()->first <= now) {
        uint64_t id = timers_.begin()->second;
        Check& check = *checks_.at(id);
        disarm(check);
        if (check.probe) {
            std::string phase = check.probe->phase();
            check.probe->abandon(*check.slot);
            finish(check, CheckResult{false, timeout_reason(check.timeout_s, phase), 0});
        } else {
            begin_round(check);
        }
    }
}

void CheckLoop::begin_round(Check& check) {
    // A due check may take a free slot only when nobody waits: otherwise a
    // slot freed by a finishing probe would go to whichever check fell due
    // right after (often the one that just finished, when rounds take longer
    // than the interval) and the checks already waiting could starve. Due
    // checks queue in the order they fell due; start_waiting() serves them.
    // After a probe found no fd, due checks queue too until the pause ends.
    if (in_flight_ < max_in_flight_ && waiting_.empty() && !paused(Clock::now())) {
        launch(check);
        return;
    }
    if (!check.waiting) {
        check.waiting = true;
        waiting_.push_back(check.id);
    }
}

void CheckLoop::start_waiting() {
    while (!waiting_.empty() && in_flight_ < max_in_flight_ && !paused(Clock::now())) {
        uint64_t id = waiting_.front();
        waiting_.pop_front();
        auto it = checks_.find(id);
        if (it == checks_.end() || !it->second->waiting) continue;
        it->second->waiting = false;
        launch(*it->second);
    }
}

void CheckLoop::launch(Check& check) {
    const CheckSpec& spec = check.spec;
    check.negotiate_round = spec.type == CheckSpec::Type::combined &&
                            check.connects_done >= spec.connect_then_negotiate_every;
    check.timeout_s = probe_timeout_s(spec, check.negotiate_round);
    check.started = Clock::now();
    std::unique_ptr<Probe> probe;
    try {
        probe = make_probe(spec, check.negotiate_round, check.receive, tls_);
    } catch (const std::exception& e) {
        finish(check, CheckResult{false, e.what(), 0});
        return;
    }
    if (!probe) {  // the negotiate round of checktype=N with service=none
        finish(check, CheckResult{true, "service=none", 0});
        return;
    }
    uint64_t tag = next_id_++;
    check.slot = std::make_unique<Slot>(*this, tag);
    check.probe = std::move(probe);
    probes_[tag] = check.id;
    ++in_flight_;
    ++stats_.probes_started;
    std::optional<CheckResult> result;
    try {
        result = check.probe->start(*check.slot);
    } catch (const OutOfFds&) {
        postpone(check);
        return;
    } catch (const std::exception& e) {
        result = CheckResult{false, e.what(), 0};
    }
    if (result) {
        finish(check, std::move(*result));
        return;
    }
    arm(check, check.started + to_duration(check.timeout_s));
}

void CheckLoop::postpone(Check& check) {
    check.probe->abandon(*check.slot);
    end_probe(check);
    ++stats_.postponed;
    check.waiting = true;
    waiting_.push_front(check.id);
    paused_until_ = Clock::now() + retry_after_out_of_fds;
}

void CheckLoop::end_probe(Check& check) {
    if (!check.probe) return;
    probes_.erase(check.slot->tag());
    check.slot->unwatch_all();
    check.probe.reset();
    check.slot.reset();
    --in_flight_;
    ++stats_.probes_finished;
}

void CheckLoop::finish(Check& check, CheckResult result) {
    auto now = Clock::now();
    result.latency_s = seconds(now - check.started);
    end_probe(check);
    if (check.spec.type == CheckSpec::Type::combined) {
        if (check.negotiate_round) {
            if (result.up) check.connects_done = 0;
        } else {
            check.connects_done = result.up ? check.connects_done + 1 : UINT32_MAX;
        }
    }
    ++check.rounds;
    const double interval = check.spec.interval_s;
    auto next = check.started + to_duration(interval);
    // After the compressed first round, settle on this check's phase so that
    // rounds of many checks are spread over the whole interval.
    if (check.rounds == 1) next = std::max(next, check.epoch + to_duration(interval * (1 + check.phase)));
    arm(check, next > now ? next : now);
    check.last = result;
    deliver(check, result);
}

void CheckLoop::deliver(Check& check, const CheckResult& result, std::vector<SubscriberId> only) {
    const auto& targets = only.empty() ? check.subscribers : only;
    for (SubscriberId id : targets) {
        Subscriber& sub = subscribers_.at(id);
        bool first = sub.state.health() == Health::unknown;
        bool changed = sub.state.apply(result.up).has_value();
        if (changed || sub.every_result)
            pending_changes_.push_back(
                {id, result.up, changed, first, check.rounds, result.reason, result.latency_s});
    }
}

void CheckLoop::adopt(pid_t pid, UniqueFd pidfd) {
    uint64_t tag = next_id_++;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = tag;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, pidfd.get(), &ev) != 0) {
        ::waitpid(pid, nullptr, 0);  // killed already; reaping cannot wait long
        return;
    }
    orphans_.emplace(tag, Orphan{pid, std::move(pidfd)});
}

void CheckLoop::reap(uint64_t tag) {
    auto it = orphans_.find(tag);
    if (::waitpid(it->second.pid, nullptr, WNOHANG) == 0) return;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, it->second.pidfd.get(), nullptr);
    orphans_.erase(it);
}

void CheckLoop::publish_changes() {
    stats_.in_flight = in_flight_;
    std::lock_guard lock(mailbox_.mutex);
    mailbox_.stats = stats_;
    if (pending_changes_.empty()) return;
    for (auto& c : pending_changes_) mailbox_.changes.push_back(std::move(c));
    pending_changes_.clear();
    uint64_t one = 1;
    if (::write(mailbox_.changes_fd.get(), &one, sizeof one) < 0) {
        // The counter cannot overflow in practice; the queue holds the data.
    }
}

}  // namespace xvs
