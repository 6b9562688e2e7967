// Each forwarding method and family, packets in and bytes out.
#include <catch2/catch.hpp>

#include "bpf/xdp_fixture.h"

using namespace xvs;
using namespace xvs::test;

namespace {

// The frame with both MACs replaced, to compare the untouched rest.
std::vector<uint8_t> with_macs(std::vector<uint8_t> frame, const Mac& dst, const Mac& src) {
    std::copy(dst.begin(), dst.end(), frame.begin());
    std::copy(src.begin(), src.end(), frame.begin() + 6);
    return frame;
}

}  // namespace

TEST_CASE("DR forwards a new IPv4 flow to the real's MAC, packet otherwise untouched") {
    XdpFixture f;
    f.set(make_model({make_service(Protocol::tcp, "10.0.0.100", 80,
                                   {make_real("10.1.0.2", 80, ForwardMethod::gate)})}));
    PacketSpec spec = client_packet("10.0.0.100", 80);
    auto in = build_packet(spec);
    auto out = f.send(spec);
    REQUIRE(xdp_action_name(out.action) == std::string("XDP_REDIRECT"));
    CHECK(out.frame == with_macs(in, TestNetwork::real_mac(2), f.net.real_if_mac));
    auto conns = f.dp.connections();
    REQUIRE(conns.size() == 1);
    CHECK(conns[0].client == ip("10.0.0.2"));
    CHECK(conns[0].client_port == 40000);
    CHECK(conns[0].real == ip("10.1.0.2"));
    CHECK(conns[0].state == "SYN_RECV");
    auto st = f.dp.status();
    REQUIRE(st.size() == 1);
    CHECK(st[0].counters.connections == 1);
    CHECK(st[0].counters.packets_in == 1);
    CHECK(st[0].counters.bytes_in == in.size());
    CHECK(st[0].reals[0].counters.connections == 1);
    CHECK(f.stat(XVS_STAT_REDIRECT) == 1);
}

TEST_CASE("DR forwards IPv6 flows to the real's MAC") {
    XdpFixture f;
    f.set(make_model({make_service(Protocol::udp, "fd00::100", 53,
                                   {make_real("fd00:1::3", 53, ForwardMethod::gate)})}));
    PacketSpec spec = client_packet("fd00::100", 53, 17);
    auto in = build_packet(spec);
    auto out = f.send(spec);
    REQUIRE(out.action == XDP_REDIRECT);
    CHECK(out.frame == with_macs(in, TestNetwork::real_mac(3), f.net.real_if_mac));
    CHECK(f.dp.connections().at(0).state == "UDP");
}

TEST_CASE("DR sends with XDP_TX when the real is behind the ingress interface") {
    XdpFixture f;
    f.set(make_model({make_service(Protocol::tcp, "10.0.0.100", 80,
                                   {make_real("10.1.0.4", 80, ForwardMethod::gate)})}));
    PacketSpec spec = client_packet("10.0.0.100", 80);
    spec.eth_dst = f.net.real_if_mac;
    auto out = run_xdp(f.dp.program_fd(), build_packet(spec), f.net.real_ifindex);
    CHECK(out.action == XDP_TX);
    CHECK(real_of(out) == 4);
    CHECK(f.stat(XVS_STAT_TX) == 1);
}

TEST_CASE("NAT rewrites the destination to the real and the reply back to the VIP") {
    for (bool v6 : {false, true}) {
        for (uint8_t proto : {uint8_t(6), uint8_t(17)}) {
            DYNAMIC_SECTION((v6 ? "IPv6 " : "IPv4 ") << (proto == 6 ? "TCP" : "UDP")) {
                XdpFixture f;
                std::string vip = v6 ? "fd00::100" : "10.0.0.100";
                std::string real = v6 ? "fd00:1::2" : "10.1.0.2";
                f.set(make_model({make_service(proto == 6 ? Protocol::tcp : Protocol::udp, vip, 80,
                                               {make_real(real, 8080, ForwardMethod::masq)})}));
                PacketSpec spec = client_packet(vip, 80, proto);
                auto out = f.send(spec);
                REQUIRE(out.action == XDP_REDIRECT);
                auto parsed = parse_frame(out.frame);
                REQUIRE(parsed);
                REQUIRE(parsed->ip);
                CHECK(parsed->dst == TestNetwork::real_mac(2));
                CHECK(parsed->src == f.net.real_if_mac);
                CHECK(parsed->ip->src == spec.src);
                CHECK(parsed->ip->dst == ip(real));
                CHECK(parsed->ip->sport == 40000);
                CHECK(parsed->ip->dport == 8080);
                CHECK(checksums_valid(*parsed));
                // Expected bytes: the same packet built as sent to the real.
                PacketSpec expect = spec;
                expect.dst = ip(real);
                expect.dport = 8080;
                expect.eth_dst = TestNetwork::real_mac(2);
                expect.eth_src = f.net.real_if_mac;
                expect.ttl = spec.ttl - 1;  // routed: lib/ttl.h
                CHECK(out.frame == build_packet(expect));

                PacketSpec reply;
                reply.eth_src = TestNetwork::real_mac(2);
                reply.eth_dst = f.net.real_if_mac;
                reply.src = ip(real);
                reply.dst = spec.src;
                reply.proto = proto;
                reply.sport = 8080;
                reply.dport = 40000;
                reply.tcp_flags = tcp_syn | tcp_ack;
                reply.payload = payload(11);
                auto back = f.send_from_real(reply);
                REQUIRE(back.action == XDP_REDIRECT);
                PacketSpec expect_back = reply;
                expect_back.src = ip(vip);
                expect_back.sport = 80;
                expect_back.eth_dst = f.net.client_mac;
                expect_back.eth_src = f.net.client_if_mac;
                expect_back.ttl = reply.ttl - 1;
                CHECK(back.frame == build_packet(expect_back));
                auto st = f.dp.status().at(0);
                CHECK(st.counters.packets_out == 1);
                CHECK(st.counters.bytes_out == build_packet(reply).size());
                CHECK(st.reals.at(0).counters.packets_out == 1);
                CHECK(f.stat(XVS_STAT_NAT_REPLY) == 1);
            }
        }
    }
}

TEST_CASE("NAT keeps the client's port when the real has none and a zero UDP checksum stays zero") {
    XdpFixture f;
    f.set(make_model({make_service(Protocol::udp, "10.0.0.100", 53,
                                   {make_real("10.1.0.3", 0, ForwardMethod::masq)})}));
    PacketSpec spec = client_packet("10.0.0.100", 53, 17);
    spec.udp_zero_checksum = true;
    auto out = f.send(spec);
    REQUIRE(out.action == XDP_REDIRECT);
    PacketSpec expect = spec;
    expect.dst = ip("10.1.0.3");
    expect.eth_dst = TestNetwork::real_mac(3);
    expect.eth_src = f.net.real_if_mac;
    expect.ttl = spec.ttl - 1;
    CHECK(out.frame == build_packet(expect));
}

TEST_CASE("a reply that matches no NAT flow passes to the stack untouched") {
    XdpFixture f;
    f.set(make_model({make_service(Protocol::tcp, "10.0.0.100", 80,
                                   {make_real("10.1.0.2", 8080, ForwardMethod::masq)})}));
    PacketSpec reply;
    reply.src = ip("10.1.0.2");
    reply.dst = ip("10.0.0.2");
    reply.sport = 8080;
    reply.dport = 40001;
    reply.eth_dst = f.net.real_if_mac;
    auto in = build_packet(reply);
    auto out = f.send_from_real(reply);
    CHECK(out.action == XDP_PASS);
    CHECK(out.frame == in);
}

TEST_CASE("TUN encapsulates in IPIP / IP6IP6 with a correct outer header") {
    for (bool v6 : {false, true}) {
        for (bool configured_source : {false, true}) {
            DYNAMIC_SECTION((v6 ? "IP6IP6" : "IPIP")
                            << (configured_source ? ", configured source" : ", interface source")) {
                XdpOptions o = test_options();
                if (configured_source) {
                    o.tunnel_source_v4 = ip("192.0.2.7");
                    o.tunnel_source_v6 = ip("2001:db8::7");
                }
                XdpFixture f(o);
                std::string vip = v6 ? "fd00::100" : "10.0.0.100";
                std::string real = v6 ? "fd00:1::4" : "10.1.0.4";
                f.set(make_model({make_service(Protocol::tcp, vip, 443,
                                               {make_real(real, 443, ForwardMethod::ipip)})}));
                PacketSpec spec = client_packet(vip, 443);
                auto in = build_packet(spec);
                auto out = f.send(spec);
                REQUIRE(out.action == XDP_REDIRECT);
                size_t outer = v6 ? 40 : 20;
                REQUIRE(out.frame.size() == in.size() + outer);
                auto parsed = parse_frame(out.frame);
                REQUIRE(parsed);
                REQUIRE(parsed->ip);
                CHECK(parsed->dst == TestNetwork::real_mac(4));
                CHECK(parsed->src == f.net.real_if_mac);
                CHECK(parsed->ip->proto == (v6 ? 41 : 4));
                CHECK(parsed->ip->ttl == 64);
                CHECK(parsed->ip->dst == ip(real));
                std::string src = configured_source ? (v6 ? "2001:db8::7" : "192.0.2.7")
                                                    : (v6 ? "fd00:1::1" : "10.1.0.1");
                CHECK(parsed->ip->src == ip(src));
                CHECK(parsed->ip->total_length == in.size() - 14 + outer);
                CHECK(checksums_valid(*parsed));
                // The client's packet follows the outer header byte for byte.
                CHECK(std::equal(in.begin() + 14, in.end(), out.frame.begin() + 14 + outer));
            }
        }
    }
}

TEST_CASE("a packet for an unknown VIP or port passes untouched") {
    XdpFixture f;
    f.set(make_model({make_service(Protocol::tcp, "10.0.0.100", 80,
                                   {make_real("10.1.0.2", 80, ForwardMethod::gate)})}));
    for (auto spec : {client_packet("10.0.0.101", 80), client_packet("10.0.0.100", 81),
                      client_packet("10.0.0.100", 80, 17), client_packet("fd00::100", 80)}) {
        auto in = build_packet(spec);
        auto out = f.send(spec);
        CHECK(out.action == XDP_PASS);
        CHECK(out.frame == in);
    }
    CHECK(f.stat(XVS_STAT_PASS) == 4);
}

TEST_CASE("a port-less virtual takes every port of its address") {
    XdpFixture f;
    f.set(make_model({make_service(Protocol::tcp, "10.0.0.100", 0,
                                   {make_real("10.1.0.2", 0, ForwardMethod::gate)})}));
    for (uint16_t port : {22, 80, 65535}) {
        auto out = f.send(client_packet("10.0.0.100", port));
        CHECK(out.action == XDP_REDIRECT);
        CHECK(real_of(out) == 2);
    }
}

TEST_CASE("IPv4 options do not stop forwarding") {
    XdpFixture f;
    f.set(make_model({make_service(Protocol::tcp, "10.0.0.100", 80,
                                   {make_real("10.1.0.2", 8080, ForwardMethod::masq)})}));
    PacketSpec spec = client_packet("10.0.0.100", 80);
    spec.ip_options = {0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00};  // router alert, NOPs, EOL
    auto out = f.send(spec);
    REQUIRE(out.action == XDP_REDIRECT);
    auto parsed = parse_frame(out.frame);
    REQUIRE(parsed->ip);
    CHECK(parsed->ip->dst == ip("10.1.0.2"));
    CHECK(parsed->ip->dport == 8080);
    CHECK(checksums_valid(*parsed));
}

TEST_CASE("IPv6 extension headers are skipped to reach the ports") {
    XdpFixture f;
    f.set(make_model({make_service(Protocol::tcp, "fd00::100", 80,
                                   {make_real("fd00:1::2", 8080, ForwardMethod::masq)})}));
    PacketSpec spec = client_packet("fd00::100", 80);
    spec.ext_headers = {{0, 8}, {60, 16}};
    auto out = f.send(spec);
    REQUIRE(out.action == XDP_REDIRECT);
    auto parsed = parse_frame(out.frame);
    REQUIRE(parsed->ip);
    CHECK(parsed->ip->dst == ip("fd00:1::2"));
    CHECK(parsed->ip->dport == 8080);
    CHECK(checksums_valid(*parsed));
}

TEST_CASE("an unresolved next hop drops the packet, counts it and queues it for resolution") {
    XdpFixture f;
    f.set(make_model({make_service(Protocol::tcp, "10.0.0.100", 80,
                                   {make_real("10.1.0.9", 80, ForwardMethod::gate)})}));
    auto out = f.send(client_packet("10.0.0.100", 80));
    CHECK(out.action == XDP_DROP);
    CHECK(f.stat(XVS_STAT_DROP_NO_NEIGH) == 1);
    CHECK(f.stat(XVS_STAT_PASS) == 0);
    CHECK(f.dp.resolve_pending_neighbours() == 1);
    // The kernel now has an entry it is resolving (or has given up on).
    std::string neigh = f.net.capture("ip neigh show 10.1.0.9");
    CHECK(neigh.find("10.1.0.9 dev rs0") != std::string::npos);
    CHECK(f.dp.resolve_pending_neighbours() == 0);
}

TEST_CASE("a VIP packet is dropped, not passed, when forwarding is disabled") {
    XdpFixture f;
    f.set(make_model({make_service(Protocol::tcp, "10.0.0.100", 80,
                                   {make_real("10.1.0.2", 80, ForwardMethod::gate)})}));
    f.net.capture("sysctl -qw net.ipv4.conf.cli0.forwarding=0");
    auto out = f.send(client_packet("10.0.0.100", 80));
    CHECK(out.action == XDP_DROP);
    CHECK(f.stat(XVS_STAT_DROP_FWD_DISABLED) == 1);
}
