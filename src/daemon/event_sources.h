// The kernel event sources of the daemon loop, each an RAII owner of its fd.
//
// SignalFd blocks its signals for the calling thread (and every thread it
// starts later) and delivers them as readable events instead: the loop reacts
// to SIGTERM/SIGHUP at a well-defined point, never inside a handler.
#pragma once

#include <signal.h>

#include <chrono>
#include <initializer_list>
#include <optional>
#include <vector>

#include "common/unique_fd.h"

namespace xvs {

class SignalFd {
   public:
    explicit SignalFd(std::initializer_list<int> signals);
    ~SignalFd();  // unblocks the signals again
    SignalFd(const SignalFd&) = delete;
    SignalFd& operator=(const SignalFd&) = delete;

    int fd() const { return fd_.get(); }
    // The next pending signal, or nullopt when none is pending.
    std::optional<int> read_signal();

   private:
    sigset_t set_{};
    sigset_t previous_{};
    UniqueFd fd_;
};

// A periodic timer (CLOCK_MONOTONIC).
class PeriodicTimer {
   public:
    explicit PeriodicTimer(std::chrono::milliseconds period);
    int fd() const { return fd_.get(); }
    // Consumes the expirations; returns how many periods passed (0 if none).
    uint64_t read_expirations();

   private:
    UniqueFd fd_;
};

// epoll over the sources above; wait() returns the ready fds.
class Epoll {
   public:
    Epoll();
    void add(int fd);
    // Up to `max` ready fds; empty on timeout or EINTR.
    std::vector<int> wait(int timeout_ms, int max = 16);

   private:
    UniqueFd fd_;
};

}  // namespace xvs
