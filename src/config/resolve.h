// Resolver: turns the host and port text of ldirectord.cf into addresses and
// port numbers, the way ldirectord's ld_gethostbyname / ld_getservbyname do,
// but strictly: numeric text must be a valid address ("5060" is not read as
// 0.0.19.196), and IPv6 literals must be in brackets.
//
// Every method returns the value or an error message that names the text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "config/config.h"

namespace xvs::config_detail {

template <typename T>
using Resolved = std::variant<T, std::string>;  // value, or what is wrong

class Resolver {
public:
    explicit Resolver(const ParseOptions& options) : options_(options) {}

    // host: "10.0.0.1", "[2001:db8::1]", or a name ([A-Za-z0-9._+-]).
    Resolved<IpAddress> host(std::string_view host, Family family) const;
    // port: digits 0..65535 or a service name looked up for protocol
    // ("tcp", "udp", or nullptr = any, as ldirectord does for reals).
    Resolved<uint16_t> port(std::string_view port, const char* protocol) const;

private:
    const ParseOptions& options_;
};

// Splits "HOST[:PORT]" / "[V6]:PORT" / "[V6]". port is empty when absent.
struct HostPort {
    std::string host;   // brackets kept for IPv6: "[2001:db8::1]"
    std::string port;
    bool has_port = false;
};
Resolved<HostPort> split_host_port(std::string_view text);

const char* family_name(Family f);  // "IPv4" / "IPv6"

}  // namespace xvs::config_detail
