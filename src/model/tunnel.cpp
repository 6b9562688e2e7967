#include "model/tunnel.h"

#include <array>
#include <charconv>

namespace xvs {

const char* to_string(TunnelType t) {
    switch (t) {
        case TunnelType::ipip: return "ipip";
        case TunnelType::gue: return "gue";
        case TunnelType::gre: return "gre";
    }
    return "?";
}

const char* to_string(TunnelChecksum c) {
    switch (c) {
        case TunnelChecksum::none: return "nocsum";
        case TunnelChecksum::csum: return "csum";
        case TunnelChecksum::remcsum: return "remcsum";
    }
    return "?";
}

std::optional<TunnelType> tunnel_type_from_name(std::string_view name) {
    for (TunnelType t : {TunnelType::ipip, TunnelType::gue, TunnelType::gre})
        if (name == to_string(t)) return t;
    return std::nullopt;
}

std::string to_text(const Tunnel& t) {
    switch (t.type) {
        case TunnelType::ipip: return "ipip";
        case TunnelType::gue: return "gue:" + std::to_string(t.port) + ":" + to_string(t.checksum);
        case TunnelType::gre: return std::string("gre:") + to_string(t.checksum);
    }
    return "?";
}

namespace {

std::optional<TunnelChecksum> checksum_from_name(std::string_view name) {
    for (TunnelChecksum c : {TunnelChecksum::none, TunnelChecksum::csum, TunnelChecksum::remcsum})
        if (name == to_string(c)) return c;
    return std::nullopt;
}

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

}  // namespace

TunnelParse parse_tunnel(std::string_view text) {
    std::array<std::string_view, 4> parts{};
    size_t n = 0;
    for (size_t start = 0;;) {
        size_t colon = text.find(':', start);
        if (n == parts.size())
            return {std::nullopt, "tunnel " + quoted(text) + " has too many ':' parts"};
        parts[n++] = text.substr(start, colon == std::string_view::npos ? colon : colon - start);
        if (colon == std::string_view::npos) break;
        start = colon + 1;
    }
    auto type = tunnel_type_from_name(parts[0]);
    if (!type)
        return {std::nullopt, "tunnel type must be ipip, gue or gre, not " + quoted(parts[0])};
    Tunnel t;
    t.type = *type;
    size_t i = 1;
    TunnelOptionsGiven given;
    if (t.type == TunnelType::gue && i < n) {
        unsigned port = 0;
        auto [end, ec] = std::from_chars(parts[i].data(), parts[i].data() + parts[i].size(), port);
        if (ec != std::errc{} || end != parts[i].data() + parts[i].size() || port < 1 ||
            port > 65535)
            return {std::nullopt, "tunnel port must be 1..65535, not " + quoted(parts[i])};
        t.port = static_cast<uint16_t>(port);
        given.port = true;
        ++i;
    }
    if (i < n) {
        auto c = checksum_from_name(parts[i]);
        if (!c)
            return {std::nullopt,
                    "tunnel checksum must be nocsum, csum or remcsum, not " + quoted(parts[i])};
        t.checksum = *c;
        given.nocsum = *c == TunnelChecksum::none;
        given.csum = *c == TunnelChecksum::csum;
        given.remcsum = *c == TunnelChecksum::remcsum;
        ++i;
    }
    if (i < n) return {std::nullopt, "tunnel " + quoted(text) + ": unexpected " + quoted(parts[i])};
    if (auto problem = tunnel_options_problem(t.type, given)) return {std::nullopt, *problem};
    return {t, {}};
}

std::string ipvsadm_tunnel_info(const Tunnel& t) {
    // ipvsadm's tunflags[], indexed by IP_VS_TUNNEL_ENCAP_FLAG_*.
    static constexpr std::array<const char*, 3> flags = {"-c", "+c", "r+c"};
    const char* f = flags[static_cast<size_t>(t.checksum)];
    switch (t.type) {
        case TunnelType::ipip: return "ipip";
        case TunnelType::gue: return "gue:" + std::to_string(t.port) + ":" + f;
        case TunnelType::gre: return std::string("gre:") + f;
    }
    return "?";
}

std::string ipvsadm_tunnel_options(const Tunnel& t) {
    std::string option = std::string("--tun-") + to_string(t.checksum);
    switch (t.type) {
        case TunnelType::ipip: return "--tun-type ipip";
        case TunnelType::gue:
            return "--tun-type gue --tun-port " + std::to_string(t.port) + " " + option;
        case TunnelType::gre: return "--tun-type gre " + option;
    }
    return "";
}

std::optional<std::string> tunnel_options_problem(TunnelType type,
                                                  const TunnelOptionsGiven& given) {
    // ipvsadm's table: columns tun-port, tun-nocsum, tun-csum, tun-remcsum;
    // '+' needed, 'x' illegal, '1' at most one of the '1's.
    struct Column {
        const char* name;
        bool given;
    };
    const std::array<Column, 4> columns = {
        Column{"tun-port", given.port}, Column{"tun-nocsum", given.nocsum},
        Column{"tun-csum", given.csum}, Column{"tun-remcsum", given.remcsum}};
    static constexpr std::array<const char*, 3> rows = {"xxxx", "+111", "x11x"};  // ipip, gue, gre
    const char* row = rows[static_cast<size_t>(type)];
    const char* type_name = to_string(type);
    const char* first_exclusive = nullptr;
    for (size_t j = 0; j < columns.size(); ++j) {
        if (!columns[j].given) {
            if (row[j] == '+')
                return std::string("You need to supply the '") + columns[j].name +
                       "' option for the '" + type_name + "' tunnel type";
            continue;
        }
        if (row[j] == 'x')
            return std::string("Illegal '") + columns[j].name + "' option with the '" + type_name +
                   "' tunnel type";
        if (row[j] == '1') {
            if (!first_exclusive) {
                first_exclusive = columns[j].name;
                continue;
            }
            return std::string("The option '") + columns[j].name + "' conflicts with the '" +
                   first_exclusive + "' option in the '" + type_name + "' tunnel type";
        }
    }
    return std::nullopt;
}

}  // namespace xvs
