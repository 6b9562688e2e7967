#include "dataplane/ipvs/ip_vs_conn.h"

#include <arpa/inet.h>

#include <charconv>
#include <fstream>
#include <sstream>

namespace xvs {

namespace {

template <typename T>
bool parse_hex(std::string_view s, T& out) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out, 16);
    return ec == std::errc() && end == s.data() + s.size() && !s.empty();
}

bool parse_address(std::string_view s, IpAddress& out) {
    if (s.find(':') != std::string_view::npos) {
        auto parsed = IpAddress::parse(s);
        if (!parsed || !parsed->is_v6()) return false;
        out = *parsed;
        return true;
    }
    uint32_t host = 0;
    if (s.size() != 8 || !parse_hex(s, host)) return false;
    out = IpAddress::v4(host);
    return true;
}

}  // namespace

std::vector<ConnectionEntry> parse_ip_vs_conn(std::string_view text) {
    std::vector<ConnectionEntry> out;
    std::istringstream in{std::string(text)};
    std::string line;
    int line_no = 0;
    while (std::getline(in, line)) {
        ++line_no;
        if (line.empty() || line.rfind("Pro ", 0) == 0) continue;
        auto fail = [&](const std::string& why) -> DataplaneError {
            return DataplaneError("/proc/net/ip_vs_conn line " + std::to_string(line_no) + ": " + why +
                                  ": \"" + line + "\"");
        };
        std::istringstream fields(line);
        std::string proto, caddr, cport, vaddr, vport, daddr, dport, state, expires;
        if (!(fields >> proto >> caddr >> cport >> vaddr >> vport >> daddr >> dport >> state >> expires))
            throw fail("too few fields");
        ConnectionEntry e;
        if (proto == "TCP")
            e.protocol = Protocol::tcp;
        else if (proto == "UDP")
            e.protocol = Protocol::udp;
        else if (proto == "IP")
            e.protocol = Protocol::fwmark;
        else
            continue;  // SCTP, ICMP...: not served by xvs
        if (!parse_address(caddr, e.client)) throw fail("bad client address");
        if (!parse_address(vaddr, e.virtual_address)) throw fail("bad virtual address");
        if (!parse_address(daddr, e.real)) throw fail("bad destination address");
        if (!parse_hex(cport, e.client_port) || !parse_hex(vport, e.virtual_port) ||
            !parse_hex(dport, e.real_port))
            throw fail("bad port");
        auto [end, ec] = std::from_chars(expires.data(), expires.data() + expires.size(), e.expires_in_seconds);
        if (ec != std::errc() || end != expires.data() + expires.size()) throw fail("bad expiry");
        e.state = state;
        e.is_template = e.client_port == 0 && (state == "NONE" || state == "ASSURED");
        out.push_back(std::move(e));
    }
    return out;
}

std::vector<ConnectionEntry> read_ip_vs_conn(const std::string& path) {
    std::ifstream file(path);
    if (!file) return {};
    std::ostringstream text;
    text << file.rdbuf();
    return parse_ip_vs_conn(text.str());
}

}  // namespace xvs
