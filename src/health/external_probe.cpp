#include "health/external_probe.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/errno_text.h"
#include "health/sockaddr.h"

namespace xvs {

std::vector<std::string> external_check_argv(const CheckSpec& spec) {
    return {spec.checkcommand, spec.virtual_host_arg, spec.virtual_port_arg, spec.address.to_string(),
            std::to_string(spec.port)};
}

ExternalProbe::ExternalProbe(std::vector<std::string> argv) : argv_(std::move(argv)) {}

ExternalProbe::~ExternalProbe() {
    // Normally finished or abandoned by now; if not, do not leave a zombie.
    if (pid_ > 0) {
        ::kill(-pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
}

std::optional<CheckResult> ExternalProbe::start(ProbeIo& io) {
    // Own process group, so that a timeout kills what the script started too.
    int err = spawn_child(argv_, ChildSettings{.own_process_group = true, .quiet_stdout = true, .search_path = true},
                          &pid_);
    if (err != 0) {
        pid_ = -1;
        throw_if_out_of_fds(err, "cannot run " + argv_.front());
        return CheckResult{false, "cannot run " + argv_.front() + ": " + errno_reason(err), 0};
    }
    pidfd_.reset(open_pidfd(pid_));
    if (!pidfd_) {
        int saved = errno;
        ::kill(-pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
        throw_if_out_of_fds(saved, "cannot watch " + argv_.front());
        return CheckResult{false, "cannot watch " + argv_.front() + ": " + errno_reason(saved), 0};
    }
    io.watch(pidfd_.get(), EPOLLIN);
    return std::nullopt;
}

std::optional<CheckResult> ExternalProbe::on_io(ProbeIo&, uint32_t) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == 0) return std::nullopt;
    pid_t pid = pid_;
    pid_ = -1;
    if (r < 0) return CheckResult{false, "lost " + argv_.front() + " (pid " + std::to_string(pid) + "): " + errno_reason(errno), 0};
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return CheckResult{true, argv_.front() + " exit status 0", 0};
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        return CheckResult{false, argv_.front() + " exit status 127 (command not found?)", 0};
    return CheckResult{false, argv_.front() + " " + describe_wait_status(status), 0};
}

void ExternalProbe::abandon(ProbeIo& io) {
    if (pid_ <= 0) return;
    ::kill(-pid_, SIGKILL);
    io.adopt_child(pid_, std::move(pidfd_));
    pid_ = -1;
}

}  // namespace xvs
