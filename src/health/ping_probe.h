// PingProbe: one ICMP (IPv4) or ICMPv6 echo request, up on the matching echo
// reply (ldirectord's Net::Ping "icmp"; also its connect check for UDP
// services).
//
// Uses an unprivileged ping socket (SOCK_DGRAM, net.ipv4.ping_group_range)
// when the kernel allows it, else a raw socket (CAP_NET_RAW). With a raw
// socket every reply on the host is seen, so replies are matched by
// identifier, sequence and a per-probe payload token.
#pragma once

#include <cstdint>

#include "health/probe.h"
#include "health/sockaddr.h"

namespace xvs {

class PingProbe : public Probe {
public:
    explicit PingProbe(SockAddr target);
    std::optional<CheckResult> start(ProbeIo& io) override;
    std::optional<CheckResult> on_io(ProbeIo& io, uint32_t events) override;
    std::string phase() const override { return "waiting for the echo reply"; }

private:
    bool matches(const uint8_t* icmp, size_t len) const;

    SockAddr target_;
    bool v6_;
    bool raw_ = false;
    uint16_t ident_;
    uint16_t sequence_;
    uint64_t token_;
    UniqueFd socket_;
};

// The Internet checksum (RFC 1071).
uint16_t internet_checksum(const uint8_t* data, size_t len);

}  // namespace xvs
