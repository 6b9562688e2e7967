// ExternalProbe: ldirectord's external check. Runs
//   checkcommand VIRTUAL VPORT REAL RPORT
// (PATH searched, no shell) in its own process group with stdin and stdout on
// /dev/null and stderr inherited; exit status 0 = up. The child is watched
// through a pidfd on the checker's loop; on timeout the whole process group
// is killed (SIGKILL) and reaped later by the loop.
//
// The process must not reap children it did not start with waitpid(-1), nor
// set SIGCHLD to SIG_IGN: either would take the exit status away.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/child_process.h"
#include "health/probe.h"

namespace xvs {

class ExternalProbe : public Probe {
public:
    explicit ExternalProbe(std::vector<std::string> argv);
    ~ExternalProbe() override;
    std::optional<CheckResult> start(ProbeIo& io) override;
    std::optional<CheckResult> on_io(ProbeIo& io, uint32_t events) override;
    std::string phase() const override { return "waiting for " + argv_.front(); }
    void abandon(ProbeIo& io) override;

private:
    std::vector<std::string> argv_;
    pid_t pid_ = -1;
    UniqueFd pidfd_;
};

// The argv of an external check.
std::vector<std::string> external_check_argv(const CheckSpec& spec);

}  // namespace xvs
