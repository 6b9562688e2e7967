// HealthChecker: runs every health check of the director on one thread.
//
// Contract:
//  - One thread, one epoll loop, non-blocking sockets: thousands of checks in
//    flight without a thread or process each. External checks are the only
//    child processes (posix_spawn, watched through pidfds).
//  - set_checks() replaces the whole set, from any thread, before or after
//    start(). It validates everything first (std::invalid_argument naming
//    the check, nothing changed). Specs with the same check_key() are probed
//    once per round for all their subscribers. A subscriber whose spec is
//    unchanged keeps its state (up/down, failure counter); a new one starts
//    unknown and, if its check already has a result, gets it at once.
//  - Each check runs every interval_s (start to start; never two rounds of
//    one check at once). Start times are spread by a hash of the check key
//    (its phase, 0..1): the first round runs within
//    min(interval, Options::first_round_window_s) of the check being added,
//    because reals count as down until checked (ldirectord checks everything
//    at start-up); the second round starts at phase * interval after one
//    interval, so from then on rounds of many checks are spread over the
//    whole interval. Each round has its own deadline (the spec's timeout for
//    that round); at most Options::max_in_flight probes run at once, the
//    rest wait for a free slot in the order they fell due (first come, first
//    served): with N checks due at once, each starts within about
//    N / max_in_flight probe durations, however short the interval.
//  - A probe that finds no fd for its socket or command (EMFILE, ENFILE:
//    the process or the system is out of them) reports nothing: its round
//    goes back to the front of the queue and no probe starts for
//    CheckLoop::retry_after_out_of_fds (stats().postponed counts these).
//    The daemon sizes max_in_flight from its fd limit (daemon/fd_budget.h).
//  - State changes (see SubscriberState for ldirectord's rules) are queued
//    for the daemon: changes_fd() becomes readable, take_changes() empties
//    the queue. The daemon applies them on its own thread.
//  - stop() (and the destructor) ends the thread, kills running external
//    checks and reaps them.
//  - SIGPIPE is blocked on the checker thread (TLS writes to a closed peer).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/unique_fd.h"
#include "health/check_loop.h"
#include "health/check_spec.h"

namespace xvs {

class HealthChecker {
public:
    struct Options {
        size_t max_in_flight = 1000;
        // First rounds run within min(interval, this) of a check being added.
        double first_round_window_s = 1.0;
    };

    HealthChecker();
    explicit HealthChecker(Options options);
    ~HealthChecker();
    HealthChecker(const HealthChecker&) = delete;
    HealthChecker& operator=(const HealthChecker&) = delete;

    // assume_up: subscribers new to the checker that start as up instead of
    // unknown (reals a restarted daemon found serving): their first result
    // is not reported unless it changes that, and failurecount applies.
    void set_checks(std::vector<std::pair<SubscriberId, CheckSpec>> checks,
                    const std::set<SubscriberId>& assume_up = {});

    void start();  // std::runtime_error if the thread or its fds cannot be set up
    void stop();

    // Readable while changes are queued (never read it yourself).
    int changes_fd() const { return mailbox_->changes_fd.get(); }
    std::vector<StateChange> take_changes();
    // Blocks until changes are queued or timeout_s passes; true if queued.
    bool wait_for_changes(double timeout_s) const;

    HealthCheckerStats stats() const;
    // The loop's fatal error, if it ended on one (empty otherwise).
    std::string error() const;

private:
    void wake();

    Options options_;
    std::unique_ptr<CheckerMailbox> mailbox_;
    std::unique_ptr<CheckLoop> loop_;
    std::thread thread_;
};

}  // namespace xvs
