#include "model/netmask.h"

#include "model/address.h"

namespace xvs {

std::variant<ParsedNetmask, NetmaskError> parse_netmask(std::string_view text) {
    if (text.empty()) return NetmaskError::malformed;
    if (text.find_first_not_of("0123456789") == std::string_view::npos) {
        uint32_t prefix = 0;
        for (char c : text) {
            prefix = prefix * 10 + static_cast<uint32_t>(c - '0');
            if (prefix > 128) return NetmaskError::malformed;  // also stops before overflow
        }
        return ParsedNetmask{NetmaskForm::prefix, prefix};
    }
    auto mask = IpAddress::parse(text);
    if (!mask || mask->is_v6() || text.find_first_not_of("0123456789.") != std::string_view::npos)
        return NetmaskError::malformed;
    uint32_t m = mask->v4_host_order();
    uint32_t prefix = ipv4_netmask_prefix(m);
    if (m != ipv4_netmask(prefix)) return NetmaskError::not_contiguous;
    return ParsedNetmask{NetmaskForm::dotted, prefix};
}

uint32_t ipv4_netmask(uint32_t prefix_len) {
    if (prefix_len >= 32) return 0xffffffffu;
    if (prefix_len == 0) return 0;
    return 0xffffffffu << (32 - prefix_len);
}

uint32_t ipv4_netmask_prefix(uint32_t mask) {
    uint32_t prefix = 0;
    while (prefix < 32 && (mask & (0x80000000u >> prefix))) ++prefix;
    return prefix;
}

std::string ipv4_netmask_text(uint32_t prefix_len) { return IpAddress::v4(ipv4_netmask(prefix_len)).to_string(); }

}  // namespace xvs
