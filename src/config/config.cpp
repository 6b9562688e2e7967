#include "config/config.h"

#include <algorithm>
#include <array>
#include <utility>

namespace xvs {

namespace {

std::string join_errors(const std::vector<std::string>& errors) {
    std::string all;
    for (const auto& e : errors) {
        if (!all.empty()) all += '\n';
        all += e;
    }
    return all;
}

struct ServiceEntry {
    CheckService service;
    const char* name;
    uint16_t port;  // 0: none (ldirectord's ld_service_to_port returns undef)
};

// ldirectord's service= list with ld_service_to_port's ports.
constexpr std::array<ServiceEntry, 21> service_table{{
    {CheckService::none, "none", 0},
    {CheckService::dns, "dns", 53},
    {CheckService::ftp, "ftp", 21},
    {CheckService::http, "http", 80},
    {CheckService::https, "https", 443},
    {CheckService::http_proxy, "http_proxy", 3128},
    {CheckService::imap, "imap", 143},
    {CheckService::imaps, "imaps", 993},
    {CheckService::ldap, "ldap", 389},
    {CheckService::ldaps, "ldaps", 636},
    {CheckService::mysql, "mysql", 3306},
    {CheckService::nntp, "nntp", 119},
    {CheckService::oracle, "oracle", 1521},
    {CheckService::pgsql, "pgsql", 5432},
    {CheckService::pop, "pop", 110},
    {CheckService::pops, "pops", 995},
    {CheckService::radius, "radius", 1812},
    {CheckService::simpletcp, "simpletcp", 0},
    {CheckService::sip, "sip", 5060},
    {CheckService::smtp, "smtp", 25},
    {CheckService::submission, "submission", 587},
}};

}  // namespace

std::vector<std::string> cap_messages(std::vector<std::string> messages, const std::string& source,
                                      size_t count, const char* kind) {
    count = std::max(count, messages.size());
    if (messages.size() > max_reported_errors) messages.resize(max_reported_errors);
    if (count > messages.size()) {
        std::string where = source.empty() ? "" : source + ": ";
        messages.push_back(where + "... and " + std::to_string(count - messages.size()) + " more " + kind);
    }
    return messages;
}

ConfigError::ConfigError(std::vector<std::string> errors, const std::string& source, size_t count)
    : ConfigError(count_and_cap(std::move(errors), source, count)) {}

std::pair<size_t, std::vector<std::string>> ConfigError::count_and_cap(std::vector<std::string> errors,
                                                                        const std::string& source, size_t count) {
    count = std::max(count, errors.size());
    return {count, cap_messages(std::move(errors), source, count, "errors")};
}

ConfigError::ConfigError(std::pair<size_t, std::vector<std::string>> counted)
    : std::runtime_error(join_errors(counted.second)), errors_(std::move(counted.second)), count_(counted.first) {}

const char* to_string(CheckType t) {
    switch (t) {
        case CheckType::negotiate: return "negotiate";
        case CheckType::connect: return "connect";
        case CheckType::external: return "external";
        case CheckType::external_perl: return "external-perl";
        case CheckType::ping: return "ping";
        case CheckType::on: return "on";
        case CheckType::off: return "off";
        case CheckType::combined: return "combined";
    }
    return "?";
}

const char* to_string(CheckService s) {
    for (const auto& e : service_table)
        if (e.service == s) return e.name;
    return "?";
}

std::optional<CheckService> check_service_from_string(std::string_view s) {
    for (const auto& e : service_table)
        if (s == e.name) return e.service;
    return std::nullopt;
}

CheckService check_service_for_port(uint16_t port) {
    // ld_port_to_service: every service with a port except simpletcp and none.
    if (port == 0) return CheckService::none;
    for (const auto& e : service_table)
        if (e.port == port) return e.service;
    return CheckService::none;
}

std::optional<uint16_t> default_port(CheckService s) {
    for (const auto& e : service_table)
        if (e.service == s && e.port != 0) return e.port;
    return std::nullopt;
}

const char* to_string(DataplaneMode m) {
    switch (m) {
        case DataplaneMode::automatic: return "auto";
        case DataplaneMode::xdp: return "xdp";
        case DataplaneMode::ipvs: return "ipvs";
    }
    return "?";
}

const char* to_string(XdpMode m) {
    switch (m) {
        case XdpMode::automatic: return "auto";
        case XdpMode::native: return "native";
        case XdpMode::generic: return "generic";
    }
    return "?";
}

std::optional<uint16_t> check_port(const VirtualConfig& virt, const RealConfig& real) {
    if (virt.check.checkport) return virt.check.checkport;
    if (real.key.port > 0) return real.key.port;
    return default_port(virt.check.service);
}

const std::string& check_request(const VirtualConfig& virt, const RealConfig& real) {
    return real.request ? *real.request : virt.check.request;
}

const std::string& check_receive(const VirtualConfig& virt, const RealConfig& real) {
    return real.receive ? *real.receive : virt.check.receive;
}

}  // namespace xvs
