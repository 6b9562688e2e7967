// RadiusProbe: ldirectord's radius check (check_radius with Authen::Radius's
// check_pwd): one Access-Request over UDP, up only on an Access-Accept
// signed with the shared secret.
//
// Contract:
//  - The request carries User-Name login=, User-Password passwd= (hidden
//    with secret= as RFC 2865 says), NAS-IP-Address (the local IPv4 address
//    the socket uses, else 127.0.0.1, as check_pwd does) and a
//    Message-Authenticator (RFC 3579: servers hardened against forged
//    replies demand it; others ignore it).
//  - The reply must carry the request's identifier and a Response
//    Authenticator made with secret=; anything else is down ("not signed
//    with secret="). Access-Accept is up, Access-Reject down, as ldirectord.
//  - No reply before the deadline is down (timeout); an ICMP port
//    unreachable is down at once (connection refused).
#pragma once

#include <array>
#include <string>

#include "common/unique_fd.h"
#include "health/check_spec.h"
#include "health/probe.h"
#include "health/sockaddr.h"

namespace xvs {

class RadiusProbe : public Probe {
public:
    explicit RadiusProbe(const CheckSpec& spec);

    std::optional<CheckResult> start(ProbeIo& io) override;
    std::optional<CheckResult> on_io(ProbeIo& io, uint32_t events) override;
    std::string phase() const override { return "waiting for the RADIUS reply"; }

private:
    SockAddr target_;
    std::string login_, passwd_, secret_;
    UniqueFd socket_;
    uint8_t id_ = 0;
    std::array<uint8_t, 16> authenticator_{};
};

// RFC 2865 5.2: the password padded to 16 bytes, each block XORed with
// MD5(secret + previous block), the first with the request authenticator.
std::string radius_hide_password(const std::string& password, const std::string& secret,
                                 const std::array<uint8_t, 16>& authenticator);

}  // namespace xvs
