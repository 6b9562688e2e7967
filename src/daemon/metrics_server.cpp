#include "daemon/metrics_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "config/specs.h"

namespace xvs {
namespace {

[[noreturn]] void throw_errno(const std::string& what) {
    throw std::system_error(errno, std::generic_category(), what);
}

std::string http_reply(const char* status, const std::string& content_type,
                       const std::string& body) {
    return std::string("HTTP/1.0 ") + status + "\r\nContent-Type: " + content_type +
           "\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\nConnection: close\r\n\r\n" + body;
}

std::string plain(const char* status, const std::string& message) {
    return http_reply(status, "text/plain; charset=utf-8", message + "\n");
}

// The end of the request head ("\r\n\r\n" or, leniently, "\n\n"), or npos.
size_t head_end(const std::string& in) {
    size_t crlf = in.find("\r\n\r\n");
    size_t lf = in.find("\n\n");
    if (crlf == std::string::npos) return lf == std::string::npos ? lf : lf + 2;
    if (lf == std::string::npos || crlf + 2 < lf) return crlf + 4;
    return lf + 2;
}

bool is_token(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (c < 'A' || c > 'Z') return false;
    return true;
}

}  // namespace

std::string metrics_http_response(std::string_view head, const MetricsServer::Render& render) {
    size_t eol = head.find('\n');
    if (eol == std::string_view::npos) return plain("400 Bad Request", "malformed request line");
    std::string_view line = head.substr(0, eol);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t sp1 = line.find(' ');
    size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
        return plain("400 Bad Request", "malformed request line");
    std::string_view method = line.substr(0, sp1);
    std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    std::string_view version = line.substr(sp2 + 1);
    if (!is_token(method) || target.empty() || target.front() != '/' ||
        (version != "HTTP/1.0" && version != "HTTP/1.1"))
        return plain("400 Bad Request", "malformed request line");
    for (char c : head)
        if (static_cast<unsigned char>(c) < 0x20 && c != '\r' && c != '\n' && c != '\t')
            return plain("400 Bad Request", "control character in the request");
    std::string_view path = target.substr(0, target.find('?'));
    if (path != "/metrics") return plain("404 Not Found", "only /metrics is served here");
    if (method != "GET") return plain("405 Method Not Allowed", "use GET");
    try {
        return http_reply("200 OK", "text/plain; version=0.0.4; charset=utf-8", render());
    } catch (const std::exception& e) {
        return plain("500 Internal Server Error", e.what());
    }
}

Endpoint parse_metrics_endpoint(std::string_view text) {
    auto parsed = config_detail::parse_endpoint(text);
    if (auto* e = std::get_if<std::string>(&parsed)) throw std::invalid_argument(*e);
    return std::get<Endpoint>(parsed);
}

MetricsServer::MetricsServer(const Endpoint& endpoint, Render render,
                             std::chrono::seconds idle_timeout)
    : render_(std::move(render)), idle_timeout_(idle_timeout) {
    const std::string where = "metrics endpoint " + endpoint.to_string();
    epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
    if (!epoll_) throw_errno(where + ": epoll_create1");
    listener_.reset(::socket(endpoint.address.af(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!listener_) throw_errno(where + ": socket");
    int one = 1;
    if (::setsockopt(listener_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0)
        throw_errno(where + ": SO_REUSEADDR");
    sockaddr_storage ss{};
    socklen_t len = 0;
    if (endpoint.address.is_v6()) {
        auto* sa = reinterpret_cast<sockaddr_in6*>(&ss);
        sa->sin6_family = AF_INET6;
        sa->sin6_port = htons(endpoint.port);
        std::memcpy(&sa->sin6_addr, endpoint.address.bytes.data(), 16);
        len = sizeof *sa;
        if (::setsockopt(listener_.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0)
            throw_errno(where + ": IPV6_V6ONLY");
    } else {
        auto* sa = reinterpret_cast<sockaddr_in*>(&ss);
        sa->sin_family = AF_INET;
        sa->sin_port = htons(endpoint.port);
        std::memcpy(&sa->sin_addr, endpoint.address.bytes.data(), 4);
        len = sizeof *sa;
    }
    if (::bind(listener_.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0)
        throw_errno(where + ": bind");
    if (::listen(listener_.get(), 64) != 0) throw_errno(where + ": listen");
    len = sizeof ss;
    if (::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&ss), &len) != 0)
        throw_errno(where + ": getsockname");
    port_ = ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                           : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);

    timer_.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
    if (!timer_) throw_errno(where + ": timerfd_create");
    itimerspec spec{};
    spec.it_interval.tv_sec = 1;
    spec.it_value.tv_sec = 1;
    if (::timerfd_settime(timer_.get(), 0, &spec, nullptr) != 0) throw_errno(where + ": timerfd");

    for (int fd : {listener_.get(), timer_.get()}) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) throw_errno(where + ": epoll_ctl");
    }
}

void MetricsServer::process() {
    epoll_event events[32];
    int n = ::epoll_wait(epoll_.get(), events, 32, 0);
    if (n < 0) {
        if (errno == EINTR) return;
        throw_errno("metrics: epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
        int fd = events[i].data.fd;
        if (fd == listener_.get()) {
            accept_clients();
        } else if (fd == timer_.get()) {
            uint64_t expirations = 0;
            if (::read(fd, &expirations, sizeof expirations) < 0 && errno != EAGAIN)
                throw_errno("metrics: reading the timerfd");
            expire_idle();
        } else if (clients_.count(fd)) {
            on_client(fd, events[i].events);
        }
    }
}

void MetricsServer::accept_clients() {
    for (;;) {
        int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            // EAGAIN: drained. Anything else (EMFILE, ECONNABORTED...) concerns
            // one connection; the listener stays up and the next event retries.
            return;
        }
        UniqueFd owned(fd);
        if (clients_.size() >= max_clients) continue;  // closed at once: refused
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLRDHUP;
        ev.data.fd = fd;
        if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) continue;
        Client client;
        client.fd = std::move(owned);
        client.since = std::chrono::steady_clock::now();
        clients_.emplace(fd, std::move(client));
    }
}

void MetricsServer::on_client(int fd, uint32_t events) {
    Client& client = clients_.at(fd);
    if (client.responding) {
        if (!flush(client)) close_client(fd);
        return;
    }
    char buf[4096];
    for (;;) {
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n > 0) {
            client.in.append(buf, static_cast<size_t>(n));
            if (client.in.size() > max_request_bytes) break;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (n < 0 && errno == EINTR) continue;
        // EOF or error before a full request: nothing to answer.
        if (head_end(client.in) == std::string::npos) return close_client(fd);
        break;
    }
    size_t end = head_end(client.in);
    if (end != std::string::npos && end <= max_request_bytes) {
        client.out = metrics_http_response(std::string_view(client.in).substr(0, end), render_);
    } else if (client.in.size() > max_request_bytes) {
        client.out = plain("400 Bad Request", "request head too large");
    } else {
        if (events & (EPOLLHUP | EPOLLERR)) close_client(fd);
        return;  // wait for the rest of the head
    }
    respond(client);
}

void MetricsServer::respond(Client& client) {
    client.responding = true;
    client.in.clear();
    int fd = client.fd.get();
    if (!flush(client)) return close_client(fd);
    epoll_event ev{};
    ev.events = EPOLLOUT;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &ev) != 0) close_client(fd);
}

bool MetricsServer::flush(Client& client) {
    while (client.sent < client.out.size()) {
        ssize_t n = ::send(client.fd.get(), client.out.data() + client.sent,
                           client.out.size() - client.sent, MSG_NOSIGNAL);
        if (n > 0) {
            client.sent += static_cast<size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
        return false;
    }
    ::shutdown(client.fd.get(), SHUT_WR);
    return false;  // all sent: done
}

void MetricsServer::close_client(int fd) {
    // Closing the only reference removes it from the epoll set too.
    clients_.erase(fd);
}

void MetricsServer::expire_idle() {
    auto now = std::chrono::steady_clock::now();
    for (auto it = clients_.begin(); it != clients_.end();) {
        if (now - it->second.since >= idle_timeout_) it = clients_.erase(it);
        else ++it;
    }
}

}  // namespace xvs
