// CommandRunner: the operator's commands (fallbackcommand=, callback=), run
// as ldirectord runs them, through the shell (`/bin/sh -c "CMD ARGS"`, its
// system()), but without stopping the event loop while they run.
//
// Contract:
//  - run(queue, command) starts the command now when nothing of its queue
//    runs, else after the ones queued before it: a virtual's "start" and
//    "stop" run one after the other, in order. Queues are independent.
//  - poll() (the daemon's 1 s timer) reaps what ended, logs a command that
//    failed ("fallbackcommand: `CMD start 10.0.0.1:80 tcp` exit status 1")
//    and starts the next of its queue. A command runs as long as it takes
//    (ldirectord waits for it too); one running past a minute is logged once.
//  - At most max_pending commands wait per queue; one more is refused and
//    logged, never silently dropped.
//  - wait(limit) at stop: polls until nothing runs or waits, or the limit;
//    what still runs then is left running (it is the operator's command).
//  - Children get default signals and no fd of xvsd's (child_process.h).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <string>

namespace xvs {

class CommandRunner {
   public:
    using Clock = std::chrono::steady_clock;
    // (is_error, line) for the daemon's log.
    using Log = std::function<void(bool, const std::string&)>;
    static constexpr size_t max_pending = 64;

    explicit CommandRunner(Log log, std::string shell = "/bin/sh");

    // `what` names the directive in log lines ("fallbackcommand").
    void run(const std::string& queue, const std::string& what, const std::string& command);
    void poll();
    bool wait(std::chrono::milliseconds limit);
    size_t active() const;

    struct Stats { uint64_t started = 0, failed = 0, refused = 0; };
    Stats stats() const { return stats_; }

   private:
    struct Command {
        std::string what;
        std::string text;
    };
    struct Queue {
        pid_t pid = -1;  // the running command, if any
        Command running;
        Clock::time_point started{};
        bool reported_slow = false;
        std::deque<Command> pending;
    };
    void start_next(Queue& q);

    Log log_;
    std::string shell_;
    std::map<std::string, Queue> queues_;
    Stats stats_;
};

}  // namespace xvs
