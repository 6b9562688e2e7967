// CheckLoop: the checker thread's epoll loop (scheduling, deadlines, probes,
// subscriber states). HealthChecker (health_checker.h) is its thread-safe
// front; the two meet only in a CheckerMailbox.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include "health/receive_pattern.h"
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/unique_fd.h"
#include "health/check_spec.h"
#include "health/probe.h"
#include "health/subscriber_state.h"
#include "health/tls.h"

namespace xvs {

struct HealthCheckerStats {
    uint64_t probes_started = 0;
    uint64_t probes_finished = 0;
    uint64_t checks = 0;  // distinct check keys
    uint64_t subscribers = 0;
    uint64_t in_flight = 0;
    uint64_t postponed = 0;  // rounds that found no fd and went back to the queue
};

// One subscriber's check, validated and compiled by the front.
struct CheckEntry {
    SubscriberId subscriber = 0;
    bool assume_up = false;  // new subscriber starts up, not unknown
    CheckSpec spec;
    std::string key;
    std::shared_ptr<const ReceivePattern> receive;
};

struct CheckerMailbox {
    std::mutex mutex;
    // The set the loop must run; generation bumps on every set_checks().
    std::shared_ptr<const std::vector<CheckEntry>> latest;
    uint64_t generation = 0;
    bool stop_requested = false;
    std::deque<StateChange> changes;
    std::string error;
    HealthCheckerStats stats;
    UniqueFd wake_fd;     // eventfd the loop waits on
    UniqueFd changes_fd;  // eventfd the daemon waits on
};

class CheckLoop {
public:
    // How long probes wait after one found no fd: other probes finishing or
    // the daemon closing clients frees some meanwhile.
    static constexpr std::chrono::milliseconds retry_after_out_of_fds{100};

    // Creates the epoll fd and TLS context; throws std::runtime_error.
    // First rounds are spread over min(interval, first_round_window_s).
    CheckLoop(CheckerMailbox& mailbox, size_t max_in_flight, double first_round_window_s);
    // Kills running external checks and reaps every child.
    ~CheckLoop();
    CheckLoop(const CheckLoop&) = delete;
    CheckLoop& operator=(const CheckLoop&) = delete;

    // Runs until the mailbox asks to stop; throws std::system_error on a
    // failing epoll.
    void run();

private:
    using Clock = std::chrono::steady_clock;
    class Slot;
    struct Check;
    struct Subscriber {
        uint64_t check_id;
        SubscriberState state;
        bool every_result = false;  // CheckSpec::report_every_result
    };
    struct Orphan {
        pid_t pid;
        UniqueFd pidfd;
    };

    bool handle_mailbox();  // false = stop
    void apply(const std::vector<CheckEntry>& entries);
    Check& check_for(const CheckEntry& entry);
    void remove_check(uint64_t id);

    void arm(Check& check, Clock::time_point when);
    void disarm(Check& check);
    int epoll_timeout_ms() const;
    void fire_timers();
    void begin_round(Check& check);
    void launch(Check& check);
    void finish(Check& check, CheckResult result);
    void end_probe(Check& check);
    void deliver(Check& check, const CheckResult& result, std::vector<SubscriberId> only = {});
    void start_waiting();
    // No fd for check's probe (OutOfFds): the round goes back to the front
    // of the queue and no probe starts before retry_after_out_of_fds.
    void postpone(Check& check);
    bool paused(Clock::time_point now) const { return now < paused_until_; }

    void adopt(pid_t pid, UniqueFd pidfd);
    void reap(uint64_t tag);
    void publish_changes();

    CheckerMailbox& mailbox_;
    size_t max_in_flight_;
    double first_round_window_s_;
    UniqueFd epoll_;
    TlsContext tls_;
    uint64_t applied_generation_ = 0;

    uint64_t next_id_ = 1;  // check ids and epoll tags (0 = the wake fd)
    std::unordered_map<uint64_t, std::unique_ptr<Check>> checks_;
    std::unordered_map<std::string, uint64_t> check_by_key_;
    std::map<SubscriberId, Subscriber> subscribers_;
    std::set<std::pair<Clock::time_point, uint64_t>> timers_;
    std::deque<uint64_t> waiting_;                  // check ids waiting for a slot
    std::unordered_map<uint64_t, uint64_t> probes_;  // epoll tag -> check id
    std::unordered_map<uint64_t, Orphan> orphans_;   // epoll tag -> child to reap
    size_t in_flight_ = 0;
    Clock::time_point paused_until_{};
    std::vector<StateChange> pending_changes_;
    HealthCheckerStats stats_;
};

}  // namespace xvs
