#include "control/record_fields.h"

#include <charconv>

namespace xvs::control {
namespace {

bool is_plain(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == ':' || c == '_' || c == '/' || c == ',' || c == '-' || c == '+';
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

std::string family_text(Family f) { return f == Family::v6 ? "6" : "4"; }

}  // namespace

std::string escape(std::string_view text) {
    if (text.empty()) return "~";
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (is_plain(static_cast<char>(c))) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

Fields::Fields(std::string_view line, size_t line_no, std::string_view where)
    : line_no_(line_no), where_(where) {
    size_t pos = 0;
    while (pos <= line.size()) {
        size_t sp = line.find(' ', pos);
        if (sp == std::string_view::npos) sp = line.size();
        fields_.push_back(line.substr(pos, sp - pos));
        pos = sp + 1;
    }
    for (auto f : fields_)
        if (f.empty()) fail("empty field (double or trailing space)");
}

void Fields::expect_count(size_t n) const {
    if (fields_.size() != n)
        fail("'" + std::string(fields_[0]) + "' has " + std::to_string(fields_.size()) +
             " fields, expected " + std::to_string(n));
}

void Fields::fail(const std::string& what) const {
    throw ProtocolError(std::string(where_) + std::to_string(line_no_) + ": " + what);
}

uint64_t Fields::number(size_t i, uint64_t max) const {
    std::string_view f = (*this)[i];
    uint64_t value = 0;
    auto [end, ec] = std::from_chars(f.data(), f.data() + f.size(), value);
    if (ec != std::errc() || end != f.data() + f.size() || value > max)
        fail("field " + std::to_string(i) + " is not a number up to " + std::to_string(max));
    return value;
}

std::string Fields::text(size_t i) const {
    std::string_view f = (*this)[i];
    if (f == "~") return {};
    std::string out;
    for (size_t k = 0; k < f.size(); ++k) {
        if (f[k] == '%') {
            if (k + 2 >= f.size()) fail("truncated escape");
            int hi = hex_value(f[k + 1]), lo = hex_value(f[k + 2]);
            if (hi < 0 || lo < 0) fail("bad escape");
            out += static_cast<char>(hi * 16 + lo);
            k += 2;
        } else if (is_plain(f[k])) {
            out += f[k];
        } else {
            fail("unexpected character in field " + std::to_string(i));
        }
    }
    return out;
}

IpAddress Fields::address(size_t i) const {
    auto a = IpAddress::parse((*this)[i]);
    if (!a) fail("field " + std::to_string(i) + " is not an IP address");
    return *a;
}

Protocol Fields::protocol(size_t i, bool allow_fwmark) const {
    std::string_view f = (*this)[i];
    if (f == "tcp") return Protocol::tcp;
    if (f == "udp") return Protocol::udp;
    if (f == "fwm" && allow_fwmark) return Protocol::fwmark;
    fail("bad protocol '" + std::string(f) + "'");
}

Family Fields::family(size_t i) const {
    uint64_t f = number(i, 6);
    if (f == 4) return Family::v4;
    if (f == 6) return Family::v6;
    fail("bad address family");
}

ForwardMethod Fields::method(size_t i) const {
    std::string_view f = (*this)[i];
    if (f == "gate") return ForwardMethod::gate;
    if (f == "masq") return ForwardMethod::masq;
    if (f == "ipip" || f.rfind("ipip:", 0) == 0) return ForwardMethod::ipip;
    fail("bad forwarding method '" + std::string(f) + "'");
}

Tunnel Fields::tunnel(size_t i) const {
    std::string_view f = (*this)[i];
    if (f.rfind("ipip:", 0) != 0) return Tunnel{};
    TunnelParse parsed = parse_tunnel(f.substr(5));
    if (!parsed.tunnel) fail("bad tunnel '" + std::string(f) + "': " + parsed.error);
    return *parsed.tunnel;
}

std::string method_field(ForwardMethod m, const Tunnel& t) {
    if (m != ForwardMethod::ipip || t == Tunnel{}) return to_string(m);
    return "ipip:" + to_text(t);
}

std::string service_key_fields(const ServiceKey& k) {
    return std::string(to_string(k.protocol)) + " " + family_text(k.family) + " " +
           k.address.to_string() + " " + std::to_string(k.port) + " " + std::to_string(k.fwmark);
}

ServiceKey parse_service_key(const Fields& f, size_t at) {
    ServiceKey k;
    k.protocol = f.protocol(at, true);
    k.family = f.family(at + 1);
    k.address = f.address(at + 2);
    if (k.address.family != k.family) f.fail("address does not match the address family");
    k.port = f.u16(at + 3);
    k.fwmark = f.u32(at + 4);
    if (k.protocol == Protocol::fwmark && k.fwmark == 0) f.fail("fwmark service without a mark");
    if (k.protocol != Protocol::fwmark && k.fwmark != 0) f.fail("mark on a tcp/udp service");
    return k;
}

std::string settings_fields(const ServiceSettings& s) {
    return escape(s.scheduler) + " " + escape(join_flags(s.scheduler_flags)) + " " +
           std::to_string(s.persistence.timeout) + " " + std::to_string(s.persistence.prefix_len) +
           " " + (s.one_packet ? "1" : "0") + " " + escape(s.persistence.engine);
}

ServiceSettings parse_settings(const Fields& f, size_t at) {
    ServiceSettings s;
    s.scheduler = f.text(at);
    if (s.scheduler.empty()) f.fail("empty scheduler name");
    s.scheduler_flags = split_flags(f.text(at + 1));
    s.persistence.timeout = f.u32(at + 2);
    s.persistence.prefix_len = static_cast<uint32_t>(f.number(at + 3, 128));
    s.one_packet = f.flag(at + 4);
    // Records written before persistence engines end here.
    if (f.size() > at + 5) s.persistence.engine = f.text(at + 5);
    return s;
}

std::string dest_fields(const RealServer& r) {
    return r.key.address.to_string() + " " + std::to_string(r.key.port) + " " +
           method_field(r.method, r.tunnel) + " " + std::to_string(r.weight) + " " +
           std::to_string(r.lower_threshold) + " " + std::to_string(r.upper_threshold);
}

RealServer parse_dest(const Fields& f, size_t at) {
    RealServer r;
    r.key.address = f.address(at);
    r.key.port = f.u16(at + 1);
    r.method = f.method(at + 2);
    r.tunnel = f.tunnel(at + 2);
    r.weight = f.u32(at + 3);
    r.configured_weight = r.weight;
    r.lower_threshold = f.u32(at + 4);
    r.upper_threshold = f.u32(at + 5);
    return r;
}

std::string timeouts_fields(const ConnectionTimeouts& t) {
    return std::to_string(t.tcp) + " " + std::to_string(t.tcp_fin) + " " + std::to_string(t.udp);
}

ConnectionTimeouts parse_timeouts(const Fields& f, size_t at) {
    return ConnectionTimeouts{static_cast<uint32_t>(f.number(at, max_connection_timeout)),
                              static_cast<uint32_t>(f.number(at + 1, max_connection_timeout)),
                              static_cast<uint32_t>(f.number(at + 2, max_connection_timeout))};
}

std::string join_flags(const std::vector<std::string>& flags) {
    std::string out;
    for (const auto& fl : flags) out += (out.empty() ? "" : ",") + fl;
    return out;
}

std::vector<std::string> split_flags(const std::string& text) {
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t comma = text.find(',', pos);
        if (comma == std::string::npos) comma = text.size();
        out.push_back(text.substr(pos, comma - pos));
        pos = comma + 1;
    }
    return out;
}

}  // namespace xvs::control
