#include "config/resolve.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <cctype>
#include <cstring>
#include <memory>

#include "config/text.h"

namespace xvs::config_detail {

const char* family_name(Family f) { return f == Family::v6 ? "IPv6" : "IPv4"; }

namespace {

struct AddrInfoDeleter {
    void operator()(addrinfo* ai) const { freeaddrinfo(ai); }
};

std::optional<IpAddress> system_resolve_host(const std::string& name, Family family) {
    addrinfo hints{};
    hints.ai_family = family == Family::v6 ? AF_INET6 : AF_INET;
    hints.ai_socktype = SOCK_STREAM;  // one entry per address
    addrinfo* raw = nullptr;
    if (getaddrinfo(name.c_str(), nullptr, &hints, &raw) != 0 || raw == nullptr) return std::nullopt;
    std::unique_ptr<addrinfo, AddrInfoDeleter> list(raw);
    IpAddress a;
    a.family = family;
    if (raw->ai_family == AF_INET) {
        const auto* sin = reinterpret_cast<const sockaddr_in*>(raw->ai_addr);
        std::memcpy(a.bytes.data(), &sin->sin_addr, 4);
    } else if (raw->ai_family == AF_INET6) {
        const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(raw->ai_addr);
        std::memcpy(a.bytes.data(), &sin6->sin6_addr, 16);
    } else {
        return std::nullopt;
    }
    return a;
}

std::optional<uint16_t> system_resolve_service(const std::string& name, const char* protocol) {
    servent entry{};
    servent* result = nullptr;
    char buffer[4096];
    if (getservbyname_r(name.c_str(), protocol, &entry, buffer, sizeof buffer, &result) != 0 ||
        result == nullptr)
        return std::nullopt;
    return static_cast<uint16_t>(ntohs(static_cast<uint16_t>(result->s_port)));
}

bool is_host_name(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ||
              c == '+'))
            return false;
    return true;
}

bool is_service_name(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')) return false;
    return true;
}

}  // namespace

Resolved<IpAddress> Resolver::host(std::string_view text, Family family) const {
    if (text.empty()) return std::string("missing address");
    if (text.front() == '[') {
        if (text.size() < 3 || text.back() != ']') return "invalid address " + quoted(text);
        auto literal = IpAddress::parse(text.substr(1, text.size() - 2));
        if (!literal || !literal->is_v6()) return "invalid IPv6 address " + quoted(text);
        if (family != Family::v6)
            return "IPv6 address " + std::string(text) +
                   " in an IPv4 section (use virtual6/real6/fallback6 for IPv6)";
        return *literal;
    }
    if (auto literal = IpAddress::parse(text)) {
        if (literal->is_v6())
            return "IPv6 address " + quoted(text) + " must be written in brackets: [" +
                   std::string(text) + "]";
        if (family != Family::v4)
            return "IPv4 address " + std::string(text) +
                   " in an IPv6 section (use virtual/real/fallback for IPv4)";
        return *literal;
    }
    // Digits and dots that inet_pton refused: a malformed address, not a name
    // (getaddrinfo would accept "10.1" or "5060" as shorthand).
    bool numeric = true;
    for (char c : text)
        if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.')) numeric = false;
    if (numeric) return "invalid address " + quoted(text);
    if (text.find(':') != std::string_view::npos)
        return "invalid address " + quoted(text) + " (IPv6 addresses are written in brackets)";
    if (!is_host_name(text)) return "invalid address or host name " + quoted(text);
    if (!options_.resolve_names)
        return "host name " + quoted(text) + " not allowed: name resolution is disabled";
    std::string name(text);
    auto resolved = options_.resolve_host ? options_.resolve_host(name, family)
                                          : system_resolve_host(name, family);
    if (!resolved)
        return "cannot resolve host name " + quoted(text) + " to an " + family_name(family) +
               " address";
    return *resolved;
}

Resolved<uint16_t> Resolver::port(std::string_view text, const char* protocol) const {
    if (text.empty()) return std::string("missing port");
    if (is_all_digits(text)) {
        auto value = parse_uint(text, 65535);
        if (!value) return "port " + std::string(text) + " out of range 0..65535";
        return static_cast<uint16_t>(*value);
    }
    if (!is_service_name(text)) return "invalid port " + quoted(text);
    if (!options_.resolve_names)
        return "service name " + quoted(text) + " not allowed: name resolution is disabled";
    std::string name(text);
    auto resolved = options_.resolve_service ? options_.resolve_service(name, protocol)
                                             : system_resolve_service(name, protocol);
    if (!resolved)
        return "unknown service name " + quoted(text) +
               (protocol ? std::string(" for ") + protocol : std::string()) +
               " (not in /etc/services)";
    return *resolved;
}

Resolved<HostPort> split_host_port(std::string_view text) {
    HostPort hp;
    if (!text.empty() && text.front() == '[') {
        size_t close = text.find(']');
        if (close == std::string_view::npos) return "missing ']' in " + quoted(text);
        hp.host = std::string(text.substr(0, close + 1));
        std::string_view rest = text.substr(close + 1);
        if (rest.empty()) return hp;
        if (rest.front() != ':') return "unexpected text after ']' in " + quoted(text);
        hp.port = std::string(rest.substr(1));
        hp.has_port = true;
        if (hp.port.empty()) return "missing port after ':' in " + quoted(text);
        return hp;
    }
    size_t colon = text.find(':');
    if (colon == std::string_view::npos) {
        hp.host = std::string(text);
        return hp;
    }
    if (text.find(':', colon + 1) != std::string_view::npos)
        return "invalid address " + quoted(text) +
               ": expected ADDRESS[:PORT] (IPv6 addresses go in brackets: [2001:db8::1]:80)";
    hp.host = std::string(text.substr(0, colon));
    hp.port = std::string(text.substr(colon + 1));
    hp.has_port = true;
    if (hp.host.empty()) return "missing address before ':' in " + quoted(text);
    if (hp.port.empty()) return "missing port after ':' in " + quoted(text);
    return hp;
}

}  // namespace xvs::config_detail
