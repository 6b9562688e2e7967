// The persistence netmask (ldirectord's netmask=, ipvsadm -M, IPVS's
// netmask attribute) as text, as an IPv4 mask and as a prefix length.
//
// The model keeps only the prefix length (Persistence::prefix_len); these are
// the one set of conversions every reader and writer of a netmask uses.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace xvs {

// How a netmask was written.
enum class NetmaskForm : uint8_t {
    dotted,  // an IPv4 mask in dotted-quad notation: "255.255.255.0"
    prefix,  // a prefix length in decimal digits: "24", "64"
};

struct ParsedNetmask {
    NetmaskForm form;
    uint32_t prefix_len;  // dotted: 0..32; prefix: 0..128 as written (the caller checks its range)
};

enum class NetmaskError : uint8_t {
    malformed,       // neither a dotted-quad mask nor a prefix length of at most 128
    not_contiguous,  // a dotted-quad mask whose one bits have a gap: 255.0.255.0
};

// "255.255.255.0" -> {dotted, 24}; "64" -> {prefix, 64}.
std::variant<ParsedNetmask, NetmaskError> parse_netmask(std::string_view text);

// The IPv4 mask (host order) of a prefix length; 32 and more give all ones.
uint32_t ipv4_netmask(uint32_t prefix_len);

// How many one bits an IPv4 mask (host order) starts with; the rest is ignored.
uint32_t ipv4_netmask_prefix(uint32_t mask);

// "255.255.255.0" for 24, as ipvsadm and ldirectord write an IPv4 netmask.
std::string ipv4_netmask_text(uint32_t prefix_len);

}  // namespace xvs
