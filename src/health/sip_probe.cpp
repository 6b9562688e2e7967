#include "health/sip_probe.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdio>

#include "common/errno_text.h"
#include "health/line_dialogue.h"
#include "health/stream_probe.h"

namespace xvs {
namespace {

CheckResult down(std::string reason) { return {false, std::move(reason), 0}; }

// This side of a connected socket as ADDR:PORT ([ADDR]:PORT for IPv6).
std::string local_end(int fd) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "0.0.0.0:0";
    char text[INET6_ADDRSTRLEN] = {};
    if (ss.ss_family == AF_INET6) {
        auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
        ::inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
        return "[" + std::string(text) + "]:" + std::to_string(ntohs(a->sin6_port));
    }
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    ::inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
    return std::string(text) + ":" + std::to_string(ntohs(a->sin_port));
}

// ldirectord's Call-ID: 8 random bytes in hex.
std::string random_call_id() {
    unsigned char bytes[8] = {};
    if (::getrandom(bytes, sizeof bytes, 0) != ssize_t(sizeof bytes))
        for (size_t i = 0; i < sizeof bytes; ++i) bytes[i] = static_cast<unsigned char>(i * 37 + 11);
    std::string out;
    char hex[3];
    for (unsigned char b : bytes) {
        std::snprintf(hex, sizeof hex, "%02x", b);
        out += hex;
    }
    return out;
}

// The status line decides: nullopt while the reply is incomplete.
std::optional<CheckResult> judge_reply(std::string_view received, bool whole) {
    size_t eol = received.find('\n');
    if (eol == std::string_view::npos) return whole ? std::optional(down("SIP: a reply without a status line")) : std::nullopt;
    std::string_view status = received.substr(0, eol);
    if (!status.empty() && status.back() == '\r') status.remove_suffix(1);
    if (status.substr(0, 14) != "SIP/2.0 200 OK") return down("SIP: OPTIONS answered '" + quoted_reply(status) + "'");
    if (!whole && received.find("\r\n\r\n") == std::string_view::npos && received.find("\n\n") == std::string_view::npos)
        return std::nullopt;
    return CheckResult{true, "SIP: OPTIONS answered 200 OK", 0};
}

class SipDialogue : public StreamDialogue {
public:
    explicit SipDialogue(std::string login) : login_(std::move(login)) {}
    void on_connected(int fd) override { local_ = local_end(fd); }
    std::string request() const override { return sip_options_request(login_, local_, random_call_id()); }
    std::optional<CheckResult> judge(std::string_view received, bool eof) override { return judge_reply(received, eof); }
    std::string awaited() const override { return "the OPTIONS reply"; }

private:
    std::string login_, local_;
};

class SipUdpProbe : public Probe {
public:
    explicit SipUdpProbe(const CheckSpec& spec) : target_(make_sockaddr(spec.address, spec.port)), login_(spec.login) {}

    std::optional<CheckResult> start(ProbeIo& io) override {
        socket_.reset(::socket(target_.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        if (!socket_) {
            throw_if_out_of_fds(errno, "cannot create a socket");
            return down("cannot create a socket: " + errno_reason(errno));
        }
        if (::connect(socket_.get(), target_.get(), target_.length) != 0) return down(errno_reason(errno));
        const std::string request = sip_options_request(login_, local_end(socket_.get()), random_call_id());
        if (::send(socket_.get(), request.data(), request.size(), 0) < 0) return down(errno_reason(errno));
        io.watch(socket_.get(), EPOLLIN);
        return std::nullopt;
    }
    std::optional<CheckResult> on_io(ProbeIo&, uint32_t) override {
        char buf[8192];
        for (;;) {
            ssize_t n = ::recv(socket_.get(), buf, sizeof buf, 0);
            if (n >= 0) return judge_reply(std::string_view(buf, static_cast<size_t>(n)), true);
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return std::nullopt;
            return down(errno_reason(errno));
        }
    }
    std::string phase() const override { return "waiting for the OPTIONS reply"; }

private:
    SockAddr target_;
    std::string login_;
    UniqueFd socket_;
};

}  // namespace

std::string sip_options_request(const std::string& login, const std::string& local, const std::string& call_id) {
    return "OPTIONS sip:" + login + " SIP/2.0\r\n" + "Via: SIP/2.0/UDP " + local + ";branch=z9hG4bKhjhs8ass877\r\n" +
           "Max-Forwards: 70\r\n" + "To: <sip:" + login + ">\r\n" + "From: <sip:" + login + ">;tag=1928301774\r\n" +
           "Call-ID: " + call_id + "\r\n" + "CSeq: 63104 OPTIONS\r\n" + "Contact: <sip:" + login + ">\r\n" +
           "Accept: application/sdp\r\n" + "Content-Length: 0\r\n\r\n";
}

std::unique_ptr<Probe> make_sip_probe(const CheckSpec& spec) {
    if (spec.l4 == Protocol::udp) return std::make_unique<SipUdpProbe>(spec);
    return std::make_unique<StreamProbe>(make_sockaddr(spec.address, spec.port), std::make_unique<SipDialogue>(spec.login));
}

}  // namespace xvs
