// StreamProbe: a TCP check (connect, then optionally TLS, a request and a
// judged reply) on one non-blocking socket.
//
// Without a dialogue the check is ldirectord's connect check: up as soon as
// the connection is established. Replies are read up to max_reply bytes;
// beyond that the dialogue judges what it has. A dialogue of several turns
// gives each next command through next_request(); an empty first request
// means the server speaks first (a greeting).
#pragma once

#include <memory>
#include <string>

#include "health/probe.h"
#include "health/sockaddr.h"
#include "health/tls.h"

namespace xvs {

class StreamProbe : public Probe {
public:
    static constexpr size_t max_reply = 1 << 20;

    // tls: null for plain TCP. server_name: SNI when tls is set.
    StreamProbe(SockAddr target, std::unique_ptr<StreamDialogue> dialogue,
                const TlsContext* tls = nullptr, std::string server_name = {});

    std::optional<CheckResult> start(ProbeIo& io) override;
    std::optional<CheckResult> on_io(ProbeIo& io, uint32_t events) override;
    std::string phase() const override;

private:
    enum class Phase { connecting, handshaking, sending, receiving };

    std::optional<CheckResult> connected(ProbeIo& io);
    std::optional<CheckResult> advance(ProbeIo& io);
    std::optional<CheckResult> send_request(ProbeIo& io);
    std::optional<CheckResult> receive_reply(ProbeIo& io);
    // Sends the dialogue's farewell without waiting (the verdict is up).
    void say_farewell();
    // Maps a TLS want_read/want_write onto the fd's epoll interest.
    void wait_for(ProbeIo& io, TlsStatus status);

    SockAddr target_;
    std::unique_ptr<StreamDialogue> dialogue_;
    const TlsContext* tls_context_;
    std::string server_name_;
    UniqueFd socket_;
    std::unique_ptr<TlsConnection> tls_;
    Phase phase_ = Phase::connecting;
    std::string request_;
    size_t sent_ = 0;
    std::string received_;
};

}  // namespace xvs
