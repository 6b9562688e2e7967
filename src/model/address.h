// IpAddress: an IPv4 or IPv6 address held in network byte order.
//
// The one address type of the C++ side: the config parser produces it, the
// model keys on it, the data planes copy its bytes into BPF maps and netlink
// attributes unchanged (IPv4 in the first 4 bytes, the rest zero).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace xvs {

enum class Family : uint8_t { v4 = 4, v6 = 6 };

struct IpAddress {
    Family family = Family::v4;
    std::array<uint8_t, 16> bytes{};

    // Numeric text only ("10.0.0.1", "2001:db8::1"); no brackets, no names.
    static std::optional<IpAddress> parse(std::string_view text);
    static IpAddress v4(uint32_t host_order);

    bool is_v6() const { return family == Family::v6; }
    int af() const;                       // AF_INET / AF_INET6
    std::string to_string() const;        // "10.0.0.1", "2001:db8::1"
    // As ipvsadm prints an address with a port: "10.0.0.1:80", "[2001:db8::1]:80".
    std::string with_port(uint16_t port) const;
    // The address with all but the first prefix_len bits cleared.
    IpAddress masked(unsigned prefix_len) const;
    uint32_t v4_host_order() const;

    auto operator<=>(const IpAddress&) const = default;
};

}  // namespace xvs
