// Checks that find no fd for their socket (EMFILE) wait for one: such a
// round says nothing about the real, so it must never report it down.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <csignal>

#include <filesystem>
#include <map>
#include <set>

#include "health/health_checker.h"
#include "local_servers.h"

using namespace xvs;
using namespace xvs::test;

namespace {

// Lowers the soft RLIMIT_NOFILE of this process for its lifetime.
class FdLimit {
public:
    explicit FdLimit(rlim_t soft) {
        REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved_) == 0);
        rlimit lowered = saved_;
        lowered.rlim_cur = soft;
        REQUIRE(::setrlimit(RLIMIT_NOFILE, &lowered) == 0);
    }
    ~FdLimit() { ::setrlimit(RLIMIT_NOFILE, &saved_); }
    FdLimit(const FdLimit&) = delete;
    FdLimit& operator=(const FdLimit&) = delete;

private:
    rlimit saved_{};
};

// Answers "OK" to every simpletcp request on `listener`, in a child process:
// its fds do not count against the limit the test lowers in this one.
class ReplyingChild {
public:
    explicit ReplyingChild(int listener) {
        pid_ = ::fork();
        REQUIRE(pid_ >= 0);
        if (pid_ > 0) return;
        for (;;) {
            UniqueFd conn(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC));
            if (!conn) continue;
            char buf[256];
            while (::read(conn.get(), buf, sizeof buf) > 0) {  // up to the half-close
            }
            (void)!::write(conn.get(), "OK\n", 3);
        }
    }
    ~ReplyingChild() {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
    ReplyingChild(const ReplyingChild&) = delete;
    ReplyingChild& operator=(const ReplyingChild&) = delete;

private:
    pid_t pid_ = -1;
};

// The fd limit under which this process has exactly `free` fds left.
rlim_t limit_leaving(int free) {
    std::set<int> open;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd"))
        open.insert(std::stoi(entry.path().filename().string()));
    int fd = 0;
    for (int left = free; left > 0; ++fd)
        if (!open.count(fd)) --left;
    return static_cast<rlim_t>(fd);
}

}  // namespace

TEST_CASE("checks that find no fd wait for one and are never reported down", "[backpressure]") {
    // One listener on 0.0.0.0 (every 127.x address reaches it), served by a
    // child: each probe holds its socket until the child's answer arrives.
    UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    REQUIRE(listener);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    REQUIRE(::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(listener.get(), 512) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    ReplyingChild replier(listener.get());

    constexpr size_t check_count = 100;
    std::vector<std::pair<SubscriberId, CheckSpec>> checks;
    for (size_t i = 0; i < check_count; ++i) {
        CheckSpec spec;
        spec.type = CheckSpec::Type::negotiate;
        spec.service = "simpletcp";
        spec.request = "PING";
        spec.receive = "OK";
        spec.address = IpAddress::v4(0x7f000001u + static_cast<uint32_t>(i) * 256);  // 127.0.x.1
        spec.port = ntohs(addr.sin_port);
        spec.interval_s = 60;  // one round each
        spec.negotiate_timeout_s = 30;
        checks.emplace_back(i, spec);
    }
    // Slots for every check and no spreading of first rounds: all of them
    // try to open a socket at once, but the fd limit leaves room for 4.
    HealthChecker::Options options;
    options.max_in_flight = check_count;
    options.first_round_window_s = 0;
    HealthChecker checker(options);
    checker.start();  // the checker's own fds exist before the limit drops
    ChangeLog log(checker);
    std::map<SubscriberId, StateChange> first;
    bool all_checked = false;
    {
        FdLimit limit(limit_leaving(4));
        checker.set_checks(checks);
        all_checked = log.wait([&](const ChangeLog& l) {
            for (const auto& c : l.all())
                if (c.first) first.emplace(c.subscriber, c);
            return first.size() == check_count;
        }, 60);
    }
    INFO(first.size() << " of " << check_count << " reals checked");
    REQUIRE(all_checked);
    for (const auto& [id, change] : first) {
        INFO("real " << id << ": " << change.reason);
        CHECK(change.up);
    }
    CHECK(checker.stats().postponed > 0);  // the limit was reached
}
