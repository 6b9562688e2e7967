// How an ipip (TUN) real's packets are encapsulated: IPVS's tun_type,
// tun_port and tun_flags of a destination (ipvsadm --tun-type ipip|gue|gre,
// --tun-port, --tun-nocsum|--tun-csum|--tun-remcsum).
//
// One text form, TYPE[:PORT][:CHECKSUM] ("ipip", "gue:6080:csum",
// "gre:nocsum"), is what xvs.cf's real= lines take after "tun:", what the
// control protocol and the edit journal carry, and what error messages show.
// The ipvsadm spellings (its -S options and --tun-info column) are here too,
// so the CLI and the config check one set of rules: ipvsadm's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace xvs {

// IP_VS_CONN_F_TUNNEL_TYPE_* order.
enum class TunnelType : uint8_t { ipip, gue, gre };
// IP_VS_TUNNEL_ENCAP_FLAG_*: none = 0, csum = 1, remcsum = 2.
enum class TunnelChecksum : uint8_t { none, csum, remcsum };

struct Tunnel {
    TunnelType type = TunnelType::ipip;
    uint16_t port = 0;  // gue's UDP destination port, host order; 0 otherwise
    TunnelChecksum checksum = TunnelChecksum::none;
    bool operator==(const Tunnel&) const = default;
};

const char* to_string(TunnelType t);      // "ipip", "gue", "gre"
const char* to_string(TunnelChecksum c);  // "nocsum", "csum", "remcsum"
std::optional<TunnelType> tunnel_type_from_name(std::string_view name);

// "ipip", "gue:6080:csum", "gre:nocsum" and back. The parser accepts what
// to_text() writes and, for the operator, a checksum left out (nocsum);
// it returns an error message on anything else.
std::string to_text(const Tunnel& t);
struct TunnelParse {
    std::optional<Tunnel> tunnel;
    std::string error;  // set when tunnel is empty
};
TunnelParse parse_tunnel(std::string_view text);

// ipvsadm's --tun-info column ("ipip", "gue:6080:-c", "gre:+c") and its -S
// options after "-w N" ("--tun-type gue --tun-port 6080 --tun-nocsum").
std::string ipvsadm_tunnel_info(const Tunnel& t);
std::string ipvsadm_tunnel_options(const Tunnel& t);

// The tunnel options an operator gave, for ipvsadm's rules.
struct TunnelOptionsGiven {
    bool port = false;
    bool nocsum = false;
    bool csum = false;
    bool remcsum = false;
};
// ipvsadm's tunnel_types_v_options check: gue needs a port, remcsum is gue
// only, ipip takes none, one checksum option at most. Returns its message,
// e.g. "You need to supply the 'tun-port' option for the 'gue' tunnel type".
std::optional<std::string> tunnel_options_problem(TunnelType type, const TunnelOptionsGiven& given);

}  // namespace xvs
