// A MetricsServer served on a thread of the test, and the client side of
// HTTP/1.0 exchanges with it (loopback sockets, bounded waits against
// hanging; no timing claim).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "common/unique_fd.h"
#include "daemon/metrics_server.h"

namespace xvs::testing {

// A TCP port free at the moment of the call (the kernel picks it).
inline uint16_t free_port() {
    UniqueFd s(::socket(AF_INET, SOCK_STREAM, 0));
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(s.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
    socklen_t len = sizeof sa;
    REQUIRE(::getsockname(s.get(), reinterpret_cast<sockaddr*>(&sa), &len) == 0);
    return ntohs(sa.sin_port);
}

inline UniqueFd connect_to(uint16_t port) {
    UniqueFd s(::socket(AF_INET, SOCK_STREAM, 0));
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(s.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) return {};
    return s;
}

// Sends `request` and reads until the server closes (bounded at 20 s against
// hanging; not a timing claim).
inline std::string http_exchange(uint16_t port, const std::string& request) {
    UniqueFd s = connect_to(port);
    REQUIRE(s);
    size_t sent = 0;
    while (sent < request.size()) {
        ssize_t n = ::send(s.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;  // the server may answer 400 and close before all is sent
        sent += static_cast<size_t>(n);
    }
    std::string reply;
    char buf[4096];
    for (;;) {
        pollfd p{s.get(), POLLIN, 0};
        if (::poll(&p, 1, 20000) != 1) break;
        ssize_t n = ::recv(s.get(), buf, sizeof buf, 0);
        if (n <= 0) break;
        reply.append(buf, static_cast<size_t>(n));
    }
    return reply;
}

inline std::string body_of(const std::string& reply) {
    auto at = reply.find("\r\n\r\n");
    return at == std::string::npos ? "" : reply.substr(at + 4);
}

// Runs a MetricsServer's loop on its own thread for the test's duration.
struct ServedMetrics {
    MetricsServer server;
    std::atomic<bool> stop{false};
    std::thread loop;

    explicit ServedMetrics(MetricsServer::Render render, MetricsLimits limits = {})
        : server(Endpoint{*IpAddress::parse("127.0.0.1"), 0},
                 [render = std::move(render)] { return render; }, limits) {
        loop = std::thread([this] {
            while (!stop) {
                pollfd p{server.fd(), POLLIN, 0};
                if (::poll(&p, 1, 50) == 1) server.process();
            }
        });
    }
    ~ServedMetrics() {
        stop = true;
        loop.join();
    }
};

}  // namespace xvs::testing
