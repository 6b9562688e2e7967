#include "daemon/metrics_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "config/specs.h"

namespace xvs {
namespace {

// How often deadlines are checked: timeouts hold to a quarter second.
constexpr long timer_period_ns = 250'000'000;
constexpr size_t max_refused_read = 4096;

[[noreturn]] void throw_errno(const std::string& what) {
    throw std::system_error(errno, std::generic_category(), what);
}

// false when epoll refuses (ENOMEM...): the caller drops that one client.
bool watch(int epoll_fd, int fd, uint32_t events, int op) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    return ::epoll_ctl(epoll_fd, op, fd, &ev) == 0;
}

// Over max_clients: a best-effort 503 and close. What the client already
// sent is read first, so that the close does not turn into a reset that
// would discard the answer.
void refuse(int fd) {
    static const HttpResponse busy =
        plain_response("503 Service Unavailable", "too many metrics clients, retry later");
    static const std::string text = busy.head + busy.body;
    char sink[max_refused_read];
    while (::recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0) {
    }
    // Non-blocking and best effort: a client that cannot take 100 bytes at
    // once gets only the close.
    (void)!::send(fd, text.data(), text.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

}  // namespace

std::string metrics_http_response(std::string_view head,
                                  const std::function<std::string()>& render) {
    MetricsRequest request = classify_metrics_request(head);
    HttpResponse response;
    if (auto* immediate = std::get_if<HttpResponse>(&request)) {
        response = std::move(*immediate);
    } else {
        try {
            response = metrics_ok_response(render());
        } catch (const std::exception& e) {
            response = plain_response("500 Internal Server Error", e.what());
        }
    }
    return response.head + response.body;
}

Endpoint parse_metrics_endpoint(std::string_view text) {
    auto parsed = config_detail::parse_endpoint(text);
    if (auto* e = std::get_if<std::string>(&parsed)) throw std::invalid_argument(*e);
    return std::get<Endpoint>(parsed);
}

MetricsServer::MetricsServer(const Endpoint& endpoint, Snapshot snapshot, MetricsLimits limits)
    : snapshot_(std::move(snapshot)), limits_(limits), reuse_(limits.reuse_window) {
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
    spec.it_interval.tv_nsec = timer_period_ns;
    spec.it_value.tv_nsec = timer_period_ns;
    if (::timerfd_settime(timer_.get(), 0, &spec, nullptr) != 0) throw_errno(where + ": timerfd");

    for (int fd : {listener_.get(), timer_.get(), worker_.fd()}) {
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
            if (listener_paused_ && watch(epoll_.get(), listener_.get(), EPOLLIN, EPOLL_CTL_MOD))
                listener_paused_ = false;
            expire();
        } else if (fd == worker_.fd()) {
            on_rendered();
        } else if (clients_.count(fd)) {
            on_client(fd);
        }
    }
}

void MetricsServer::accept_clients() {
    for (;;) {
        int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            // Out of fds the pending connection stays queued and the listener
            // readable: stop watching it until the next timer tick rather than
            // spin the loop. EAGAIN: drained. Anything else (ECONNABORTED...)
            // concerns one connection; the next event retries.
            if (errno == EMFILE || errno == ENFILE) {
                if (watch(epoll_.get(), listener_.get(), 0, EPOLL_CTL_MOD)) listener_paused_ = true;
            }
            return;
        }
        UniqueFd owned(fd);
        if (clients_.size() >= limits_.max_clients) {
            refuse(fd);
            continue;  // closed here
        }
        if (!watch(epoll_.get(), fd, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_ADD)) continue;
        Client client;
        client.fd = std::move(owned);
        client.deadline = Clock::now() + limits_.request_timeout;
        clients_.emplace(fd, std::move(client));
    }
}

void MetricsServer::on_client(int fd) {
    Client& client = clients_.at(fd);
    if (client.out) {
        if (!flush(client)) close_client(fd);
        return;
    }
    // Waiting for a rendering, it is watched for nothing: only a hang-up or
    // an error wakes it, and nobody is left to answer.
    if (client.requested) return close_client(fd);
    char buf[4096];
    bool closed = false;
    for (;;) {
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n > 0) {
            client.in.append(buf, static_cast<size_t>(n));
            if (client.in.size() > max_request_bytes) break;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (n < 0 && errno == EINTR) continue;
        closed = true;  // EOF or error
        break;
    }
    size_t end = request_head_end(client.in);
    if (end != std::string::npos && end <= max_request_bytes) {
        std::string head = client.in.substr(0, end);
        client.in.clear();
        // Nothing more is read from it: a client waiting for a rendering is
        // not woken by what it sends meanwhile.
        if (!watch(epoll_.get(), fd, 0, EPOLL_CTL_MOD)) return close_client(fd);
        client.requested = true;
        on_request(client, head);
    } else if (client.in.size() > max_request_bytes) {
        respond(client, std::make_shared<const HttpResponse>(
                            plain_response("400 Bad Request", "request head too large")));
    } else if (closed) {
        close_client(fd);  // gone before a full request: nothing to answer
    }
}

void MetricsServer::on_request(Client& client, std::string_view head) {
    client.deadline = Clock::now() + limits_.response_timeout;
    MetricsRequest request = classify_metrics_request(head);
    if (auto* immediate = std::get_if<HttpResponse>(&request))
        return respond(client, std::make_shared<const HttpResponse>(std::move(*immediate)));
    client.gzip = std::get<WantsMetrics>(request).gzip;
    switch (reuse_.on_scrape(Clock::now())) {
        case MetricsReuse::Answer::serve_newest:
            return respond(client, reuse_.newest().encoded(client.gzip));
        case MetricsReuse::Answer::wait_for_rendering:
            waiting_.push_back(client.fd.get());
            return;
        case MetricsReuse::Answer::start_rendering: break;
    }
    Render render;
    try {
        render = snapshot_();
    } catch (const std::exception& e) {
        return respond(client, std::make_shared<const HttpResponse>(
                                   plain_response("500 Internal Server Error", e.what())));
    }
    worker_.start(std::move(render));
    reuse_.started(Clock::now());
    waiting_.push_back(client.fd.get());
}

void MetricsServer::on_rendered() {
    auto rendered = worker_.take();
    if (!rendered) return;
    reuse_.finished(rendered->bodies, rendered->ok);
    std::vector<int> waiting = std::move(waiting_);
    waiting_.clear();
    for (int fd : waiting) {
        auto it = clients_.find(fd);
        if (it != clients_.end()) respond(it->second, rendered->bodies.encoded(it->second.gzip));
    }
}

void MetricsServer::respond(Client& client, SharedResponse response) {
    client.out = std::move(response);
    client.in.clear();
    client.in.shrink_to_fit();
    int fd = client.fd.get();
    if (!flush(client) || !watch(epoll_.get(), fd, EPOLLOUT, EPOLL_CTL_MOD)) close_client(fd);
}

bool MetricsServer::flush(Client& client) {
    const HttpResponse& r = *client.out;
    while (client.sent < r.size()) {
        iovec parts[2];
        int count = 0;
        if (client.sent < r.head.size()) {
            parts[count++] = {const_cast<char*>(r.head.data()) + client.sent,
                              r.head.size() - client.sent};
            parts[count++] = {const_cast<char*>(r.body.data()), r.body.size()};
        } else {
            size_t at = client.sent - r.head.size();
            parts[count++] = {const_cast<char*>(r.body.data()) + at, r.body.size() - at};
        }
        msghdr msg{};
        msg.msg_iov = parts;
        msg.msg_iovlen = static_cast<size_t>(count);
        ssize_t n = ::sendmsg(client.fd.get(), &msg, MSG_NOSIGNAL);
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
    std::erase(waiting_, fd);
}

void MetricsServer::expire() {
    auto now = Clock::now();
    std::vector<int> late;
    for (const auto& [fd, client] : clients_)
        if (now >= client.deadline) late.push_back(fd);
    for (int fd : late) {
        // A reader that stopped reading gets a reset, not a FIN: it would
        // never take the FIN from behind the unread body either, and the
        // kernel would keep the orphaned socket with its full send buffer.
        if (clients_.at(fd).out) {
            linger abort{1, 0};
            (void)::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);  // else a FIN
        }
        close_client(fd);
    }
}

}  // namespace xvs
