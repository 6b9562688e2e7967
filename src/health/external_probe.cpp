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

int open_pidfd(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

std::string describe_wait_status(int status) {
    if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
    return "wait status " + std::to_string(status);
}

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
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    // Own process group (so a timeout kills what the script started too),
    // default signal dispositions and an empty mask: the checker thread
    // blocks SIGPIPE, which a shell script must not inherit.
    sigset_t empty, defaults;
    sigemptyset(&empty);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGCHLD);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setsigmask(&attr, &empty);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    std::vector<char*> argv;
    for (auto& a : argv_) argv.push_back(a.data());
    argv.push_back(nullptr);
    int err = ::posix_spawnp(&pid_, argv_.front().c_str(), &actions, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
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
