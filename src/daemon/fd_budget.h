// How many fds xvsd may use and how many of them health checks may hold.
//
// A health check in flight holds one fd (its socket, or the pidfd of an
// external check), so thousands of unreachable reals could otherwise take
// every fd and leave none for the control socket, the metrics endpoint or
// the data plane. The budget keeps a reserve for the daemon's own fds; a
// check that still finds no fd waits and retries (CheckLoop's back-pressure),
// it is never reported down for it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace xvs {

struct FdBudget {
    uint64_t limit = 0;          // the soft RLIMIT_NOFILE in force
    size_t checks_in_flight = 0; // HealthChecker::Options::max_in_flight
};

// Fds kept for the daemon itself (control and metrics clients, maps,
// programs, netlink, inotify, ...), at most half the limit.
inline constexpr uint64_t daemon_fd_reserve = 256;
// The checker's own ceiling, whatever the limit allows.
inline constexpr size_t max_checks_in_flight = 1000;

// The budget for a soft limit of `limit` fds.
FdBudget fd_budget_for(uint64_t limit);

// Raises the soft RLIMIT_NOFILE to the hard one (as far as the kernel's
// nr_open allows) and returns the budget for the limit then in force.
// Throws std::system_error when the limit cannot be read.
FdBudget raise_fd_limit();

}  // namespace xvs
