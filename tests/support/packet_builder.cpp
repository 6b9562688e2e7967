#include "support/packet_builder.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace xvs::test {

namespace {

constexpr uint8_t proto_tcp = 6, proto_udp = 17, proto_icmp = 1, proto_icmp6 = 58, proto_ipip = 4, proto_ip6ip6 = 41;
constexpr uint8_t proto_fragment = 44, proto_ah = 51;

void put16(std::vector<uint8_t>& v, uint16_t x) {
    v.push_back(uint8_t(x >> 8));
    v.push_back(uint8_t(x));
}
void put32(std::vector<uint8_t>& v, uint32_t x) {
    put16(v, uint16_t(x >> 16));
    put16(v, uint16_t(x));
}
uint16_t get16(std::span<const uint8_t> b, size_t off) { return uint16_t(b[off] << 8 | b[off + 1]); }
void set16(std::vector<uint8_t>& v, size_t off, uint16_t x) {
    v[off] = uint8_t(x >> 8);
    v[off + 1] = uint8_t(x);
}

uint32_t sum_words(std::span<const uint8_t> b, uint32_t sum = 0) {
    for (size_t i = 0; i + 1 < b.size(); i += 2) sum += uint32_t(b[i] << 8 | b[i + 1]);
    if (b.size() % 2) sum += uint32_t(b.back() << 8);
    return sum;
}
uint16_t fold(uint32_t sum) {
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return uint16_t(~sum);
}
size_t addr_len(const IpAddress& a) { return a.is_v6() ? 16 : 4; }

uint32_t pseudo_sum(const IpAddress& src, const IpAddress& dst, uint8_t proto, size_t len) {
    std::vector<uint8_t> p;
    p.insert(p.end(), src.bytes.begin(), src.bytes.begin() + addr_len(src));
    p.insert(p.end(), dst.bytes.begin(), dst.bytes.begin() + addr_len(dst));
    if (src.is_v6()) {
        put32(p, uint32_t(len));
        put32(p, proto);
    } else {
        p.push_back(0);
        p.push_back(proto);
        put16(p, uint16_t(len));
    }
    return sum_words(p);
}

std::vector<uint8_t> build_l4(const PacketSpec& s) {
    std::vector<uint8_t> l4;
    size_t csum_off = 0;
    bool pseudo = true;
    if (s.proto == proto_tcp) {
        put16(l4, s.sport);
        put16(l4, s.dport);
        put32(l4, 1000);
        put32(l4, (s.tcp_flags & tcp_ack) ? 2000 : 0);
        l4.push_back(5 << 4);
        l4.push_back(s.tcp_flags);
        put16(l4, 65535);
        put16(l4, 0);
        put16(l4, 0);
        csum_off = 16;
    } else if (s.proto == proto_udp) {
        put16(l4, s.sport);
        put16(l4, s.dport);
        put16(l4, uint16_t(8 + s.payload.size()));
        put16(l4, 0);
        csum_off = 6;
    } else if (s.proto == proto_icmp || s.proto == proto_icmp6) {
        l4.push_back(s.icmp_type);
        l4.push_back(s.icmp_code);
        put16(l4, 0);
        put32(l4, s.icmp_rest);
        l4.insert(l4.end(), s.icmp_quote.begin(), s.icmp_quote.end());
        csum_off = 2;
        pseudo = s.proto == proto_icmp6;
    } else {
        throw std::invalid_argument("build_packet: unsupported protocol");
    }
    l4.insert(l4.end(), s.payload.begin(), s.payload.end());
    if (s.proto == proto_udp && s.udp_zero_checksum && !s.src.is_v6()) return l4;
    uint32_t sum = pseudo ? pseudo_sum(s.src, s.dst, s.proto, l4.size()) : 0;
    uint16_t c = fold(sum_words(l4, sum));
    if (s.proto == proto_udp && c == 0) c = 0xffff;
    set16(l4, csum_off, c);
    return l4;
}

}  // namespace

Mac mac(const std::string& text) {
    Mac m{};
    unsigned v[6];
    if (std::sscanf(text.c_str(), "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
        throw std::invalid_argument("bad MAC " + text);
    for (int i = 0; i < 6; ++i) m[i] = uint8_t(v[i]);
    return m;
}

IpAddress ip(const std::string& text) {
    auto a = IpAddress::parse(text);
    if (!a) throw std::invalid_argument("bad address " + text);
    return *a;
}

std::vector<uint8_t> build_ip_packet(const PacketSpec& s) {
    std::vector<uint8_t> l4 = build_l4(s);
    if (s.fragment) {
        size_t end = std::min<size_t>(l4.size(), s.fragment->offset + s.fragment->length);
        l4 = std::vector<uint8_t>(l4.begin() + std::min<size_t>(s.fragment->offset, l4.size()),
                                  l4.begin() + end);
    }
    std::vector<uint8_t> out;
    if (!s.src.is_v6()) {
        std::vector<uint8_t> opts = s.ip_options;
        while (opts.size() % 4) opts.push_back(0);
        size_t hlen = 20 + opts.size();
        out.push_back(uint8_t(0x40 | (hlen / 4)));
        out.push_back(0);
        put16(out, uint16_t(hlen + l4.size()));
        put16(out, s.fragment ? uint16_t(s.fragment->id) : 1);
        uint16_t frag = 0;
        if (s.fragment) frag = uint16_t((s.fragment->offset / 8) | (s.fragment->more ? 0x2000 : 0));
        put16(out, frag);
        out.push_back(s.ttl);
        out.push_back(s.proto);
        put16(out, 0);
        out.insert(out.end(), s.src.bytes.begin(), s.src.bytes.begin() + 4);
        out.insert(out.end(), s.dst.bytes.begin(), s.dst.bytes.begin() + 4);
        out.insert(out.end(), opts.begin(), opts.end());
        set16(out, 10, fold(sum_words(out)));
        out.insert(out.end(), l4.begin(), l4.end());
        return out;
    }
    std::vector<uint8_t> ext;
    std::vector<uint8_t> chain;
    for (const auto& e : s.ext_headers) chain.push_back(e.first);
    if (s.fragment) chain.push_back(proto_fragment);
    chain.push_back(s.proto);
    for (size_t i = 0; i < s.ext_headers.size(); ++i) {
        auto [type, len] = s.ext_headers[i];
        std::vector<uint8_t> h(len, 0);
        h[0] = chain[i + 1];
        h[1] = type == proto_ah ? uint8_t(len / 4 - 2) : uint8_t(len / 8 - 1);
        if (len > 2) {  // PadN filling the options area
            h[2] = 1;
            h[3] = uint8_t(len - 4);
        }
        ext.insert(ext.end(), h.begin(), h.end());
    }
    if (s.fragment) {
        ext.push_back(s.proto);
        ext.push_back(0);
        put16(ext, uint16_t(s.fragment->offset | (s.fragment->more ? 1 : 0)));
        put32(ext, s.fragment->id);
    }
    put32(out, 0x60000000);
    put16(out, uint16_t(ext.size() + l4.size()));
    out.push_back(chain[0]);
    out.push_back(s.ttl);
    out.insert(out.end(), s.src.bytes.begin(), s.src.bytes.end());
    out.insert(out.end(), s.dst.bytes.begin(), s.dst.bytes.end());
    out.insert(out.end(), ext.begin(), ext.end());
    out.insert(out.end(), l4.begin(), l4.end());
    return out;
}

std::vector<uint8_t> build_packet(const PacketSpec& s) {
    std::vector<uint8_t> out(s.eth_dst.begin(), s.eth_dst.end());
    out.insert(out.end(), s.eth_src.begin(), s.eth_src.end());
    for (uint16_t tci : s.vlans) {
        put16(out, 0x8100);
        put16(out, tci);
    }
    put16(out, s.src.is_v6() ? 0x86dd : 0x0800);
    auto l3 = build_ip_packet(s);
    out.insert(out.end(), l3.begin(), l3.end());
    return out;
}

namespace {

IpAddress read_addr(std::span<const uint8_t> b, size_t off, bool v6) {
    IpAddress a;
    a.family = v6 ? Family::v6 : Family::v4;
    std::copy_n(b.begin() + off, v6 ? 16 : 4, a.bytes.begin());
    return a;
}

// Parses the IP packet at off; quoted = inside an ICMP error (may be cut short).
std::optional<ParsedIp> parse_ip(std::span<const uint8_t> b, size_t off, bool quoted) {
    if (off >= b.size()) return std::nullopt;
    ParsedIp p;
    p.l3_offset = off;
    unsigned version = b[off] >> 4;
    size_t end;  // end of the datagram (or of what we have)
    size_t l4;
    bool v6 = version == 6;
    if (version == 4) {
        if (off + 20 > b.size()) return std::nullopt;
        size_t hlen = (b[off] & 0xf) * 4u;
        if (hlen < 20 || off + hlen > b.size()) return std::nullopt;
        p.total_length = get16(b, off + 2);
        if (p.total_length < hlen) return std::nullopt;
        if (!quoted && off + p.total_length > b.size()) return std::nullopt;
        end = std::min(b.size(), off + p.total_length);
        p.header_checksum_ok = fold(sum_words(b.subspan(off, hlen))) == 0;
        uint16_t frag = get16(b, off + 6);
        p.is_fragment = (frag & 0x3fff) != 0;
        p.ttl = b[off + 8];
        p.proto = b[off + 9];
        p.src = read_addr(b, off + 12, false);
        p.dst = read_addr(b, off + 16, false);
        l4 = off + hlen;
        if (frag & 0x1fff) {
            p.l4_offset = l4;
            return p;
        }
    } else if (v6) {
        if (off + 40 > b.size()) return std::nullopt;
        p.total_length = uint16_t(get16(b, off + 4) + 40);
        if (!quoted && off + p.total_length > b.size()) return std::nullopt;
        end = std::min(b.size(), off + p.total_length);
        p.ttl = b[off + 7];
        p.src = read_addr(b, off + 8, true);
        p.dst = read_addr(b, off + 24, true);
        uint8_t next = b[off + 6];
        l4 = off + 40;
        for (int i = 0; i < 8 && (next == 0 || next == 43 || next == 60 || next == proto_fragment ||
                                  next == proto_ah);
             ++i) {
            if (l4 + 8 > end) return std::nullopt;
            size_t len = next == proto_ah ? (b[l4 + 1] + 2u) * 4 : next == proto_fragment ? 8 : (b[l4 + 1] + 1u) * 8;
            if (next == proto_fragment) {
                uint16_t frag = get16(b, l4 + 2);
                p.is_fragment = frag != 0;
                if (frag & 0xfff8) {
                    p.proto = b[l4];
                    p.l4_offset = l4 + 8;
                    return p;
                }
            }
            next = b[l4];
            l4 += len;
        }
        p.proto = next;
    } else {
        return std::nullopt;
    }
    p.l4_offset = l4;
    if (l4 > end) return std::nullopt;
    auto l4_bytes = b.subspan(l4, end - l4);
    bool whole = !p.is_fragment && !quoted;
    if (p.proto == proto_tcp || p.proto == proto_udp) {
        if (l4_bytes.size() < 4) return quoted ? std::optional(std::move(p)) : std::nullopt;
        p.sport = get16(l4_bytes, 0);
        p.dport = get16(l4_bytes, 2);
        if (p.proto == proto_tcp && l4_bytes.size() >= 14) p.tcp_flags = l4_bytes[13];
        if (whole) {
            if (p.proto == proto_udp && !v6 && l4_bytes.size() >= 8 && get16(l4_bytes, 6) == 0)
                p.l4_checksum_ok = true;
            else
                p.l4_checksum_ok =
                    fold(sum_words(l4_bytes, pseudo_sum(p.src, p.dst, p.proto, l4_bytes.size()))) == 0;
        }
    } else if (p.proto == proto_icmp || p.proto == proto_icmp6) {
        if (l4_bytes.size() < 8) return quoted ? std::optional(std::move(p)) : std::nullopt;
        if (whole) {
            uint32_t sum = p.proto == proto_icmp6 ? pseudo_sum(p.src, p.dst, p.proto, l4_bytes.size()) : 0;
            p.l4_checksum_ok = fold(sum_words(l4_bytes, sum)) == 0;
        }
        if (auto inner = parse_ip(b.first(end), l4 + 8, true))
            p.inner = std::make_unique<ParsedIp>(std::move(*inner));
    } else if (p.proto == proto_ipip || p.proto == proto_ip6ip6) {
        p.l4_checksum_ok = true;
        if (auto inner = parse_ip(b.first(end), l4, quoted))
            p.inner = std::make_unique<ParsedIp>(std::move(*inner));
    }
    return p;
}

bool ip_valid(const ParsedIp& p, bool quoted) {
    if (!p.header_checksum_ok) return false;
    if (!quoted && !p.is_fragment && !p.l4_checksum_ok) return false;
    if (p.inner) {
        bool inner_quoted = quoted || p.proto == proto_icmp || p.proto == proto_icmp6;
        if (!ip_valid(*p.inner, inner_quoted)) return false;
    } else if (p.proto == proto_ipip || p.proto == proto_ip6ip6) {
        return false;  // tunnel without a readable inner packet
    }
    return true;
}

}  // namespace

std::optional<ParsedFrame> parse_frame(std::span<const uint8_t> b) {
    if (b.size() < 14) return std::nullopt;
    ParsedFrame f;
    std::copy_n(b.begin(), 6, f.dst.begin());
    std::copy_n(b.begin() + 6, 6, f.src.begin());
    size_t off = 12;
    uint16_t type = get16(b, off);
    while ((type == 0x8100 || type == 0x88a8) && off + 6 <= b.size()) {
        f.vlans.push_back(get16(b, off + 2));
        off += 4;
        type = get16(b, off);
    }
    f.ethertype = type;
    off += 2;
    if (type == 0x0800 || type == 0x86dd) f.ip = parse_ip(b, off, false);
    return f;
}

bool checksums_valid(const ParsedFrame& f) { return f.ip && ip_valid(*f.ip, false); }

}  // namespace xvs::test
