#include "health/dns_probe.h"

#include <sys/epoll.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <random>

#include "common/errno_text.h"
#include "health/datagram_drain.h"

namespace xvs {

uint16_t next_dns_id() {
    static std::atomic<uint32_t> counter{std::random_device{}()};
    return static_cast<uint16_t>(counter.fetch_add(1) * 40503u >> 16);
}

DnsUdpProbe::DnsUdpProbe(SockAddr target, const CheckSpec& spec, std::shared_ptr<const ReceivePattern> receive)
    : target_(target),
      id_(next_dns_id()),
      query_(build_dns_query(id_, dns_question_for(spec.request))),
      receive_(std::move(receive)) {}

std::optional<CheckResult> DnsUdpProbe::start(ProbeIo& io) {
    socket_.reset(::socket(target_.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!socket_) {
        throw_if_out_of_fds(errno, "cannot create a socket");
        return CheckResult{false, "cannot create a socket: " + errno_reason(errno), 0};
    }
    if (::connect(socket_.get(), target_.get(), target_.length) != 0 ||
        ::send(socket_.get(), query_.data(), query_.size(), MSG_NOSIGNAL) < 0)
        return CheckResult{false, "sending the DNS query failed: " + errno_reason(errno), 0};
    io.watch(socket_.get(), EPOLLIN);
    return std::nullopt;
}

std::optional<CheckResult> DnsUdpProbe::on_io(ProbeIo&, uint32_t) {
    return drain_datagrams(socket_.get(), [this](std::span<const uint8_t> datagram)
                                              -> std::optional<CheckResult> {
        try {
            DnsReply reply = parse_dns_reply(
                std::string_view(reinterpret_cast<const char*>(datagram.data()), datagram.size()));
            if (reply.id != id_) return std::nullopt;  // a late answer to an earlier query
            return judge_dns_reply(reply, *receive_);
        } catch (const std::runtime_error& e) {
            return CheckResult{false, e.what(), 0};
        }
    });
}

DnsTcpDialogue::DnsTcpDialogue(const CheckSpec& spec, std::shared_ptr<const ReceivePattern> receive)
    : id_(next_dns_id()), receive_(std::move(receive)) {
    auto query = build_dns_query(id_, dns_question_for(spec.request));
    request_.push_back(static_cast<char>(query.size() >> 8));
    request_.push_back(static_cast<char>(query.size() & 0xff));
    request_.append(query.begin(), query.end());
}

std::optional<CheckResult> DnsTcpDialogue::judge(std::string_view received, bool eof) {
    if (received.size() >= 2) {
        size_t length = static_cast<uint8_t>(received[0]) << 8 | static_cast<uint8_t>(received[1]);
        if (received.size() >= 2 + length) {
            try {
                DnsReply reply = parse_dns_reply(received.substr(2, length));
                if (reply.id != id_) return CheckResult{false, "DNS reply with a wrong id", 0};
                return judge_dns_reply(reply, *receive_);
            } catch (const std::runtime_error& e) {
                return CheckResult{false, e.what(), 0};
            }
        }
    }
    if (eof) return CheckResult{false, "connection closed before the DNS reply", 0};
    return std::nullopt;
}

}  // namespace xvs
