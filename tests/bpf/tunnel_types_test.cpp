// TUN reals with --tun-type gue and gre: the exact bytes IPVS's
// ip_vs_tunnel_xmit() / ip_vs_tunnel_xmit_v6() send for a forwarded packet,
// built here independently and compared with what the program sends. The GUE
// source port is the one field that differs by design (IPVS takes it from
// the skb flow hash): it is taken from the output, checked to be in range and
// stable per flow, and its checksum effect is verified, not assumed.
#include <catch2/catch.hpp>

#include <set>

#include "bpf/xdp_fixture.h"

using namespace xvs;
using namespace xvs::test;

namespace {

void put16(std::vector<uint8_t>& b, uint16_t v) {
    b.push_back(uint8_t(v >> 8));
    b.push_back(uint8_t(v));
}

void put_address(std::vector<uint8_t>& b, const IpAddress& a) {
    b.insert(b.end(), a.bytes.begin(), a.bytes.begin() + (a.is_v6() ? 16 : 4));
}

// The one's complement sum of big-endian 16-bit words, folded, not inverted.
uint32_t ones_sum(std::span<const uint8_t> data, uint32_t sum = 0) {
    for (size_t i = 0; i < data.size(); i += 2)
        sum += uint32_t(data[i]) << 8 | (i + 1 < data.size() ? data[i + 1] : 0);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return sum;
}

struct Expectation {
    bool v6 = false;
    Tunnel tunnel;
    uint16_t gue_source_port = 0;  // from the output
};

// The frame IPVS sends for `inner` (an IP packet) to the real fd00:1::4 /
// 10.1.0.4 from the configured tunnel source.
std::vector<uint8_t> expected_frame(const Expectation& e, const std::vector<uint8_t>& inner,
                                    const TestNetwork& net) {
    IpAddress src = ip(e.v6 ? "2001:db8::7" : "192.0.2.7");
    IpAddress dst = ip(e.v6 ? "fd00:1::4" : "10.1.0.4");
    bool csum = e.tunnel.checksum != TunnelChecksum::none;
    std::vector<uint8_t> tun;  // the tunnel header after the outer IP header
    uint8_t outer_proto = 0;
    switch (e.tunnel.type) {
        case TunnelType::ipip: outer_proto = e.v6 ? 41 : 4; break;
        case TunnelType::gue:
            outer_proto = 17;
            put16(tun, e.gue_source_port);
            put16(tun, e.tunnel.port);
            put16(tun, uint16_t(8 + 4 + inner.size()));
            put16(tun, 0);
            tun.insert(tun.end(), {0x00, uint8_t(e.v6 ? 41 : 4), 0x00, 0x00});
            break;
        case TunnelType::gre:
            outer_proto = 47;
            put16(tun, csum ? 0x8000 : 0);
            put16(tun, e.v6 ? 0x86dd : 0x0800);
            if (csum) put16(tun, 0), put16(tun, 0);
            break;
    }
    std::vector<uint8_t> body = tun;
    body.insert(body.end(), inner.begin(), inner.end());
    if (e.tunnel.type == TunnelType::gue && csum) {
        std::vector<uint8_t> pseudo;
        put_address(pseudo, src);
        put_address(pseudo, dst);
        put16(pseudo, 17);
        put16(pseudo, uint16_t(body.size()));
        uint16_t c = uint16_t(~ones_sum(body, ones_sum(pseudo)));
        if (c == 0) c = 0xffff;
        body[6] = uint8_t(c >> 8);
        body[7] = uint8_t(c);
    }
    if (e.tunnel.type == TunnelType::gre && csum) {
        uint16_t c = uint16_t(~ones_sum(body));
        body[4] = uint8_t(c >> 8);
        body[5] = uint8_t(c);
    }

    std::vector<uint8_t> f;
    Mac dmac = TestNetwork::real_mac(4);
    f.insert(f.end(), dmac.begin(), dmac.end());
    f.insert(f.end(), net.real_if_mac.begin(), net.real_if_mac.end());
    put16(f, e.v6 ? 0x86dd : 0x0800);
    if (e.v6) {
        f.insert(f.end(), {0x60, 0, 0, 0});
        put16(f, uint16_t(body.size()));
        f.push_back(outer_proto);
        f.push_back(64);
        put_address(f, src);
        put_address(f, dst);
    } else {
        size_t at = f.size();
        f.insert(f.end(), {0x45, inner[1]});  // the client's TOS
        put16(f, uint16_t(20 + body.size()));
        put16(f, 0);                                 // id
        put16(f, uint16_t((inner[6] & 0x40) << 8));  // the client's DF, no offset
        f.push_back(64);
        f.push_back(outer_proto);
        put16(f, 0);
        put_address(f, src);
        put_address(f, dst);
        uint16_t c = uint16_t(~ones_sum(std::span(f).subspan(at, 20)));
        f[at + 10] = uint8_t(c >> 8);
        f[at + 11] = uint8_t(c);
    }
    f.insert(f.end(), body.begin(), body.end());
    return f;
}

XdpOptions tunnel_options() {
    XdpOptions o = test_options();
    o.tunnel_source_v4 = ip("192.0.2.7");
    o.tunnel_source_v6 = ip("2001:db8::7");
    return o;
}

RealServer tunnel_real(bool v6, const Tunnel& t) {
    RealServer r = make_real(v6 ? "fd00:1::4" : "10.1.0.4", 443, ForwardMethod::ipip);
    r.tunnel = t;
    return r;
}

Model tunnel_model(bool v6, const Tunnel& t, uint8_t proto = 6) {
    return make_model({make_service(proto == 6 ? Protocol::tcp : Protocol::udp,
                                    v6 ? "fd00::100" : "10.0.0.100", 443, {tunnel_real(v6, t)})});
}

// The outer UDP source port of a GUE frame (0 for a frame too short).
uint16_t gue_sport(const std::vector<uint8_t>& frame, bool v6) {
    size_t at = 14 + (v6 ? 40 : 20);
    if (frame.size() < at + 2) return 0;
    return uint16_t(frame[at] << 8 | frame[at + 1]);
}

std::string label(bool v6, const Tunnel& t) {
    return std::string(v6 ? "IPv6 " : "IPv4 ") + to_text(t);
}

}  // namespace

TEST_CASE("GUE and GRE tunnels send the bytes IPVS sends, with and without checksums") {
    const std::vector<Tunnel> tunnels = {
        {TunnelType::gue, 6080, TunnelChecksum::none},
        {TunnelType::gue, 6080, TunnelChecksum::csum},
        {TunnelType::gue, 5555, TunnelChecksum::remcsum},
        {TunnelType::gre, 0, TunnelChecksum::none},
        {TunnelType::gre, 0, TunnelChecksum::csum},
        {TunnelType::ipip, 0, TunnelChecksum::none},
    };
    for (bool v6 : {false, true}) {
        for (const Tunnel& t : tunnels) {
            for (uint8_t proto : {uint8_t(6), uint8_t(17)}) {
                DYNAMIC_SECTION(label(v6, t) << (proto == 6 ? " TCP" : " UDP")) {
                    XdpFixture f(tunnel_options());
                    f.set(tunnel_model(v6, t, proto));
                    PacketSpec spec = client_packet(v6 ? "fd00::100" : "10.0.0.100", 443, proto);
                    auto in = build_packet(spec);
                    auto out = f.send(spec);
                    REQUIRE(xdp_action_name(out.action) == std::string("XDP_REDIRECT"));
                    Expectation e{v6, t, 0};
                    if (t.type == TunnelType::gue) {
                        e.gue_source_port = gue_sport(out.frame, v6);
                        CHECK(e.gue_source_port >= 32768);
                        CHECK(e.gue_source_port <= 60999);
                    }
                    std::vector<uint8_t> inner(in.begin() + 14, in.end());
                    CHECK(out.frame == expected_frame(e, inner, f.net));
                }
            }
        }
    }
}

TEST_CASE("the GUE source port is stable for a flow and differs between flows") {
    for (bool v6 : {false, true}) {
        DYNAMIC_SECTION((v6 ? "IPv6" : "IPv4")) {
            XdpFixture f(tunnel_options());
            f.set(tunnel_model(v6, {TunnelType::gue, 6080, TunnelChecksum::csum}));
            PacketSpec spec = client_packet(v6 ? "fd00::100" : "10.0.0.100", 443);
            uint16_t first = gue_sport(f.send(spec).frame, v6);
            spec.tcp_flags = tcp_ack;
            CHECK(gue_sport(f.send(spec).frame, v6) == first);
            std::set<uint16_t> ports{first};
            for (uint16_t client_port = 40001; client_port < 40009; ++client_port) {
                spec.sport = client_port;
                spec.tcp_flags = tcp_syn;
                ports.insert(gue_sport(f.send(spec).frame, v6));
            }
            CHECK(ports.size() > 4);  // 9 flows over 28,232 ports
        }
    }
}

TEST_CASE("a tunnel checksum covers the datagram and not the frame's padding") {
    for (const Tunnel& t : {Tunnel{TunnelType::gre, 0, TunnelChecksum::csum},
                            Tunnel{TunnelType::gue, 6080, TunnelChecksum::csum}}) {
        DYNAMIC_SECTION(to_text(t)) {
            XdpFixture f(tunnel_options());
            f.set(tunnel_model(false, t));
            PacketSpec spec = client_packet("10.0.0.100", 443);
            spec.payload.clear();  // 54 bytes: Ethernet pads it to 60
            auto in = build_packet(spec);
            auto padded = in;
            padded.resize(60, 0xa5);
            auto out = run_xdp(f.dp.program_fd(), padded, f.net.client_ifindex);
            REQUIRE(out.action == XDP_REDIRECT);
            Expectation e{false, t,
                          t.type == TunnelType::gue ? gue_sport(out.frame, false) : uint16_t(0)};
            CHECK(out.frame ==
                  expected_frame(e, std::vector<uint8_t>(in.begin() + 14, in.end()), f.net));
        }
    }
}

TEST_CASE("a large packet's tunnel checksum is summed over every chunk") {
    for (const Tunnel& t : {Tunnel{TunnelType::gre, 0, TunnelChecksum::csum},
                            Tunnel{TunnelType::gue, 6080, TunnelChecksum::csum}}) {
        DYNAMIC_SECTION(to_text(t)) {
            XdpFixture f(tunnel_options());
            f.set(tunnel_model(true, t, 17));
            PacketSpec spec = client_packet("fd00::100", 443, 17);
            spec.payload = payload(1377);  // odd, several 256-byte chunks and every tail size
            auto in = build_packet(spec);
            auto out = f.send(spec);
            REQUIRE(out.action == XDP_REDIRECT);
            Expectation e{true, t,
                          t.type == TunnelType::gue ? gue_sport(out.frame, true) : uint16_t(0)};
            CHECK(out.frame ==
                  expected_frame(e, std::vector<uint8_t>(in.begin() + 14, in.end()), f.net));
        }
    }
}

TEST_CASE("the MTU check counts the GUE and GRE headers") {
    // rs0's MTU 1000: an IPv4 packet of 980 bytes fits as IPIP (1000) but not
    // as GUE (1012) or GRE with checksum (1008).
    for (const Tunnel& t : {Tunnel{TunnelType::ipip, 0, TunnelChecksum::none},
                            Tunnel{TunnelType::gue, 6080, TunnelChecksum::none},
                            Tunnel{TunnelType::gre, 0, TunnelChecksum::csum}}) {
        DYNAMIC_SECTION(to_text(t)) {
            XdpFixture f(tunnel_options());
            f.net.ip("link set rs0 mtu 1000");
            f.set(tunnel_model(false, t));
            PacketSpec spec = client_packet("10.0.0.100", 443);
            spec.payload = payload(980 - 20 - 20);
            auto out = f.send(spec);
            if (t.type == TunnelType::ipip) {
                CHECK(out.action == XDP_REDIRECT);
                CHECK(f.stat(XVS_STAT_DROP_FRAG_NEEDED) == 0);
            } else {
                CHECK(out.action == XDP_DROP);
                CHECK(f.stat(XVS_STAT_DROP_FRAG_NEEDED) == 1);
            }
        }
    }
}

TEST_CASE("changing a real's tunnel type rewrites its encapsulation") {
    XdpFixture f(tunnel_options());
    f.set(tunnel_model(false, {TunnelType::gue, 6080, TunnelChecksum::none}));
    PacketSpec spec = client_packet("10.0.0.100", 443);
    CHECK(f.send(spec).frame.at(14 + 9) == 17);
    f.set(tunnel_model(false, {TunnelType::gre, 0, TunnelChecksum::none}));
    spec.tcp_flags = tcp_ack;
    CHECK(f.send(spec).frame.at(14 + 9) == 47);
    auto st = f.dp.status();
    REQUIRE(st.size() == 1);
    CHECK(st[0].reals.at(0).tunnel == Tunnel{TunnelType::gre, 0, TunnelChecksum::none});
}
