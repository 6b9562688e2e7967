// ldirectord's sip check (check_sip): an OPTIONS request for login= (by
// default ldirectord@HOSTNAME) over the virtual's protocol, UDP or TCP, up
// when the reply's status line is "SIP/2.0 200 OK".
//
// The request is ldirectord's, header for header: Via names this side's
// address and port (with "UDP" even over TCP, as ldirectord writes it),
// a random Call-ID, CSeq 63104 OPTIONS. Over TCP the reply's header block
// must end (an empty line) before the check is up; over UDP its datagram
// holds it. Another status is down, quoting the line.
#pragma once

#include <array>
#include <memory>
#include <string>

#include "common/unique_fd.h"
#include "health/check_spec.h"
#include "health/probe.h"
#include "health/sockaddr.h"

namespace xvs {

// OPTIONS as ldirectord sends it, from `local` (ADDR:PORT) with `call_id`.
std::string sip_options_request(const std::string& login, const std::string& local, const std::string& call_id);

// service=sip: a datagram probe for UDP virtuals, a StreamProbe for TCP.
std::unique_ptr<Probe> make_sip_probe(const CheckSpec& spec);

}  // namespace xvs
