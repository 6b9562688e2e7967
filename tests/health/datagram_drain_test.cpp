// drain_datagrams(): the receive loop shared by the DNS-over-UDP and ping probes.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <string>
#include <vector>

#include "common/errno_text.h"
#include "common/unique_fd.h"
#include "health/datagram_drain.h"
#include "health/sockaddr.h"

using namespace xvs;

namespace {

// A connected pair of non-blocking datagram sockets.
struct DatagramPair {
    UniqueFd sender, receiver;
    DatagramPair() {
        int fds[2];
        REQUIRE(::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) == 0);
        sender.reset(fds[0]);
        receiver.reset(fds[1]);
    }
    void send(const std::string& text) {
        REQUIRE(::send(sender.get(), text.data(), text.size(), 0) ==
                static_cast<ssize_t>(text.size()));
    }
};

std::string text_of(std::span<const uint8_t> datagram) {
    return std::string(datagram.begin(), datagram.end());
}

}  // namespace

TEST_CASE("drain_datagrams skips datagrams the judge passes over and stops at its verdict") {
    DatagramPair pair;
    for (const char* d : {"late", "answer", "after"}) pair.send(d);
    std::vector<std::string> seen;
    auto verdict = drain_datagrams(pair.receiver.get(), [&](std::span<const uint8_t> d)
                                                            -> std::optional<CheckResult> {
        seen.push_back(text_of(d));
        if (text_of(d) == "answer") return CheckResult{true, "matched", 0};
        return std::nullopt;
    });
    REQUIRE(verdict);
    CHECK(verdict->up);
    CHECK(verdict->reason == "matched");
    CHECK(seen == std::vector<std::string>{"late", "answer"});
    // What came after the verdict is still queued for the next call.
    seen.clear();
    auto rest = drain_datagrams(pair.receiver.get(), [&](std::span<const uint8_t> d)
                                                         -> std::optional<CheckResult> {
        seen.push_back(text_of(d));
        return std::nullopt;
    });
    CHECK_FALSE(rest);
    CHECK(seen == std::vector<std::string>{"after"});
}

TEST_CASE("drain_datagrams on an empty socket waits (no verdict) without calling the judge") {
    DatagramPair pair;
    int calls = 0;
    auto verdict = drain_datagrams(pair.receiver.get(), [&](std::span<const uint8_t>) {
        ++calls;
        return std::optional<CheckResult>{};
    });
    CHECK_FALSE(verdict);
    CHECK(calls == 0);
}

TEST_CASE("drain_datagrams reports a receive error as down with its reason") {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0);
    UniqueFd read_end(fds[0]), write_end(fds[1]);
    auto verdict = drain_datagrams(read_end.get(), [](std::span<const uint8_t>) {
        return std::optional<CheckResult>{CheckResult{true, "never", 0}};
    });
    REQUIRE(verdict);
    CHECK_FALSE(verdict->up);
    CHECK(verdict->reason == errno_reason(ENOTSOCK));
}
