// Running xvsd in the background the way ldirectord does: the command returns
// once the daemon serves (exit 0) or has failed to start (exit 1, its error
// already on stderr).
#pragma once

#include <functional>

namespace xvs {

// Forks. In the parent, waits for the child's readiness and returns the exit
// code the command should have; never returns in the child, which runs
// `body(notify_ready)` in a new session and exits with its result.
int run_in_background(const std::function<int(const std::function<void()>& notify_ready)>& body);

}  // namespace xvs
