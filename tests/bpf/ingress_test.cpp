// Which frames the program takes at all (bpf/lib/ingress.h): destination MAC,
// VLAN tags, martian sources, LAND, IPv4 header checksum; TTL handling
// (bpf/lib/ttl.h); NAT replies looked up before services.
#include <catch2/catch.hpp>
#include <net/if.h>

#include "bpf/xdp_fixture.h"

using namespace xvs;
using namespace xvs::test;

namespace {

Model dr_and_nat() {
    return make_model({make_service(Protocol::tcp, "10.0.0.100", 80,
                                    {make_real("10.1.0.2", 80, ForwardMethod::gate)}),
                       make_service(Protocol::tcp, "10.0.0.100", 8080,
                                    {make_real("10.1.0.3", 80, ForwardMethod::masq)}),
                       make_service(Protocol::tcp, "fd00::100", 80,
                                    {make_real("fd00:1::2", 80, ForwardMethod::gate)})});
}

// Sends spec and checks the frame went back to the stack byte for byte,
// leaving no state behind.
void check_passed_untouched(XdpFixture& f, const PacketSpec& spec) {
    auto in = build_packet(spec);
    auto out = f.send(spec);
    CHECK(xdp_action_name(out.action) == std::string("XDP_PASS"));
    CHECK(out.frame == in);
    CHECK(f.entries("xvs_conns") == 0);
}

void check_dropped_statelessly(XdpFixture& f, const PacketSpec& spec, xvs_stat counter) {
    uint64_t before = f.stat(counter);
    auto out = f.send(spec);
    CHECK(xdp_action_name(out.action) == std::string("XDP_DROP"));
    CHECK(f.stat(counter) == before + 1);
    CHECK(f.stat(XVS_STAT_NEW_CONN) == 0);
    CHECK(f.entries("xvs_conns") == 0);
    CHECK(f.entries("xvs_nat_reverse") == 0);
}

}  // namespace

TEST_CASE("frames to another MAC, broadcast or multicast go to the stack untouched") {
    XdpFixture f;
    f.set(dr_and_nat());
    for (const char* dst : {"02:00:00:00:00:99", "ff:ff:ff:ff:ff:ff", "01:00:5e:00:00:01",
                            "33:33:00:00:00:01", "02:00:00:00:01:01" /* the other interface's */}) {
        for (const char* vip : {"10.0.0.100", "fd00::100"}) {
            INFO(vip << " to " << dst);
            PacketSpec spec = client_packet(vip, 80);
            spec.eth_dst = mac(dst);
            uint64_t before = f.stat(XVS_STAT_PASS_OTHER_HOST);
            check_passed_untouched(f, spec);
            CHECK(f.stat(XVS_STAT_PASS_OTHER_HOST) == before + 1);
        }
    }
}

TEST_CASE("a frame on an interface the program was not told about is passed") {
    XdpFixture f;
    f.set(dr_and_nat());
    int other = static_cast<int>(if_nametoindex("cli1"));  // cli0's peer, never served
    REQUIRE(other != 0);
    PacketSpec spec = client_packet("10.0.0.100", 80);
    auto in = build_packet(spec);
    auto out = run_xdp(f.dp.program_fd(), in, other);
    CHECK(out.action == XDP_PASS);
    CHECK(out.frame == in);
    CHECK(f.stat(XVS_STAT_PASS_OTHER_HOST) == 1);
}

TEST_CASE("802.1Q and QinQ frames to a VIP on an untagged interface are passed untouched") {
    XdpFixture f;
    f.set(dr_and_nat());
    for (bool qinq : {false, true}) {
        DYNAMIC_SECTION((qinq ? "802.1ad + 802.1Q" : "802.1Q")) {
            PacketSpec spec = client_packet("10.0.0.100", 80);
            spec.vlans = qinq ? std::vector<uint16_t>{200, 100} : std::vector<uint16_t>{100};
            auto in = build_packet(spec);
            if (qinq) in[12] = 0x88, in[13] = 0xa8;  // service tag outside
            auto out = run_xdp(f.dp.program_fd(), in, f.net.client_ifindex);
            CHECK(out.action == XDP_PASS);
            CHECK(out.frame == in);
            CHECK(f.stat(XVS_STAT_PASS_VLAN) == 1);
            CHECK(f.entries("xvs_conns") == 0);
        }
    }
}

TEST_CASE("martian sources and LAND create no state and are dropped") {
    XdpFixture f;
    f.set(dr_and_nat());
    struct Case {
        const char* src;
        const char* vip;
    };
    for (auto [src, vip] : {Case{"127.0.0.1", "10.0.0.100"}, Case{"127.255.0.9", "10.0.0.100"},
                            Case{"0.0.0.0", "10.0.0.100"}, Case{"0.1.2.3", "10.0.0.100"},
                            Case{"255.255.255.255", "10.0.0.100"}, Case{"224.0.0.1", "10.0.0.100"},
                            Case{"239.1.2.3", "10.0.0.100"}, Case{"240.0.0.1", "10.0.0.100"},
                            Case{"10.0.0.100", "10.0.0.100"}, Case{"::1", "fd00::100"},
                            Case{"::", "fd00::100"}, Case{"ff02::1", "fd00::100"},
                            Case{"::ffff:10.0.0.2", "fd00::100"}, Case{"fd00::100", "fd00::100"}}) {
        for (uint16_t port : {uint16_t(80), uint16_t(8080)}) {
            if (port == 8080 && vip[0] == 'f') continue;
            INFO(src << " -> " << vip << ":" << port);
            PacketSpec spec = client_packet(vip, port);
            spec.src = ip(src);
            if (std::string(src) == vip) spec.sport = port;  // LAND: src = dst, ports too
            check_dropped_statelessly(f, spec, XVS_STAT_DROP_MARTIAN);
        }
    }
}

TEST_CASE("an IPv4 header with a bad checksum is dropped before it is scheduled") {
    XdpFixture f;
    f.set(dr_and_nat());
    for (bool options : {false, true}) {
        DYNAMIC_SECTION((options ? "with options" : "plain header")) {
            PacketSpec spec = client_packet("10.0.0.100", 8080);
            if (options) spec.ip_options = {0x01, 0x01, 0x01, 0x00};
            auto frame = build_packet(spec);
            frame[14 + 10] ^= 0x40;  // the header checksum
            auto out = run_xdp(f.dp.program_fd(), frame, f.net.client_ifindex);
            CHECK(out.action == XDP_DROP);
            CHECK(f.stat(XVS_STAT_DROP_BAD_CSUM) == 1);
            CHECK(f.entries("xvs_conns") == 0);
            CHECK(f.entries("xvs_nat_reverse") == 0);
            // The same packet with its checksum intact is scheduled.
            CHECK(f.send(spec).action == XDP_REDIRECT);
        }
    }
}

TEST_CASE("NAT decrements the TTL / hop limit both ways, DR and TUN leave it") {
    for (bool v6 : {false, true}) {
        DYNAMIC_SECTION((v6 ? "IPv6" : "IPv4")) {
            XdpFixture f;
            std::string vip = v6 ? "fd00::100" : "10.0.0.100";
            std::string real = v6 ? "fd00:1::3" : "10.1.0.3";
            f.set(make_model({make_service(Protocol::tcp, vip, 80, {make_real(real, 80, ForwardMethod::masq)}),
                              make_service(Protocol::tcp, vip, 81, {make_real(real, 81, ForwardMethod::gate)}),
                              make_service(Protocol::tcp, vip, 82, {make_real(real, 82, ForwardMethod::ipip)})}));
            PacketSpec spec = client_packet(vip, 80);
            spec.ttl = 9;
            auto out = f.send(spec);
            REQUIRE(out.action == XDP_REDIRECT);
            PacketSpec expect = spec;
            expect.dst = ip(real);
            expect.ttl = 8;
            expect.eth_dst = TestNetwork::real_mac(3);
            expect.eth_src = f.net.real_if_mac;
            CHECK(out.frame == build_packet(expect));  // header checksum updated

            PacketSpec reply;
            reply.eth_src = TestNetwork::real_mac(3);
            reply.src = ip(real);
            reply.dst = spec.src;
            reply.sport = 80;
            reply.dport = spec.sport;
            reply.tcp_flags = tcp_syn | tcp_ack;
            reply.ttl = 5;
            auto back = f.send_from_real(reply);
            REQUIRE(back.action == XDP_REDIRECT);
            PacketSpec expect_back = reply;
            expect_back.src = ip(vip);
            expect_back.ttl = 4;
            expect_back.eth_dst = f.net.client_mac;
            expect_back.eth_src = f.net.client_if_mac;
            CHECK(back.frame == build_packet(expect_back));

            for (uint16_t port : {uint16_t(81), uint16_t(82)}) {
                PacketSpec other = client_packet(vip, port);
                other.ttl = 1;
                auto sent = f.send(other);
                REQUIRE(sent.action == XDP_REDIRECT);
                auto parsed = parse_frame(sent.frame);
                REQUIRE(parsed->ip);
                const ParsedIp& client_ip = port == 82 ? *parsed->ip->inner : *parsed->ip;
                CHECK(client_ip.ttl == 1);
            }
        }
    }
}

TEST_CASE("a NAT packet with TTL / hop limit 1 is dropped and leaves no entry") {
    for (bool v6 : {false, true}) {
        DYNAMIC_SECTION((v6 ? "IPv6" : "IPv4")) {
            XdpFixture f;
            std::string vip = v6 ? "fd00::100" : "10.0.0.100";
            f.set(make_model({make_service(Protocol::tcp, vip, 80,
                                           {make_real(v6 ? "fd00:1::3" : "10.1.0.3", 80, ForwardMethod::masq)})}));
            for (uint8_t ttl : {uint8_t(1), uint8_t(0)}) {
                PacketSpec spec = client_packet(vip, 80);
                spec.ttl = ttl;
                check_dropped_statelessly(f, spec, XVS_STAT_DROP_TTL);
            }
            CHECK(f.stat(XVS_STAT_DROP_TTL) == 2);
        }
    }
}

// A client whose address and port are themselves a virtual service: the
// real's answer to it must go back to it, not be balanced to that service.
TEST_CASE("a NAT reply is looked up before the services") {
    XdpFixture f;
    auto nat = make_service(Protocol::tcp, "10.0.0.100", 80, {make_real("10.1.0.3", 80, ForwardMethod::masq)});
    auto other = make_service(Protocol::tcp, "10.0.0.2", 40000, {make_real("10.1.0.4", 80, ForwardMethod::gate)});
    f.set(make_model({nat, other}));
    auto in = f.send(client_packet("10.0.0.100", 80));  // from 10.0.0.2:40000
    REQUIRE(in.action == XDP_REDIRECT);
    PacketSpec reply;
    reply.eth_src = TestNetwork::real_mac(3);
    reply.src = ip("10.1.0.3");
    reply.dst = ip("10.0.0.2");
    reply.sport = 80;
    reply.dport = 40000;
    reply.tcp_flags = tcp_syn | tcp_ack;
    auto back = f.send_from_real(reply);
    REQUIRE(back.action == XDP_REDIRECT);
    auto parsed = parse_frame(back.frame);
    REQUIRE(parsed->ip);
    CHECK(parsed->dst == f.net.client_mac);
    CHECK(parsed->ip->src == ip("10.0.0.100"));
    CHECK(parsed->ip->sport == 80);
    CHECK(f.stat(XVS_STAT_NAT_REPLY) == 1);
    CHECK(f.stat(XVS_STAT_NEW_CONN) == 1);  // the reply scheduled nothing
}
