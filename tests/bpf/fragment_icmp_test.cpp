// IP fragments and ICMP errors about virtual-service flows.
#include <catch2/catch.hpp>

#include "bpf/xdp_fixture.h"

using namespace xvs;
using namespace xvs::test;

namespace {

std::vector<uint8_t> bytes(size_t n) {
    std::vector<uint8_t> p(n);
    for (size_t i = 0; i < n; ++i) p[i] = uint8_t(i);
    return p;
}

PacketSpec fragment_of(bool v6, uint16_t offset, uint16_t length, bool more) {
    return udp_fragment(v6 ? "fd00::100" : "10.0.0.100", offset, length, more);
}

// What the real sent, as an ICMP error quotes it: VIP:vport -> client:cport.
std::vector<uint8_t> quote(bool v6, uint16_t vport = 80) {
    PacketSpec q;
    q.src = ip(v6 ? "fd00::100" : "10.0.0.100");
    q.dst = ip(v6 ? "fd00::2" : "10.0.0.2");
    q.sport = vport;
    q.dport = 40000;
    q.tcp_flags = tcp_syn | tcp_ack;
    q.payload = bytes(64);
    auto full = build_ip_packet(q);
    full.resize(v6 ? 40 + 8 + 32 : 20 + 8);  // what routers quote
    return full;
}

PacketSpec icmp_error(bool v6, uint16_t vport = 80) {
    PacketSpec e;
    e.src = ip(v6 ? "fd00::fe" : "10.0.0.254");  // a router on the client's path
    e.dst = ip(v6 ? "fd00::100" : "10.0.0.100");
    e.proto = v6 ? 58 : 1;
    e.icmp_type = v6 ? 2 : 3;  // packet too big / destination unreachable
    e.icmp_code = v6 ? 0 : 4;  // fragmentation needed
    e.icmp_rest = 1400;
    e.icmp_quote = quote(v6, vport);
    return e;
}

PacketSpec client_syn(bool v6) {
    PacketSpec s;
    s.src = ip(v6 ? "fd00::2" : "10.0.0.2");
    s.dst = ip(v6 ? "fd00::100" : "10.0.0.100");
    s.sport = 40000;
    s.dport = 80;
    return s;
}

}  // namespace

TEST_CASE("later fragments follow the first fragment's real") {
    for (bool v6 : {false, true}) {
        DYNAMIC_SECTION((v6 ? "IPv6" : "IPv4")) {
            XdpFixture f;
            f.set(make_model({make_service(Protocol::udp, v6 ? "fd00::100" : "10.0.0.100", 53,
                                           {make_real(v6 ? "fd00:1::2" : "10.1.0.2", 53, ForwardMethod::gate),
                                            make_real(v6 ? "fd00:1::3" : "10.1.0.3", 53, ForwardMethod::gate)})}));
            auto first = f.send(fragment_of(v6, 0, 48, true));
            REQUIRE(first.action == XDP_REDIRECT);
            int real = real_of(first);
            REQUIRE(real != 0);
            for (uint16_t off : {48, 96}) {
                auto in = build_packet(fragment_of(v6, off, 48, off != 96));
                auto out = run_xdp(f.dp.program_fd(), in, f.net.client_ifindex);
                CHECK(out.action == XDP_REDIRECT);
                CHECK(real_of(out) == real);
                CHECK(std::equal(in.begin() + 12, in.end(), out.frame.begin() + 12));
            }
            CHECK(f.dp.status().at(0).counters.packets_in == 3);
        }
    }
}

TEST_CASE("NAT rewrites the destination of every fragment with a valid IPv4 checksum") {
    XdpFixture f;
    f.set(make_model({make_service(Protocol::udp, "10.0.0.100", 53,
                                   {make_real("10.1.0.2", 5353, ForwardMethod::masq)})}));
    auto first = parse_frame(f.send(fragment_of(false, 0, 48, true)).frame);
    REQUIRE(first->ip);
    CHECK(first->ip->dst == ip("10.1.0.2"));
    CHECK(first->ip->dport == 5353);
    CHECK(first->ip->header_checksum_ok);
    auto later = parse_frame(f.send(fragment_of(false, 48, 64, false)).frame);
    REQUIRE(later->ip);
    CHECK(later->ip->dst == ip("10.1.0.2"));
    CHECK(later->ip->header_checksum_ok);
}

TEST_CASE("an ICMP error about a DR flow goes to that flow's real unchanged") {
    for (bool v6 : {false, true}) {
        DYNAMIC_SECTION((v6 ? "packet too big" : "fragmentation needed")) {
            XdpFixture f;
            f.set(make_model({make_service(Protocol::tcp, v6 ? "fd00::100" : "10.0.0.100", 80,
                                           {make_real(v6 ? "fd00:1::2" : "10.1.0.2", 80, ForwardMethod::gate),
                                            make_real(v6 ? "fd00:1::3" : "10.1.0.3", 80, ForwardMethod::gate)})}));
            int real = real_of(f.send(client_syn(v6)));
            REQUIRE(real != 0);
            for (int i = 0; i < 4; ++i) {
                auto in = build_packet(icmp_error(v6));
                auto out = run_xdp(f.dp.program_fd(), in, f.net.client_ifindex);
                REQUIRE(out.action == XDP_REDIRECT);
                CHECK(real_of(out) == real);
                CHECK(std::equal(in.begin() + 12, in.end(), out.frame.begin() + 12));
            }
            CHECK(f.stat(XVS_STAT_ICMP_FORWARDED) == 4);
            CHECK(f.dp.connections().size() == 1);  // errors create no flows
        }
    }
}

TEST_CASE("an ICMP error about a NAT flow is rewritten for the real, quote included") {
    for (bool v6 : {false, true}) {
        DYNAMIC_SECTION((v6 ? "IPv6" : "IPv4")) {
            XdpFixture f;
            std::string real = v6 ? "fd00:1::3" : "10.1.0.3";
            f.set(make_model({make_service(Protocol::tcp, v6 ? "fd00::100" : "10.0.0.100", 80,
                                           {make_real(real, 8080, ForwardMethod::masq)})}));
            REQUIRE(f.send(client_syn(v6)).action == XDP_REDIRECT);
            auto out = f.send(icmp_error(v6));
            REQUIRE(out.action == XDP_REDIRECT);
            auto parsed = parse_frame(out.frame);
            REQUIRE(parsed->ip);
            CHECK(parsed->ip->dst == ip(real));
            CHECK(parsed->ip->src == ip(v6 ? "fd00::fe" : "10.0.0.254"));
            REQUIRE(parsed->ip->inner);
            CHECK(parsed->ip->inner->src == ip(real));
            CHECK(parsed->ip->inner->sport == 8080);
            CHECK(parsed->ip->inner->dst == ip(v6 ? "fd00::2" : "10.0.0.2"));
            CHECK(parsed->ip->inner->dport == 40000);
            CHECK(checksums_valid(*parsed));  // outer IP, ICMP, quoted IP header
        }
    }
}

TEST_CASE("an ICMP error about no known flow passes to the stack") {
    XdpFixture f;
    f.set(make_model({make_service(Protocol::tcp, "10.0.0.100", 80,
                                   {make_real("10.1.0.2", 80, ForwardMethod::gate)})}));
    auto in = build_packet(icmp_error(false));
    auto out = run_xdp(f.dp.program_fd(), in, f.net.client_ifindex);
    CHECK(out.action == XDP_PASS);
    CHECK(out.frame == in);
}
