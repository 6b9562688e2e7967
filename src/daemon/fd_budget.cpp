#include "daemon/fd_budget.h"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

namespace xvs {

FdBudget fd_budget_for(uint64_t limit) {
    FdBudget budget;
    budget.limit = limit;
    uint64_t reserve = std::min(daemon_fd_reserve, limit / 2);
    uint64_t left = limit > reserve ? limit - reserve : 0;
    budget.checks_in_flight =
        static_cast<size_t>(std::clamp<uint64_t>(left, 1, max_checks_in_flight));
    return budget;
}

FdBudget raise_fd_limit() {
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0)
        throw std::system_error(errno, std::generic_category(), "getrlimit(RLIMIT_NOFILE)");
    if (rl.rlim_cur != rl.rlim_max) {
        rlimit raised = rl;
        raised.rlim_cur = rl.rlim_max;
        // A hard limit of "unlimited" or above fs.nr_open is refused; the soft
        // limit then stays where it was, which is still a working budget.
        if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) rl = raised;
    }
    return fd_budget_for(rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : rl.rlim_cur);
}

}  // namespace xvs
