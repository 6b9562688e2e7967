#include "health/ping_probe.h"

#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <random>

#include "common/errno_text.h"
#include "health/datagram_drain.h"

namespace xvs {
namespace {

constexpr uint8_t echo_request4 = 8, echo_reply4 = 0;
constexpr uint8_t echo_request6 = 128, echo_reply6 = 129;
constexpr size_t header_bytes = 8, payload_bytes = 8;
// ICMP_FILTER of <linux/icmp.h>, which clashes with the glibc headers.
constexpr int icmp_filter_option = 1;

uint64_t next_token() {
    static std::atomic<uint64_t> counter{(static_cast<uint64_t>(std::random_device{}()) << 32) ^
                                         static_cast<uint64_t>(::getpid())};
    return counter.fetch_add(0x9e3779b97f4a7c15ULL);
}

}  // namespace

uint16_t internet_checksum(const uint8_t* data, size_t len) {
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < len; i += 2) sum += static_cast<uint32_t>(data[i] << 8 | data[i + 1]);
    if (len & 1) sum += static_cast<uint32_t>(data[len - 1] << 8);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

PingProbe::PingProbe(SockAddr target) : target_(target), v6_(target.family() == AF_INET6) {
    token_ = next_token();
    ident_ = static_cast<uint16_t>(token_ >> 48);
    sequence_ = static_cast<uint16_t>(token_ >> 32);
}

std::optional<CheckResult> PingProbe::start(ProbeIo& io) {
    int family = v6_ ? AF_INET6 : AF_INET;
    int protocol = v6_ ? static_cast<int>(IPPROTO_ICMPV6) : static_cast<int>(IPPROTO_ICMP);
    socket_.reset(::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol));
    if (!socket_) {
        int dgram_errno = errno;
        throw_if_out_of_fds(dgram_errno, "cannot open an ICMP socket");
        socket_.reset(::socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol));
        if (!socket_)
            return CheckResult{false, "cannot open an ICMP socket (ping socket: " + errno_reason(dgram_errno) +
                                          "; raw socket: " + errno_reason(errno) + ")", 0};
        raw_ = true;
        // Only echo replies reach this socket.
        if (v6_) {
            icmp6_filter filter;
            ICMP6_FILTER_SETBLOCKALL(&filter);
            ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &filter);
            ::setsockopt(socket_.get(), IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof filter);
        } else {
            uint32_t mask = ~(1u << ICMP_ECHOREPLY);
            ::setsockopt(socket_.get(), SOL_RAW, icmp_filter_option, &mask, sizeof mask);
        }
    }
    uint8_t packet[header_bytes + payload_bytes] = {};
    packet[0] = v6_ ? echo_request6 : echo_request4;
    packet[4] = static_cast<uint8_t>(ident_ >> 8);
    packet[5] = static_cast<uint8_t>(ident_);
    packet[6] = static_cast<uint8_t>(sequence_ >> 8);
    packet[7] = static_cast<uint8_t>(sequence_);
    std::memcpy(packet + header_bytes, &token_, payload_bytes);
    if (!v6_) {  // the kernel computes ICMPv6 checksums itself
        uint16_t sum = internet_checksum(packet, sizeof packet);
        packet[2] = static_cast<uint8_t>(sum >> 8);
        packet[3] = static_cast<uint8_t>(sum);
    }
    if (::sendto(socket_.get(), packet, sizeof packet, 0, target_.get(), target_.length) < 0)
        return CheckResult{false, "sending the echo request failed: " + errno_reason(errno), 0};
    io.watch(socket_.get(), EPOLLIN);
    return std::nullopt;
}

bool PingProbe::matches(const uint8_t* icmp, size_t len) const {
    if (len < header_bytes + payload_bytes) return false;
    if (icmp[0] != (v6_ ? echo_reply6 : echo_reply4)) return false;
    uint16_t seq = static_cast<uint16_t>(icmp[6] << 8 | icmp[7]);
    if (seq != sequence_) return false;
    // A ping socket rewrites the identifier to its own port; raw sockets keep it.
    if (raw_ && static_cast<uint16_t>(icmp[4] << 8 | icmp[5]) != ident_) return false;
    return std::memcmp(icmp + header_bytes, &token_, payload_bytes) == 0;
}

std::optional<CheckResult> PingProbe::on_io(ProbeIo&, uint32_t) {
    return drain_datagrams(socket_.get(), [this](std::span<const uint8_t> datagram)
                                              -> std::optional<CheckResult> {
        if (raw_ && !v6_) {  // raw IPv4 sockets deliver the IP header too
            if (datagram.size() < sizeof(iphdr)) return std::nullopt;
            size_t ihl = static_cast<size_t>(datagram[0] & 0x0f) * 4;
            if (datagram.size() < ihl) return std::nullopt;
            datagram = datagram.subspan(ihl);
        }
        if (matches(datagram.data(), datagram.size())) return CheckResult{true, "echo reply", 0};
        return std::nullopt;
    });
}

}  // namespace xvs
