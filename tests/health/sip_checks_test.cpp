// ldirectord's sip check against SIPp (Debian's sip-tester) as the server,
// started by the test: OPTIONS over UDP and TCP, up on "SIP/2.0 200 OK".
#include <catch2/catch.hpp>
#include <string>

#include "checker_support.h"
#include "health/sip_probe.h"
#include "protocol_servers.h"
#include "server_processes.h"

using namespace xvs;
using namespace xvs::test;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

CheckSpec sip_spec(uint16_t port, Protocol l4) {
    CheckSpec spec = negotiate_spec("sip", loopback(Family::v4), port);
    spec.l4 = l4;
    spec.login = "ldirectord@director.test";
    return spec;
}

}  // namespace

TEST_CASE("sip: OPTIONS answered 200 OK by SIPp is up, over UDP and TCP", "[sip]") {
    SippServer udp(false), tcp(true);
    auto results = first_results({{1, sip_spec(udp.port, Protocol::udp)}, {2, sip_spec(tcp.port, Protocol::tcp)}});
    for (SubscriberId id : {1, 2}) {
        INFO(id << ": " << results.at(id).reason);
        CHECK(results.at(id).up);
        CHECK(results.at(id).reason == "SIP: OPTIONS answered 200 OK");
    }
}

TEST_CASE("sip: another status is down with the status line, nobody listening over UDP is refused", "[sip]") {
    SippServer busy(false, "486 Busy Here");
    auto c = first_result(sip_spec(busy.port, Protocol::udp));
    CHECK_FALSE(c.up);
    CHECK(c.reason == "SIP: OPTIONS answered 'SIP/2.0 486 Busy Here'");
    const uint16_t nobody = free_loopback_port();
    auto gone = first_result(sip_spec(nobody, Protocol::udp));
    CHECK_FALSE(gone.up);
    CHECK_THAT(gone.reason, Contains("refused"));
}

TEST_CASE("sip: the request is ldirectord's, header for header", "[sip]") {
    const std::string r = sip_options_request("ldirectord@host", "10.0.0.5:5060", "0011223344556677");
    CHECK(r ==
          "OPTIONS sip:ldirectord@host SIP/2.0\r\n"
          "Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bKhjhs8ass877\r\n"
          "Max-Forwards: 70\r\n"
          "To: <sip:ldirectord@host>\r\n"
          "From: <sip:ldirectord@host>;tag=1928301774\r\n"
          "Call-ID: 0011223344556677\r\n"
          "CSeq: 63104 OPTIONS\r\n"
          "Contact: <sip:ldirectord@host>\r\n"
          "Accept: application/sdp\r\n"
          "Content-Length: 0\r\n\r\n");
}
