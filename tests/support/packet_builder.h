// Test packets: a builder for Ethernet / 802.1Q / IPv4 (options, fragments) /
// IPv6 (extension headers, fragments) / TCP / UDP / ICMP / ICMPv6 frames with
// correct checksums, and a parser that reads a frame back and recomputes every
// checksum it can (IPv4 header, TCP/UDP/ICMP over the whole datagram, the
// inner packet of IPIP / IP6IP6).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "model/address.h"

namespace xvs::test {

using Mac = std::array<uint8_t, 6>;
Mac mac(const std::string& text);  // "02:00:00:00:00:01"
IpAddress ip(const std::string& text);

enum TcpFlag : uint8_t { tcp_fin = 0x01, tcp_syn = 0x02, tcp_rst = 0x04, tcp_psh = 0x08, tcp_ack = 0x10 };

struct Fragment {
    uint32_t id = 0x1234;
    uint16_t offset = 0;   // bytes into the L4 datagram (multiple of 8)
    uint16_t length = 0;   // bytes of the L4 datagram this fragment carries
    bool more = false;
};

struct PacketSpec {
    Mac eth_src = mac("02:00:00:00:00:02");
    Mac eth_dst = mac("02:00:00:00:00:01");
    std::vector<uint16_t> vlans;  // 802.1Q TCIs, outermost first
    IpAddress src = ip("10.0.0.2");
    IpAddress dst = ip("10.0.0.100");
    uint8_t proto = 6;  // IPPROTO_TCP
    uint16_t sport = 40000;
    uint16_t dport = 80;
    uint8_t tcp_flags = tcp_syn;
    uint8_t ttl = 64;
    std::vector<uint8_t> ip_options;  // IPv4, padded to 4 bytes
    // IPv6 extension headers before the L4 header: (type, length in bytes, multiple of 8).
    std::vector<std::pair<uint8_t, uint16_t>> ext_headers;
    std::optional<Fragment> fragment;
    std::vector<uint8_t> payload;
    bool udp_zero_checksum = false;  // IPv4 UDP without checksum
    // ICMP / ICMPv6 (proto 1 / 58): type, code, and the quoted packet (an IP packet).
    uint8_t icmp_type = 0;
    uint8_t icmp_code = 0;
    uint32_t icmp_rest = 0;  // bytes 4..7 (e.g. next-hop MTU)
    std::vector<uint8_t> icmp_quote;
};

// The whole frame.
std::vector<uint8_t> build_packet(const PacketSpec& spec);
// The IP packet only (no Ethernet): what an ICMP error quotes.
std::vector<uint8_t> build_ip_packet(const PacketSpec& spec);

struct ParsedIp {
    IpAddress src, dst;
    uint8_t proto = 0;
    uint8_t ttl = 0;
    uint16_t total_length = 0;
    bool header_checksum_ok = true;  // IPv4 only
    bool l4_checksum_ok = false;     // false when it cannot be checked (fragment, truncated)
    bool is_fragment = false;
    uint16_t sport = 0, dport = 0;
    uint8_t tcp_flags = 0;
    size_t l3_offset = 0, l4_offset = 0;  // into the frame
    std::unique_ptr<ParsedIp> inner;  // IPIP / IP6IP6 payload, or the ICMP quote
};

struct ParsedFrame {
    Mac dst{}, src{};
    std::vector<uint16_t> vlans;
    uint16_t ethertype = 0;
    std::optional<ParsedIp> ip;
};

// nullopt for frames too short for Ethernet; ip is nullopt for malformed IP.
std::optional<ParsedFrame> parse_frame(std::span<const uint8_t> frame);

// Every checksum in the frame (outer and inner) verifies.
bool checksums_valid(const ParsedFrame& f);

}  // namespace xvs::test
