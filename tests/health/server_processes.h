// Running the real servers of the health tests: free loopback ports,
// processes started with their output in a log, waited for, and stopped by
// PID (SIGTERM, then SIGKILL).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace xvs::test {

// A port of 127.0.0.1 free a moment ago (bound to 0, read, closed).
uint16_t free_loopback_port();
// Whether every port of 127.0.0.1 accepts a connection, polled for up to 60 s.
bool all_accept(const std::vector<uint16_t>& ports);
// fork + exec of argv[0] (a path), stdout and stderr appended to `log`;
// `as_child` runs in the child first (e.g. to drop to another user).
pid_t spawn(const std::vector<std::string>& argv, const std::string& log,
            const std::function<void()>& as_child = {});
// spawn() and wait: the exit status (0 = success).
int run(const std::vector<std::string>& argv, const std::string& log, const std::function<void()>& as_child = {});
// SIGTERM, then SIGKILL after 5 s; reaps; sets pid to -1.
void terminate(pid_t& pid);
// In a child: become `user` (its uid, gid and groups).
void become(const std::string& user);

// A server the test started: its private directory (made empty here) and
// its process, both gone with the object (SIGTERM by PID, then the
// directory). Each server's constructor fills dir_ and starts pid_.
class TestServer {
public:
    TestServer(const TestServer&) = delete;
    TestServer& operator=(const TestServer&) = delete;
    // Before the destructor: stop serving now.
    void stop() { terminate(pid_); }

protected:
    explicit TestServer(const std::string& what);  // dir_ = TMPDIR/xvs-WHAT-PID-N
    ~TestServer();
    std::string dir_;
    pid_t pid_ = -1;
};

}  // namespace xvs::test
