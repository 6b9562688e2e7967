// real= lines: addresses, names, ports, ranges, methods, weights, the
// request/receive pair, thresholds (ldirectord's l:N / u:N), and errors.
#include <catch2/catch.hpp>

#include "config_test_support.h"

using namespace xvs;
using namespace xvs::test;
using Catch::Matchers::Contains;

namespace {

std::vector<RealConfig> reals_of(const std::string& lines, const std::string& header = "virtual=10.0.0.1:80") {
    Config c = parse(header + "\n" + lines);
    REQUIRE(c.virtuals.size() == 1);
    return c.virtuals[0].reals;
}

std::string real_error(const std::string& real, const std::string& header = "virtual=10.0.0.1:80") {
    return error_of(header + "\n\treal=" + real + "\n");
}

}  // namespace

TEST_CASE("a real with address, port, method and weight") {
    auto r = reals_of("\treal=10.0.0.2:8080 masq 3\n");
    REQUIRE(r.size() == 1);
    CHECK(r[0].key.address == ip("10.0.0.2"));
    CHECK(r[0].key.port == 8080);
    CHECK(r[0].method == ForwardMethod::masq);
    CHECK(r[0].weight == 3);
    CHECK(r[0].line == 2);
    CHECK(r[0].lower_threshold == 0);
    CHECK(r[0].upper_threshold == 0);
    CHECK_FALSE(r[0].request);
    CHECK_FALSE(r[0].receive);
}

TEST_CASE("a real's port defaults to 0 and its weight to 1") {
    auto r = reals_of("\treal=10.0.0.2 gate\n\treal=10.0.0.3 ipip\n");
    REQUIRE(r.size() == 2);
    CHECK(r[0].key.port == 0);
    CHECK(r[0].weight == 1);
    CHECK(r[0].method == ForwardMethod::gate);
    CHECK(r[1].method == ForwardMethod::ipip);
}

TEST_CASE("weights span ipvsadm's range 0..65535") {
    CHECK(reals_of("\treal=10.0.0.2 gate 0\n").at(0).weight == 0);
    CHECK(reals_of("\treal=10.0.0.2 gate 65535\n").at(0).weight == 65535);
    CHECK(real_error("10.0.0.2 gate 65536") == "test.cf:2: real server weight 65536 out of range 0..65535");
    CHECK_THAT(real_error("10.0.0.2 gate -1"), Contains("test.cf:2: invalid real server line, around \"-1\""));
}

TEST_CASE("a real takes host and service names") {
    auto r = reals_of("\treal=localhost:http masq\n");
    CHECK(r.at(0).key.address == ip("127.0.0.1"));
    CHECK(r.at(0).key.port == 80);
    CHECK(real_error("no-such-host.invalid:80 gate") ==
          "test.cf:2: real server: cannot resolve host name \"no-such-host.invalid\" to an IPv4 address");
    CHECK(real_error("10.0.0.2:no-such-service-xvs gate") ==
          "test.cf:2: real server: unknown service name \"no-such-service-xvs\" (not in /etc/services)");
}

TEST_CASE("an IPv4 range gives one real per address with the same settings") {
    auto r = reals_of("\treal=192.168.6.2->192.168.6.5:80 gate 10 l:5 u:50\n");
    REQUIRE(r.size() == 4);
    for (size_t i = 0; i < r.size(); ++i) {
        CHECK(r[i].key.address == IpAddress::v4(0xC0A80602u + static_cast<uint32_t>(i)));
        CHECK(r[i].key.port == 80);
        CHECK(r[i].weight == 10);
        CHECK(r[i].lower_threshold == 5);
        CHECK(r[i].upper_threshold == 50);
        CHECK(r[i].line == 2);
    }
    CHECK(reals_of("\treal=10.0.0.9->10.0.0.9 gate\n").size() == 1);
    CHECK(reals_of("\treal=10.0.0.255->10.0.1.1 masq\n").size() == 3);  // across an octet
    CHECK(reals_of("\treal=localhost->127.0.0.2 masq\n").size() == 2);   // names as in ldirectord
}

TEST_CASE("invalid ranges are rejected") {
    CHECK(real_error("10.0.0.5->10.0.0.1 gate") ==
          "test.cf:2: real server range \"10.0.0.5->10.0.0.1\": the first address must not be greater than the last");
    CHECK(real_error("10.0.0.0->10.1.0.0 gate") ==
          "test.cf:2: real server range \"10.0.0.0->10.1.0.0\" has 65537 addresses; at most 65536 are allowed");
    CHECK(error_of("virtual6=[2001:db8::]:80\n\treal6=[2001:db8::1]->[2001:db8::4]:80 gate\n") ==
          "test.cf:2: real server: address ranges are only supported for IPv4 (as in ldirectord)");
    CHECK_THAT(real_error("10.0.0.1:80->10.0.0.4 gate"), Contains("the port goes after the last address"));
}

TEST_CASE("the optional request/receive pair is read and the request made absolute") {
    auto r = reals_of("\treal=10.0.0.2:80 gate 2 \"check.html\", \"It works\"\n"
                      "\treal=10.0.0.3:80 gate \"/a\" \"b c\"\n"
                      "\treal=10.0.0.4:80 gate 1 \"/x\",\"y\" l:1 u:2\n");
    REQUIRE(r.size() == 3);
    CHECK(r[0].weight == 2);
    CHECK(r[0].request == std::string("/check.html"));
    CHECK(r[0].receive == std::string("It works"));
    CHECK(r[1].weight == 1);
    CHECK(r[1].request == std::string("/a"));
    CHECK(r[1].receive == std::string("b c"));
    CHECK(r[2].request == std::string("/x"));
    CHECK(r[2].lower_threshold == 1);
    CHECK(r[2].upper_threshold == 2);
    CHECK_THAT(real_error("10.0.0.2 gate \"only-request\""), Contains("must be followed by a quoted receive string"));
    CHECK_THAT(real_error("10.0.0.2 gate \"unterminated"), Contains("unterminated quoted string"));
}

TEST_CASE("thresholds use ldirectord's l:N and u:N, each at most once") {
    auto r = reals_of("\treal=10.0.0.2 gate 1 u:100\n\treal=10.0.0.3 gate l:7\n");
    CHECK(r[0].upper_threshold == 100);
    CHECK(r[0].lower_threshold == 0);
    CHECK(r[1].lower_threshold == 7);
    CHECK(real_error("10.0.0.2 gate l:1 l:2") == "test.cf:2: real server: threshold l: given twice");
    CHECK_THAT(real_error("10.0.0.2 gate l:x"), Contains("test.cf:2: real server: invalid threshold \"l:x\""));
    CHECK_THAT(real_error("10.0.0.2 gate u:2147483648"), Contains("invalid threshold"));
    // The man page's "<l:N>" is not what ldirectord's code accepts.
    CHECK_THAT(real_error("10.0.0.2 gate 1 \"<l:5>\""), Contains("test.cf:2:"));
}

TEST_CASE("a real's forwarding method is required and checked") {
    CHECK(real_error("10.0.0.2:80") ==
          "test.cf:2: real server \"10.0.0.2:80\" needs a forwarding method: gate, masq or ipip");
    CHECK(real_error("10.0.0.2:80 nat") == "test.cf:2: forward method must be gate, masq or ipip, not \"nat\"");
    CHECK(real_error("10.0.0.2:80 Gate") == "test.cf:2: forward method must be gate, masq or ipip, not \"Gate\"");
    CHECK_THAT(real_error("10.0.0.2:80 gate 1 extra"), Contains("test.cf:2: invalid real server line, around \"extra\""));
}

TEST_CASE("real addresses are validated and must match the virtual's family") {
    CHECK(real_error("10.0.0.256 gate") == "test.cf:2: real server: invalid address \"10.0.0.256\"");
    CHECK_THAT(real_error("5060 gate"), Contains("test.cf:2: real server: invalid address \"5060\""));
    CHECK_THAT(real_error("[2001:db8::2]:80 gate"), Contains("test.cf:2: real server: IPv6 address [2001:db8::2] in an IPv4 section"));
    CHECK_THAT(real_error("10.0.0.2:80 gate", "virtual6=[2001:db8::1]:80").c_str(),
               Contains("cannot specify \"real\" here"));
    CHECK_THAT(error_of("virtual6=[2001:db8::1]:80\n\treal6=10.0.0.2:80 gate\n"),
               Contains("test.cf:2: real server: IPv4 address 10.0.0.2 in an IPv6 section"));
    CHECK_THAT(error_of("virtual6=[2001:db8::1]:80\n\treal6=2001:db8::2 gate\n"),
               Contains("test.cf:2: real server: invalid address"));
    CHECK_THAT(real_error("10.0.0.2:99999 gate"), Contains("test.cf:2: real server: port 99999 out of range"));
    CHECK_THAT(real_error("10.0.0.2: gate"), Contains("test.cf:2: real server: missing port"));
}

TEST_CASE("IPv6 reals in brackets") {
    auto r = reals_of("\treal6=[2001:db8::2]:8080 masq 4\n\treal6=[2001:db8::3] gate\n", "virtual6=[2001:db8::1]:80");
    REQUIRE(r.size() == 2);
    CHECK(r[0].key.address == ip("2001:db8::2"));
    CHECK(r[0].key.port == 8080);
    CHECK(r[0].weight == 4);
    CHECK(r[1].key.port == 0);
}

TEST_CASE("the same real twice in a virtual is an error, judged on the port the data plane uses") {
    CHECK(real_error("10.0.0.2:80 gate\n\treal=10.0.0.2:80 masq") ==
          "test.cf:3: duplicate real server 10.0.0.2:80 in this virtual service (also at line 2)");
    // gate forces the virtual's port, so :8080 and :80 are the same real for IPVS.
    CHECK(real_error("10.0.0.2:80 gate\n\treal=10.0.0.2:8080 gate") ==
          "test.cf:3: duplicate real server 10.0.0.2:80 in this virtual service (also at line 2)");
    CHECK(real_error("10.0.0.1->10.0.0.3 gate\n\treal=10.0.0.2 gate") ==
          "test.cf:3: duplicate real server 10.0.0.2:80 in this virtual service (also at line 2)");
    CHECK(real_error("10.0.0.1->10.0.0.3 gate\n\treal=10.0.0.2->10.0.0.5 gate") ==
          "test.cf:3: duplicate real server 10.0.0.2:80 in this virtual service (also at line 2), and 1 more on this line");
    // masq keeps its port: two reals.
    CHECK(reals_of("\treal=10.0.0.2:80 masq\n\treal=10.0.0.2:8080 masq\n").size() == 2);
    // fwmark reals keep their ports too.
    CHECK(reals_of("\treal=10.0.0.2 gate\n\treal=10.0.0.2:80 gate\n\tmatch=tcp 10.0.0.1\n", "virtual=3").size() == 2);
}

TEST_CASE("a file may hold at most a million real servers") {
    std::string text;
    for (int i = 0; i < 15; ++i)
        text += "virtual=10.0.0." + std::to_string(i + 1) + ":80\n\treal=10.1.0.0->10.1.255.255 masq\n";
    CHECK(parse(text).virtuals.size() == 15);  // 15 x 65536 = 983,040 reals
    text += "virtual=10.0.1.1:80\n\treal=10.2.0.0->10.2.255.255 masq\n";
    auto errors = errors_of(text);
    REQUIRE(errors.size() == 1);
    CHECK_THAT(errors[0], Contains("test.cf:32: more than 1000000 real servers in one file"));
}

TEST_CASE("an ipip real takes its tunnel as tun:TYPE[:PORT][:CSUM]") {
    auto r = reals_of("\treal=10.0.0.2:80 ipip 2 tun:gue:6080:csum u:10\n"
                      "\treal=10.0.0.3:80 ipip tun:gre:csum\n"
                      "\treal=10.0.0.4:80 ipip tun:gre\n"
                      "\treal=10.0.0.5:80 ipip tun:gue:5555\n"
                      "\treal=10.0.0.6:80 ipip\n",
                      "virtual=10.0.0.1:80");
    REQUIRE(r.size() == 5);
    CHECK(r[0].tunnel == Tunnel{TunnelType::gue, 6080, TunnelChecksum::csum});
    CHECK(r[0].weight == 2);
    CHECK(r[0].upper_threshold == 10);
    CHECK(r[2].tunnel == Tunnel{TunnelType::gre, 0, TunnelChecksum::none});
    CHECK(r[3].tunnel == Tunnel{TunnelType::gue, 5555, TunnelChecksum::none});
    CHECK(r[4].tunnel == Tunnel{});
}

TEST_CASE("a tunnel is refused where ipvsadm refuses it, saying where and what") {
    CHECK_THAT(real_error("10.0.0.2:80 gate tun:gre"),
               Contains("test.cf:2: ") && Contains("\"tun:gre\" needs the ipip forwarding method, not gate"));
    CHECK_THAT(real_error("10.0.0.2:80 ipip tun:gue"),
               Contains("You need to supply the 'tun-port' option for the 'gue' tunnel type"));
    CHECK_THAT(real_error("10.0.0.2:80 ipip tun:gre:remcsum"),
               Contains("Illegal 'tun-remcsum' option with the 'gre' tunnel type"));
    CHECK_THAT(real_error("10.0.0.2:80 ipip tun:gue:0"), Contains("tunnel port must be 1..65535, not '0'"));
    CHECK_THAT(real_error("10.0.0.2:80 ipip tun:vxlan"),
               Contains("tunnel type must be ipip, gue or gre, not 'vxlan'"));
    CHECK_THAT(real_error("10.0.0.2:80 ipip tun:gue:6080:fast"),
               Contains("tunnel checksum must be nocsum, csum or remcsum, not 'fast'"));
    CHECK_THAT(real_error("10.0.0.2:80 ipip tun:gre tun:gre"), Contains("tun: given twice"));
}
