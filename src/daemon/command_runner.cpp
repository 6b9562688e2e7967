#include "daemon/command_runner.h"

#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "common/child_process.h"

namespace xvs {

CommandRunner::CommandRunner(Log log, std::string shell) : log_(std::move(log)), shell_(std::move(shell)) {}

void CommandRunner::run(const std::string& queue, const std::string& what, const std::string& command) {
    Queue& q = queues_[queue];
    if (q.pending.size() >= max_pending) {
        ++stats_.refused;
        log_(true, what + ": `" + command + "` not run: " + std::to_string(max_pending) +
                       " commands of " + queue + " already wait for the running one");
        return;
    }
    q.pending.push_back({what, command});
    if (q.pid < 0) start_next(q);
}

void CommandRunner::start_next(Queue& q) {
    while (q.pid < 0 && !q.pending.empty()) {
        Command c = std::move(q.pending.front());
        q.pending.pop_front();
        pid_t pid = -1;
        int err = spawn_child({shell_, "-c", c.text}, ChildSettings{}, &pid);
        ++stats_.started;
        if (err != 0) {
            ++stats_.failed;
            log_(true, c.what + ": cannot run `" + c.text + "`: " + std::strerror(err));
            continue;
        }
        q.pid = pid;
        q.running = std::move(c);
        q.started = Clock::now();
        q.reported_slow = false;
    }
}

void CommandRunner::poll() {
    for (auto it = queues_.begin(); it != queues_.end();) {
        Queue& q = it->second;
        if (q.pid > 0) {
            int status = 0;
            pid_t done = ::waitpid(q.pid, &status, WNOHANG);
            if (done == q.pid || (done < 0 && errno == ECHILD)) {
                bool ok = done == q.pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
                if (!ok) {
                    ++stats_.failed;
                    log_(true, q.running.what + ": `" + q.running.text + "` " +
                                   (done == q.pid ? describe_wait_status(status) : "was reaped elsewhere"));
                }
                q.pid = -1;
                start_next(q);
            } else if (!q.reported_slow && Clock::now() - q.started > std::chrono::minutes(1)) {
                q.reported_slow = true;
                log_(true, q.running.what + ": `" + q.running.text + "` still runs after a minute; " +
                               std::to_string(q.pending.size()) + " more wait for it");
            }
        }
        if (q.pid < 0 && q.pending.empty())
            it = queues_.erase(it);
        else
            ++it;
    }
}

size_t CommandRunner::active() const {
    size_t n = 0;
    for (const auto& [name, q] : queues_) n += (q.pid > 0) + q.pending.size();
    return n;
}

bool CommandRunner::wait(std::chrono::milliseconds limit) {
    auto deadline = Clock::now() + limit;
    for (;;) {
        poll();
        if (active() == 0) return true;
        if (Clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

}  // namespace xvs
