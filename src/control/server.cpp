#include "control/server.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "common/errno_text.h"

namespace xvs::control {
namespace {

[[noreturn]] void throw_errno(const std::string& what) {
    throw std::system_error(errno, std::generic_category(), what);
}

void watch(int epoll_fd, int fd, uint32_t events, bool modify = false) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll_fd, modify ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) != 0)
        throw_errno("control socket: epoll_ctl");
}

timespec to_timespec(std::chrono::steady_clock::time_point t) {
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
    if (ns <= 0) ns = 1;  // 0 would disarm the timer
    return timespec{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
}

// A whole reply to a client that gets no other: best effort, never blocks.
void send_parting_reply(int fd, const std::string& message) {
    std::string out = frame(encode_reply(Reply::failure(message)));
    (void)::send(fd, out.data(), out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

}  // namespace

ControlServer::ControlServer(std::string socket_path, Handler handler)
    : ControlServer(std::move(socket_path), std::move(handler), Limits{}) {}

ControlServer::ControlServer(std::string socket_path, Handler handler, Limits limits)
    : socket_path_(std::move(socket_path)), handler_(std::move(handler)), limits_(std::move(limits)) {
    if (limits_.max_clients == 0) limits_.max_clients = 1;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (socket_path_.size() >= sizeof addr.sun_path)
        throw std::system_error(ENAMETOOLONG, std::generic_category(),
                                "control socket path " + socket_path_);
    std::memcpy(addr.sun_path, socket_path_.c_str(), socket_path_.size() + 1);

    epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
    if (!epoll_) throw_errno("control socket: epoll_create1");
    listener_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!listener_) throw_errno("control socket: socket");
    // The umask makes the socket 0600 from the moment it exists; chmod alone
    // would leave a window in which anyone could connect.
    mode_t old_umask = ::umask(0177);
    int rc = ::bind(listener_.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    int bind_errno = errno;
    ::umask(old_umask);
    if (rc != 0) {
        errno = bind_errno;
        throw_errno("control socket: bind " + socket_path_);
    }
    if (::listen(listener_.get(), 16) != 0) {
        int e = errno;
        ::unlink(socket_path_.c_str());
        errno = e;
        throw_errno("control socket: listen " + socket_path_);
    }
    watch(epoll_.get(), listener_.get(), EPOLLIN);
    timer_.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
    if (!timer_) throw_errno("control socket: timerfd_create");
    watch(epoll_.get(), timer_.get(), EPOLLIN);
    spare_.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!spare_) throw_errno("control socket: opening /dev/null");
}

std::string ControlServer::busy_message() const {
    return "xvsd is busy: " + std::to_string(limits_.max_clients) +
           " control clients are connected (the limit); try again";
}

std::string ControlServer::idle_message() const {
    return "closed: no whole request within " + std::to_string(limits_.idle_timeout.count()) +
           " ms";
}

void ControlServer::notice(const std::string& message) {
    if (limits_.notice) limits_.notice(message);
}

ControlServer::~ControlServer() {
    clients_.clear();
    if (listener_) ::unlink(socket_path_.c_str());
}

void ControlServer::process() {
    epoll_event events[32];
    int n = ::epoll_wait(epoll_.get(), events, 32, 0);
    if (n < 0) {
        if (errno == EINTR) return;
        throw_errno("control socket: epoll_wait");
    }
    for (int i = 0; i < n; ++i) {
        int fd = events[i].data.fd;
        if (fd == listener_.get()) {
            accept_clients();
        } else if (fd == timer_.get()) {
            uint64_t expirations;
            (void)::read(timer_.get(), &expirations, sizeof expirations);
        } else {
            on_client_ready(fd);
        }
    }
    auto now = Clock::now();
    if (listener_paused_until_ && now >= *listener_paused_until_) {
        listener_paused_until_.reset();
        if (!spare_) spare_.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        watch(epoll_.get(), listener_.get(), EPOLLIN, true);
    }
    expire_idle(now);
    arm_timer();
}

void ControlServer::expire_idle(Clock::time_point now) {
    std::vector<int> idle;
    for (const auto& [fd, client] : clients_)
        if (client->ticket == 0 && now - client->last_active >= limits_.idle_timeout)
            idle.push_back(fd);
    for (int fd : idle) {
        // A client that stalls reading its reply gets no second one.
        if (clients_.at(fd)->out.empty()) send_parting_reply(fd, idle_message());
        drop(fd);
    }
}

void ControlServer::arm_timer() {
    std::optional<Clock::time_point> next = listener_paused_until_;
    for (const auto& [fd, client] : clients_) {
        if (client->ticket != 0) continue;  // deferred: waiting for us, not idle
        auto deadline = client->last_active + limits_.idle_timeout;
        if (!next || deadline < *next) next = deadline;
    }
    itimerspec spec{};
    if (next) spec.it_value = to_timespec(*next);
    if (::timerfd_settime(timer_.get(), TFD_TIMER_ABSTIME, &spec, nullptr) != 0)
        throw_errno("control socket: timerfd_settime");
}

bool ControlServer::on_out_of_fds(int err) {
    spare_.reset();
    UniqueFd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    bool answered = fd.valid();
    if (answered)
        send_parting_reply(fd.get(), std::string("xvsd is busy: it has no file descriptor left (") +
                                         errno_text(err) + "); try again");
    fd.reset();
    spare_.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    report_accept_failure(err, answered ? "; a client was told the daemon is busy" : "");
    if (answered && spare_) return true;
    pause_listener();
    return false;
}

void ControlServer::report_accept_failure(int err, const std::string& outcome) {
    if (auto message = accept_throttle_.report(std::string("control socket: accept: ") +
                                               errno_text(err) + outcome))
        notice(*message);
}

void ControlServer::pause_listener() {
    // Stop watching the listener for a moment instead of spinning on it.
    listener_paused_until_ = Clock::now() + limits_.accept_pause;
    watch(epoll_.get(), listener_.get(), 0, true);
}

void ControlServer::accept_clients() {
    for (;;) {
        UniqueFd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (!fd) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
            if (errno == ECONNABORTED) continue;
            if (errno == EMFILE || errno == ENFILE) {
                if (on_out_of_fds(errno)) continue;
                return;
            }
            // ENOBUFS, ENOMEM, ...: this client is lost, the next may not be.
            report_accept_failure(errno, "");
            pause_listener();
            return;
        }
        if (clients_.size() >= limits_.max_clients) {
            send_parting_reply(fd.get(), busy_message());
            continue;  // closed here
        }
        int raw = fd.get();
        watch(epoll_.get(), raw, EPOLLIN | EPOLLRDHUP);
        auto client = std::make_unique<Client>();
        client->fd = std::move(fd);
        client->last_active = Clock::now();
        clients_.emplace(raw, std::move(client));
    }
}

void ControlServer::on_client_ready(int client_fd) {
    auto it = clients_.find(client_fd);
    if (it == clients_.end()) return;
    Client& client = *it->second;
    if (!client.out.empty()) {
        if (flush(client)) drop(client_fd);
        return;
    }
    if (client.ticket != 0) {  // a deferred reply: only a hang-up matters
        char discard[256];
        ssize_t n = 0;
        while ((n = ::read(client_fd, discard, sizeof discard)) > 0) {
        }
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) drop(client_fd);
        return;
    }
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(client_fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            drop(client_fd);
            return;
        }
        if (n == 0) {  // the client went away before sending a whole request
            drop(client_fd);
            return;
        }
        std::optional<std::string> payload;
        try {
            client.reader.feed(std::string_view(buf, static_cast<size_t>(n)));
            payload = client.reader.take();
        } catch (const ProtocolError& e) {
            start_reply(client, Reply::failure(e.what()));
            return;
        }
        if (!payload) continue;
        Reply reply;
        handling_ = &client;
        try {
            reply = handler_(decode_request(*payload));
        } catch (const std::exception& e) {
            client.ticket = 0;  // deferred or not, it is answered now
            reply = Reply::failure(e.what());
        }
        handling_ = nullptr;
        if (client.handed_over) {
            clients_.erase(client_fd);  // its fd is no longer ours to close
            return;
        }
        if (client.ticket == 0) start_reply(client, reply);
        return;
    }
}

uint64_t ControlServer::defer() {
    if (!handling_) throw std::logic_error("control socket: defer() outside a request");
    handling_->ticket = next_ticket_++;
    return handling_->ticket;
}

UniqueFd ControlServer::hand_over() {
    if (!handling_) throw std::logic_error("control socket: hand_over() outside a request");
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, handling_->fd.get(), nullptr);
    handling_->handed_over = true;
    return std::move(handling_->fd);
}

void ControlServer::complete(uint64_t ticket, const Reply& reply) {
    for (auto& [fd, client] : clients_) {
        if (client->ticket != ticket) continue;
        client->ticket = 0;
        client->last_active = Clock::now();  // its reply timeout starts now
        start_reply(*client, reply);
        return;
    }
}

void ControlServer::start_reply(Client& client, const Reply& reply) {
    client.out = frame(encode_reply(reply));
    client.sent = 0;
    int fd = client.fd.get();
    if (flush(client))
        drop(fd);
    else
        watch(epoll_.get(), fd, EPOLLOUT, true);
}

bool ControlServer::flush(Client& client) {
    while (client.sent < client.out.size()) {
        ssize_t n = ::send(client.fd.get(), client.out.data() + client.sent,
                           client.out.size() - client.sent, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
            return true;  // the client is gone: nothing more to send
        }
        client.sent += static_cast<size_t>(n);
        client.last_active = Clock::now();
    }
    return true;
}

void ControlServer::drop(int client_fd) {
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, client_fd, nullptr);
    clients_.erase(client_fd);
}

}  // namespace xvs::control
