#include "config/specs.h"

#include <climits>

#include "config/text.h"

namespace xvs::config_detail {

namespace {

std::optional<ForwardMethod> forward_method(std::string_view word) {
    if (word == "gate") return ForwardMethod::gate;
    if (word == "masq") return ForwardMethod::masq;
    if (word == "ipip") return ForwardMethod::ipip;
    return std::nullopt;
}

// ldirectord makes every check request absolute.
std::string absolute_request(std::string request) {
    if (request.empty() || request.front() != '/') request.insert(request.begin(), '/');
    return request;
}

}  // namespace

Resolved<std::vector<RealConfig>> parse_real(std::string_view value, int line, Family family,
                                             const Resolver& resolver) {
    value = trim(value);
    size_t space = value.find_first_of(" \t");
    std::string_view spec = value.substr(0, space);
    std::string_view flags = space == std::string_view::npos ? std::string_view{} : value.substr(space);
    if (spec.empty()) return std::string("missing real server address");

    // Address part: FIRST[->LAST][:PORT]
    std::string_view first_text = spec, last_text;
    bool is_range = false;
    if (size_t arrow = spec.find("->"); arrow != std::string_view::npos) {
        first_text = spec.substr(0, arrow);
        last_text = spec.substr(arrow + 2);
        is_range = true;
    }
    auto hp = split_host_port(is_range ? last_text : first_text);
    if (auto* e = std::get_if<std::string>(&hp)) return "real server: " + *e;
    auto& host_port = std::get<HostPort>(hp);
    if (is_range) last_text = host_port.host;
    else first_text = host_port.host;
    if (is_range && first_text.find(':') != std::string_view::npos && first_text.front() != '[')
        return "real server range " + quoted(spec) + ": the port goes after the last address (a->b:port)";

    uint16_t port = 0;  // omitted: 0, as ldirectord
    if (host_port.has_port) {
        auto p = resolver.port(host_port.port, nullptr);
        if (auto* e = std::get_if<std::string>(&p)) return "real server: " + *e;
        port = std::get<uint16_t>(p);
    }

    auto first = resolver.host(first_text, family);
    if (auto* e = std::get_if<std::string>(&first)) return "real server: " + *e;
    std::vector<IpAddress> addresses;
    if (!is_range) {
        addresses.push_back(std::get<IpAddress>(first));
    } else {
        if (family == Family::v6)
            return std::string("real server: address ranges are only supported for IPv4 (as in ldirectord)");
        auto last = resolver.host(last_text, family);
        if (auto* e = std::get_if<std::string>(&last)) return "real server: " + *e;
        uint32_t lo = std::get<IpAddress>(first).v4_host_order();
        uint32_t hi = std::get<IpAddress>(last).v4_host_order();
        if (lo > hi)
            return "real server range " + quoted(spec) +
                   ": the first address must not be greater than the last";
        if (hi - lo >= max_real_range)
            return "real server range " + quoted(spec) + " has " + std::to_string(uint64_t{hi} - lo + 1) +
                   " addresses; at most " + std::to_string(max_real_range) + " are allowed";
        for (uint64_t a = lo; a <= hi; ++a) addresses.push_back(IpAddress::v4(static_cast<uint32_t>(a)));
    }

    // Flags: METHOD [WEIGHT] ["REQUEST", "RECEIVE"] [l:N] [u:N]
    auto tokens_or = tokenize(flags);
    if (!tokens_or) return std::string("real server: unterminated quoted string");
    const auto& tokens = *tokens_or;
    size_t i = 0;
    if (tokens.empty())
        return "real server " + quoted(spec) + " needs a forwarding method: gate, masq or ipip";
    auto method = tokens[0].kind == Token::word ? forward_method(tokens[0].text) : std::nullopt;
    if (!method)
        return "forward method must be gate, masq or ipip, not " + quoted(tokens[0].text);
    ++i;
    RealConfig real;
    real.method = *method;
    real.line = line;
    if (i < tokens.size() && tokens[i].kind == Token::word && is_all_digits(tokens[i].text)) {
        auto w = parse_uint(tokens[i].text, 65535);
        if (!w) return "real server weight " + tokens[i].text + " out of range 0..65535";
        real.weight = static_cast<uint32_t>(*w);
        ++i;
    }
    if (i < tokens.size() && tokens[i].kind == Token::quoted) {
        real.request = absolute_request(tokens[i].text);
        ++i;
        if (i < tokens.size() && tokens[i].kind == Token::comma) ++i;
        if (i >= tokens.size() || tokens[i].kind != Token::quoted)
            return std::string("real server: a quoted request must be followed by a quoted receive string "
                               "(\"request\", \"receive\")");
        real.receive = tokens[i].text;
        ++i;
    }
    bool have_lower = false, have_upper = false, have_tunnel = false;
    for (; i < tokens.size(); ++i) {
        const Token& t = tokens[i];
        if (t.kind == Token::word && t.text.rfind("tun:", 0) == 0) {
            // IPVS's tunnel of the real (ipvsadm -i --tun-type ...), so ipip only.
            if (have_tunnel) return std::string("real server: tun: given twice");
            if (real.method != ForwardMethod::ipip)
                return "real server: " + quoted(t.text) + " needs the ipip forwarding method, not " +
                       to_string(real.method) + " (ipvsadm: Tunnel options conflict with forward method)";
            TunnelParse parsed = parse_tunnel(std::string_view(t.text).substr(4));
            if (!parsed.tunnel) return "real server: " + quoted(t.text) + ": " + parsed.error;
            real.tunnel = *parsed.tunnel;
            have_tunnel = true;
            continue;
        }
        bool lower = t.kind == Token::word && t.text.rfind("l:", 0) == 0;
        bool upper = t.kind == Token::word && t.text.rfind("u:", 0) == 0;
        if (!lower && !upper)
            return "invalid real server line, around " + quoted(t.text) +
                   " (expected: gate|masq|ipip [weight] [\"request\", \"receive\"] [l:N] [u:N] "
                   "[tun:ipip|gue:PORT[:CSUM]|gre[:CSUM]])";
        if ((lower && have_lower) || (upper && have_upper))
            return "real server: threshold " + t.text.substr(0, 2) + " given twice";
        auto n = parse_uint(std::string_view(t.text).substr(2), INT_MAX);
        if (!n) return "real server: invalid threshold " + quoted(t.text) + " (0.." + std::to_string(INT_MAX) + ")";
        if (lower) {
            real.lower_threshold = static_cast<uint32_t>(*n);
            have_lower = true;
        } else {
            real.upper_threshold = static_cast<uint32_t>(*n);
            have_upper = true;
        }
    }

    std::vector<RealConfig> reals;
    reals.reserve(addresses.size());
    for (const auto& address : addresses) {
        real.key.address = address;
        real.key.port = port;
        reals.push_back(real);
    }
    return reals;
}

Resolved<FallbackConfig> parse_fallback(std::string_view value, int line, Family family,
                                        const char* protocol, const Resolver& resolver) {
    auto tokens_or = tokenize(value);
    if (!tokens_or || tokens_or->empty() || tokens_or->size() > 2)
        return "invalid fallback server " + quoted(value) + " (expected: address[:port] [gate|masq|ipip])";
    const auto& tokens = *tokens_or;
    for (const auto& t : tokens)
        if (t.kind != Token::word) return "invalid fallback server " + quoted(value);
    FallbackConfig fb;
    fb.line = line;
    if (tokens.size() == 2) {
        auto method = forward_method(tokens[1].text);
        if (!method) return "forward method must be gate, masq or ipip, not " + quoted(tokens[1].text);
        fb.method = *method;
    }
    auto hp = split_host_port(tokens[0].text);
    if (auto* e = std::get_if<std::string>(&hp)) return "fallback server: " + *e;
    auto& host_port = std::get<HostPort>(hp);
    auto address = resolver.host(host_port.host, family);
    if (auto* e = std::get_if<std::string>(&address)) return "fallback server: " + *e;
    fb.address = std::get<IpAddress>(address);
    if (host_port.has_port) {
        auto p = resolver.port(host_port.port, protocol);
        if (auto* e = std::get_if<std::string>(&p)) return "fallback server: " + *e;
        fb.port = std::get<uint16_t>(p);
    }
    return fb;
}

Resolved<MatchRule> parse_match(std::string_view value, Family family) {
    auto tokens_or = tokenize(value);
    if (!tokens_or || tokens_or->size() != 2 || (*tokens_or)[0].kind != Token::word ||
        (*tokens_or)[1].kind != Token::word)
        return "invalid match " + quoted(value) + " (expected: match=tcp|udp ADDRESS[:PORT])";
    const auto& tokens = *tokens_or;
    MatchRule rule;
    if (tokens[0].text == "tcp") rule.protocol = Protocol::tcp;
    else if (tokens[0].text == "udp") rule.protocol = Protocol::udp;
    else return "match protocol must be tcp or udp, not " + quoted(tokens[0].text);
    auto hp = split_host_port(tokens[1].text);
    if (auto* e = std::get_if<std::string>(&hp)) return "match: " + *e;
    auto& host_port = std::get<HostPort>(hp);
    // Numeric only: match= describes packets, a name could change under us.
    ParseOptions numeric_only;
    numeric_only.resolve_names = false;
    Resolver resolver(numeric_only);
    auto address = resolver.host(host_port.host, family);
    if (auto* e = std::get_if<std::string>(&address)) return "match: " + *e;
    rule.address = std::get<IpAddress>(address);
    if (host_port.has_port) {
        auto p = parse_uint(host_port.port, 65535);
        if (!p || *p == 0)
            return "match port " + quoted(host_port.port) + " must be 1..65535 (omit it to match every port)";
        rule.port = static_cast<uint16_t>(*p);
    }
    return rule;
}

Resolved<Endpoint> parse_endpoint(std::string_view value) {
    auto hp = split_host_port(value);
    if (auto* e = std::get_if<std::string>(&hp)) return *e;
    auto& host_port = std::get<HostPort>(hp);
    if (!host_port.has_port) return "missing port in " + quoted(value) + " (expected ADDRESS:PORT)";
    auto address = IpAddress::parse(host_port.host.front() == '['
                                        ? std::string_view(host_port.host).substr(1, host_port.host.size() - 2)
                                        : std::string_view(host_port.host));
    if (!address || (host_port.host.front() == '[') != address->is_v6())
        return "invalid address " + quoted(host_port.host) + " (numeric IPv4, or IPv6 in brackets)";
    auto port = parse_uint(host_port.port, 65535);
    if (!port || *port == 0) return "invalid port " + quoted(host_port.port) + " (1..65535)";
    return Endpoint{*address, static_cast<uint16_t>(*port)};
}

}  // namespace xvs::config_detail
