// The dns check: over UDP (DnsUdpProbe) for UDP virtuals, over TCP with
// two-byte length framing (DnsTcpDialogue on a StreamProbe) for TCP
// virtuals, as ldirectord's Net::DNS resolver with usevc.
//
// The UDP probe sends one query from a connected socket and ignores replies
// with another id; an ICMP port unreachable ends it as "connection refused".
#pragma once

#include <memory>
#include "health/receive_pattern.h"
#include <vector>

#include "health/dns_message.h"
#include "health/probe.h"
#include "health/sockaddr.h"

namespace xvs {

class DnsUdpProbe : public Probe {
public:
    DnsUdpProbe(SockAddr target, const CheckSpec& spec, std::shared_ptr<const ReceivePattern> receive);
    std::optional<CheckResult> start(ProbeIo& io) override;
    std::optional<CheckResult> on_io(ProbeIo& io, uint32_t events) override;
    std::string phase() const override { return "waiting for the DNS reply"; }

private:
    SockAddr target_;
    uint16_t id_;
    std::vector<uint8_t> query_;
    std::shared_ptr<const ReceivePattern> receive_;
    UniqueFd socket_;
};

class DnsTcpDialogue : public StreamDialogue {
public:
    DnsTcpDialogue(const CheckSpec& spec, std::shared_ptr<const ReceivePattern> receive);
    std::string request() const override { return request_; }
    std::optional<CheckResult> judge(std::string_view received, bool eof) override;

private:
    uint16_t id_;
    std::string request_;
    std::shared_ptr<const ReceivePattern> receive_;
};

// A query id that differs between checks and runs.
uint16_t next_dns_id();

}  // namespace xvs
