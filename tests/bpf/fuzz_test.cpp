// Random and mutated packets through the program, judged by a reference
// classifier written independently of the BPF parser: the program may only
// forward (TX / REDIRECT) what the classifier calls a well-formed packet for
// a virtual service (or an ICMP error / later fragment addressed to a VIP),
// and what it forwards from a packet with valid checksums has valid checksums.
#include <catch2/catch.hpp>
#include <random>

#include "bpf/xdp_fixture.h"

using namespace xvs;
using namespace xvs::test;

namespace {

Model fuzz_model() {
    auto dr = make_service(Protocol::tcp, "10.0.0.100", 80,
                           {make_real("10.1.0.2", 80, ForwardMethod::gate),
                            make_real("10.1.0.3", 80, ForwardMethod::gate)});
    auto nat = make_service(Protocol::udp, "10.0.0.100", 53,
                            {make_real("10.1.0.4", 5353, ForwardMethod::masq)});
    auto tun = make_service(Protocol::tcp, "fd00::100", 443,
                            {make_real("fd00:1::3", 443, ForwardMethod::ipip)});
    auto nat6 = make_service(Protocol::udp, "fd00::100", 53,
                             {make_real("fd00:1::2", 0, ForwardMethod::masq)});
    return make_model({dr, nat, tun, nat6});
}

bool is_vip(const IpAddress& a) { return a == ip("10.0.0.100") || a == ip("fd00::100"); }

bool is_service(const ParsedIp& p) {
    if (p.dst == ip("10.0.0.100")) return (p.proto == 6 && p.dport == 80) || (p.proto == 17 && p.dport == 53);
    if (p.dst == ip("fd00::100")) return (p.proto == 6 && p.dport == 443) || (p.proto == 17 && p.dport == 53);
    return false;
}

// The reference: may the program forward this frame?
bool may_forward(const std::vector<uint8_t>& frame) {
    auto f = parse_frame(frame);
    if (!f || !f->ip || f->vlans.size() > 2) return false;
    const ParsedIp& p = *f->ip;
    size_t l4_left = p.l3_offset + p.total_length - p.l4_offset;
    bool later_fragment = p.is_fragment && p.sport == 0 && p.dport == 0 && p.tcp_flags == 0;
    if (later_fragment) return is_vip(p.dst);  // follows a first fragment, if one was seen
    if (p.proto == 1 || p.proto == 58)
        return is_vip(p.dst) && p.inner && p.inner->src == p.dst && l4_left >= 8;
    if (p.proto == 6) {
        if (l4_left < 20) return false;
        size_t doff = (frame[p.l4_offset + 12] >> 4) * 4u;
        if (doff < 20 || doff > l4_left) return false;
    } else if (p.proto == 17) {
        if (l4_left < 8) return false;
        if (((frame[p.l4_offset + 4] << 8) | frame[p.l4_offset + 5]) < 8) return false;
    } else {
        return false;
    }
    return is_service(p);
}

std::vector<PacketSpec> seeds() {
    std::vector<PacketSpec> out;
    PacketSpec dr;
    dr.payload = std::vector<uint8_t>(40, 0xab);
    out.push_back(dr);
    PacketSpec opts = dr;
    opts.ip_options = {0x01, 0x01, 0x01, 0x00};
    opts.vlans = {7};
    out.push_back(opts);
    PacketSpec nat = dr;
    nat.proto = 17;
    nat.dport = 53;
    out.push_back(nat);
    PacketSpec tun;
    tun.src = ip("fd00::2");
    tun.dst = ip("fd00::100");
    tun.dport = 443;
    tun.ext_headers = {{0, 8}};
    tun.payload = std::vector<uint8_t>(20, 1);
    out.push_back(tun);
    PacketSpec nat6 = tun;
    nat6.proto = 17;
    nat6.dport = 53;
    nat6.ext_headers.clear();
    out.push_back(nat6);
    PacketSpec frag = nat;
    frag.payload = std::vector<uint8_t>(64, 3);
    frag.fragment = Fragment{77, 0, 40, true};
    out.push_back(frag);
    PacketSpec later = frag;
    later.fragment = Fragment{77, 40, 32, false};
    out.push_back(later);
    PacketSpec icmp;
    icmp.src = ip("10.0.0.254");
    icmp.proto = 1;
    icmp.icmp_type = 3;
    icmp.icmp_code = 4;
    PacketSpec quoted;
    quoted.src = ip("10.0.0.100");
    quoted.dst = ip("10.0.0.2");
    quoted.sport = 80;
    quoted.dport = 40000;
    icmp.icmp_quote = build_ip_packet(quoted);
    icmp.icmp_quote.resize(28);
    out.push_back(icmp);
    return out;
}

}  // namespace

TEST_CASE("a VIP packet cut short at any length is passed untouched, never forwarded") {
    XdpFixture f;
    f.set(fuzz_model());
    for (const auto& spec : seeds()) {
        auto whole = build_packet(spec);
        // BPF_PROG_TEST_RUN refuses frames shorter than an Ethernet header.
        for (size_t len = 14; len < whole.size(); ++len) {
            std::vector<uint8_t> cut(whole.begin(), whole.begin() + len);
            auto out = run_xdp(f.dp.program_fd(), cut, f.net.client_ifindex);
            INFO("seed proto " << int(spec.proto) << ", cut at " << len << " of " << whole.size());
            CHECK(out.action == XDP_PASS);
            CHECK(out.frame == cut);
        }
    }
}

TEST_CASE("random and mutated packets are never forwarded unless well-formed and for a VIP") {
    XdpFixture f;
    f.set(fuzz_model());
    std::mt19937 rng(20240611);
    auto base = seeds();
    size_t forwarded = 0, valid_forwarded = 0;
    for (int i = 0; i < 6000; ++i) {
        const auto& spec = base[rng() % base.size()];
        std::vector<uint8_t> frame = build_packet(spec);
        switch (rng() % 5) {
            case 0:  // truncation
                frame.resize(14 + rng() % (frame.size() - 14));
                break;
            case 1: {  // bit flips in the headers
                int flips = 1 + rng() % 3;
                for (int k = 0; k < flips; ++k) {
                    size_t pos = rng() % std::min<size_t>(frame.size(), 96);
                    frame[pos] ^= uint8_t(1u << (rng() % 8));
                }
                break;
            }
            case 2: {  // a random byte in the headers
                frame[rng() % std::min<size_t>(frame.size(), 96)] = uint8_t(rng());
                break;
            }
            case 3: {  // trailing garbage after the datagram
                size_t extra = rng() % 64;
                for (size_t k = 0; k < extra; ++k) frame.push_back(uint8_t(rng()));
                break;
            }
            default: {  // random bytes behind a valid Ethernet header
                size_t len = 14 + rng() % 200;
                frame.resize(len);
                for (size_t k = 14; k < len; ++k) frame[k] = uint8_t(rng());
                frame[12] = (rng() % 2) ? 0x08 : 0x86;
                frame[13] = frame[12] == 0x08 ? 0x00 : 0xdd;
                break;
            }
        }
        bool input_valid = [&] {
            auto p = parse_frame(frame);
            return p && checksums_valid(*p);
        }();
        auto out = run_xdp(f.dp.program_fd(), frame, f.net.client_ifindex);
        INFO("packet " << i << ", " << frame.size() << " bytes, action " << xdp_action_name(out.action));
        REQUIRE(out.action != XDP_ABORTED);
        if (out.action == XDP_TX || out.action == XDP_REDIRECT) {
            ++forwarded;
            bool allowed = may_forward(frame);
            if (!allowed) {
                std::string hex;
                char b[4];
                for (uint8_t c : frame) {
                    std::snprintf(b, sizeof b, "%02x", c);
                    hex += b;
                }
                UNSCOPED_INFO("frame " << hex);
            }
            CHECK(allowed);
            if (input_valid) {
                ++valid_forwarded;
                auto parsed = parse_frame(out.frame);
                REQUIRE(parsed);
                CHECK(checksums_valid(*parsed));
            }
        } else if (out.action == XDP_PASS) {
            CHECK(out.frame == frame);
        }
    }
    // The corpus really exercised the forwarding paths.
    CHECK(forwarded > 1000);
    CHECK(valid_forwarded > 500);
}
