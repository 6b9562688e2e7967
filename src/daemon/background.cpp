#include "daemon/background.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <system_error>

#include "common/unique_fd.h"

namespace xvs {

int run_in_background(const std::function<int(const std::function<void()>&)>& body) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
        throw std::system_error(errno, std::generic_category(), "pipe");
    UniqueFd read_end(fds[0]), write_end(fds[1]);
    std::fflush(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) throw std::system_error(errno, std::generic_category(), "fork");
    if (pid == 0) {
        read_end.reset();
        ::setsid();
        if (int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC); devnull >= 0) {
            ::dup2(devnull, STDIN_FILENO);
            ::close(devnull);
        }
        int rc = body([&] {
            char ready = '1';
            (void)!::write(write_end.get(), &ready, 1);
            write_end.reset();
        });
        std::fflush(nullptr);
        std::_Exit(rc);
    }
    write_end.reset();
    char ready = 0;
    ssize_t n;
    do {
        n = ::read(read_end.get(), &ready, 1);
    } while (n < 0 && errno == EINTR);
    if (n == 1) return 0;
    // The child exited before it was ready: report its status.
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) != 0 ? WEXITSTATUS(status) : 1;
}

}  // namespace xvs
