#include "health/stream_probe.h"

#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>

#include "common/errno_text.h"

namespace xvs {
namespace {

CheckResult down(std::string reason) { return {false, std::move(reason), 0}; }

}  // namespace

StreamProbe::StreamProbe(SockAddr target, std::unique_ptr<StreamDialogue> dialogue,
                         const TlsContext* tls, std::string server_name)
    : target_(target),
      dialogue_(std::move(dialogue)),
      tls_context_(tls),
      server_name_(std::move(server_name)) {}

std::string StreamProbe::phase() const {
    switch (phase_) {
        case Phase::connecting: return "connecting";
        case Phase::handshaking: return "in the TLS handshake";
        case Phase::sending: return "sending the request";
        case Phase::receiving: return "waiting for " + dialogue_->awaited();
    }
    return "?";
}

std::optional<CheckResult> StreamProbe::start(ProbeIo& io) {
    socket_.reset(::socket(target_.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!socket_) {
        throw_if_out_of_fds(errno, "cannot create a socket");
        return down("cannot create a socket: " + errno_reason(errno));
    }
    if (::connect(socket_.get(), target_.get(), target_.length) == 0) return connected(io);
    if (errno != EINPROGRESS) return down(errno_reason(errno));
    io.watch(socket_.get(), EPOLLOUT);
    return std::nullopt;
}

std::optional<CheckResult> StreamProbe::on_io(ProbeIo& io, uint32_t events) {
    if (phase_ == Phase::connecting) {
        int err = 0;
        socklen_t len = sizeof err;
        if (::getsockopt(socket_.get(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
        if (err != 0) return down(errno_reason(err));
        if (!(events & EPOLLOUT)) return std::nullopt;
        return connected(io);
    }
    return advance(io);
}

std::optional<CheckResult> StreamProbe::connected(ProbeIo& io) {
    if (!dialogue_) return CheckResult{true, "connected", 0};
    dialogue_->on_connected(socket_.get());
    request_ = dialogue_->request();
    if (tls_context_) {
        try {
            tls_ = std::make_unique<TlsConnection>(*tls_context_, socket_.get(), server_name_);
        } catch (const std::exception& e) {
            return down(e.what());
        }
        phase_ = Phase::handshaking;
    } else {
        phase_ = Phase::sending;
    }
    return advance(io);
}

std::optional<CheckResult> StreamProbe::advance(ProbeIo& io) {
    if (phase_ == Phase::handshaking) {
        TlsStatus s = tls_->handshake();
        if (s == TlsStatus::failed || s == TlsStatus::eof)
            return down("TLS handshake failed: " + (tls_->error().empty() ? "connection closed" : tls_->error()));
        if (s != TlsStatus::done) {
            wait_for(io, s);
            return std::nullopt;
        }
        phase_ = Phase::sending;
    }
    if (phase_ == Phase::sending) {
        auto verdict = send_request(io);
        if (verdict || phase_ == Phase::sending) return verdict;
    }
    return receive_reply(io);
}

std::optional<CheckResult> StreamProbe::send_request(ProbeIo& io) {
    if (tls_) {
        TlsStatus s = tls_->write(request_, sent_);
        if (s == TlsStatus::failed || s == TlsStatus::eof)
            return down("sending the request failed: " + tls_->error());
        if (s != TlsStatus::done) {
            wait_for(io, s);
            return std::nullopt;
        }
    } else {
        while (sent_ < request_.size()) {
            ssize_t n = ::send(socket_.get(), request_.data() + sent_, request_.size() - sent_, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EINTR) continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    io.watch(socket_.get(), EPOLLOUT);
                    return std::nullopt;
                }
                return down("sending the request failed: " + errno_reason(errno));
            }
            sent_ += static_cast<size_t>(n);
        }
        if (dialogue_->half_close_after_request()) ::shutdown(socket_.get(), SHUT_WR);
    }
    phase_ = Phase::receiving;
    io.watch(socket_.get(), EPOLLIN);
    return std::nullopt;
}

std::optional<CheckResult> StreamProbe::receive_reply(ProbeIo& io) {
    bool eof = false;
    if (tls_) {
        TlsStatus s = tls_->read_available(received_, max_reply);
        if (s == TlsStatus::failed) return down("reading the reply failed: " + tls_->error());
        if (s == TlsStatus::want_write) {
            wait_for(io, s);
            return std::nullopt;
        }
        eof = s == TlsStatus::eof;
    } else {
        char buf[16384];
        for (;;) {
            if (received_.size() >= max_reply) {
                eof = true;
                break;
            }
            ssize_t n = ::recv(socket_.get(), buf, sizeof buf, 0);
            if (n > 0) {
                received_.append(buf, static_cast<size_t>(n));
                continue;
            }
            if (n == 0) {
                eof = true;
                break;
            }
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            // A reset after a complete reply still lets the dialogue judge it.
            auto verdict = dialogue_->judge(received_, true);
            if (verdict && verdict->up) return verdict;
            return down("reading the reply failed: " + errno_reason(errno));
        }
    }
    auto verdict = dialogue_->judge(received_, eof);
    if (!verdict && eof) return down("connection closed before a verdict");
    if (verdict) {
        if (verdict->up) say_farewell();
        return verdict;
    }
    if (std::string next = dialogue_->next_request(); !next.empty()) {
        request_ = std::move(next);
        sent_ = 0;
        phase_ = Phase::sending;
        return advance(io);
    }
    io.watch(socket_.get(), EPOLLIN);
    return std::nullopt;
}

void StreamProbe::say_farewell() {
    const std::string bye = dialogue_->farewell();
    if (bye.empty()) return;
    // Best effort: the verdict is in, and the socket closes right after.
    if (tls_) {
        size_t written = 0;
        (void)tls_->write(bye, written);
    } else {
        (void)::send(socket_.get(), bye.data(), bye.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    }
}

void StreamProbe::wait_for(ProbeIo& io, TlsStatus status) {
    io.watch(socket_.get(), status == TlsStatus::want_write ? EPOLLOUT : EPOLLIN);
}

}  // namespace xvs
