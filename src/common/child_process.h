// Starting and describing child processes: what the external checks, the
// operator's commands (fallbackcommand=, callback=) and the other instances
// of execute= share.
//
// spawn_child() gives the child default signal dispositions for SIGPIPE and
// SIGCHLD and an empty signal mask: xvsd blocks its signals for signalfd
// and ignores SIGPIPE, and a shell script must inherit neither. stdin is
// /dev/null unless given. Every fd xvsd opens is O_CLOEXEC, so the child gets none.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace xvs {

struct ChildSettings {
    bool own_process_group = false;  // so that a kill of -pid ends what it started too
    bool quiet_stdout = false;       // stdout to /dev/null (else inherited, as system() does)
    bool search_path = false;        // argv[0] looked up in PATH
    int stdin_fd = -1;               // the child's stdin (else /dev/null)
};

// 0 and *pid set, or the error number of the failed spawn.
inline int spawn_child(const std::vector<std::string>& args, const ChildSettings& settings, pid_t* pid) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
    if (settings.stdin_fd >= 0)
        posix_spawn_file_actions_adddup2(&actions, settings.stdin_fd, STDIN_FILENO);
    else
        posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    if (settings.quiet_stdout)
        posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    sigset_t empty, defaults;
    sigemptyset(&empty);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGCHLD);
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    if (settings.own_process_group) {
        posix_spawnattr_setpgroup(&attr, 0);
        flags |= POSIX_SPAWN_SETPGROUP;
    }
    posix_spawnattr_setsigmask(&attr, &empty);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, flags);

    std::vector<std::string> copies = args;
    std::vector<char*> argv;
    for (auto& a : copies) argv.push_back(a.data());
    argv.push_back(nullptr);
    int err = settings.search_path
                  ? ::posix_spawnp(pid, argv.front(), &actions, &attr, argv.data(), environ)
                  : ::posix_spawn(pid, argv.front(), &actions, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    return err;
}

inline int open_pidfd(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

// "exit status 3", "killed by signal 9".
inline std::string describe_wait_status(int status) {
    if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
    return "wait status " + std::to_string(status);
}

}  // namespace xvs
