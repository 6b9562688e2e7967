// Parsing /proc/net/ip_vs_conn, the IPVS connection table.
#include <catch2/catch.hpp>

#include "dataplane/ipvs/ip_vs_conn.h"

using namespace xvs;

namespace {
IpAddress ip(const char* text) { return *IpAddress::parse(text); }
const char* header_line = "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n";
}  // namespace

TEST_CASE("IPv4 connection entries decode addresses, hex ports, state and expiry") {
    std::string text = std::string(header_line) +
                       "TCP C0A8000A 9C40 C0A80069 0050 C0A8EF81 0050 ESTABLISHED     899\n"
                       "UDP C0A8000B 1F90 C0A80069 0035 C0A8EF85 0035 UDP             280\n";
    auto conns = parse_ip_vs_conn(text);
    REQUIRE(conns.size() == 2);
    CHECK(conns[0].protocol == Protocol::tcp);
    CHECK(conns[0].client == ip("192.168.0.10"));
    CHECK(conns[0].client_port == 40000);
    CHECK(conns[0].virtual_address == ip("192.168.0.105"));
    CHECK(conns[0].virtual_port == 80);
    CHECK(conns[0].real == ip("192.168.239.129"));
    CHECK(conns[0].real_port == 80);
    CHECK(conns[0].state == "ESTABLISHED");
    CHECK(conns[0].expires_in_seconds == 899);
    CHECK_FALSE(conns[0].is_template);
    CHECK(conns[1].protocol == Protocol::udp);
    CHECK(conns[1].client_port == 8080);
    CHECK(conns[1].state == "UDP");
}

TEST_CASE("persistence templates of fwmark services are recognised") {
    std::string text = std::string(header_line) +
                       "IP  C0A8000A 0000 00000064 0000 C0A8EF81 0000 NONE            599\n"
                       "TCP C0A8000A 0000 C0A80069 0050 C0A8EF81 0050 ASSURED         300\n";
    auto conns = parse_ip_vs_conn(text);
    REQUIRE(conns.size() == 2);
    CHECK(conns[0].protocol == Protocol::fwmark);
    CHECK(conns[0].is_template);
    CHECK(conns[0].virtual_address == IpAddress::v4(100));
    CHECK(conns[1].is_template);
}

TEST_CASE("IPv6 entries use full colon notation, other protocols are skipped") {
    std::string text = std::string(header_line) +
                       "TCP 2001:0db8:0000:0000:0000:0000:0000:000a 9C40 2001:0db8:0000:0000:0000:0000:0000:0001 "
                       "0050 2001:0db8:0000:0000:0000:0000:0000:0002 0050 SYN_RECV         59\n"
                       "SCTP C0A8000A 9C40 C0A80069 0050 C0A8EF81 0050 ESTABLISHED     899\n";
    auto conns = parse_ip_vs_conn(text);
    REQUIRE(conns.size() == 1);
    CHECK(conns[0].client == ip("2001:db8::a"));
    CHECK(conns[0].real == ip("2001:db8::2"));
    CHECK(conns[0].state == "SYN_RECV");
}

TEST_CASE("a malformed connection line is an error naming the line") {
    CHECK_THROWS_WITH(parse_ip_vs_conn(std::string(header_line) + "TCP C0A8000A 9C40\n"),
                      Catch::Contains("line 2: too few fields"));
    CHECK_THROWS_WITH(parse_ip_vs_conn(std::string(header_line) +
                                       "TCP C0A8000Z 9C40 C0A80069 0050 C0A8EF81 0050 CLOSE 1\n"),
                      Catch::Contains("bad client address"));
    CHECK_THROWS_WITH(parse_ip_vs_conn(std::string(header_line) +
                                       "TCP C0A8000A 9C4G C0A80069 0050 C0A8EF81 0050 CLOSE 1\n"),
                      Catch::Contains("bad port"));
    CHECK(parse_ip_vs_conn("").empty());
}
