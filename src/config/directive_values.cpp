#include "config/directive_values.h"

#include <cctype>
#include <string_view>
#include <vector>

#include "model/address.h"

namespace xvs::config_detail {

std::optional<bool> read_yes_no(const DirectiveContext& c) {
    if (c.d.value == "yes") return true;
    if (c.d.value == "no") return false;
    c.error(c.d.name + " must be 'yes' or 'no'");
    return std::nullopt;
}

std::optional<uint32_t> read_positive(const DirectiveContext& c, uint32_t max) {
    auto v = parse_uint(c.d.value, max);
    if (!v || *v == 0) {
        c.error("invalid " + c.d.name + " " + quoted(c.d.value) + ": a whole number 1.." + std::to_string(max) +
                " is required");
        return std::nullopt;
    }
    return static_cast<uint32_t>(*v);
}

std::optional<uint32_t> read_non_negative(const DirectiveContext& c) {
    auto v = parse_uint(c.d.value, UINT32_MAX);
    if (!v) {
        c.error("invalid " + c.d.name + " " + quoted(c.d.value) + ": a whole number is required");
        return std::nullopt;
    }
    return static_cast<uint32_t>(*v);
}

std::optional<std::string> read_quoted(const DirectiveContext& c, bool allow_empty) {
    auto inner = unquote(c.d.value);
    if (!inner) {
        c.error(c.d.name + " must be in double quotes: " + c.d.name + "=\"...\"");
        return std::nullopt;
    }
    if (inner->empty() && !allow_empty) {
        c.error(c.d.name + " is empty");
        return std::nullopt;
    }
    return inner;
}

std::optional<std::string> read_text(const DirectiveContext& c, bool strip_quotes) {
    std::string value = strip_quotes ? unquote_optional(c.d.value) : c.d.value;
    if (value.empty()) {
        c.error(c.d.name + " needs a value");
        return std::nullopt;
    }
    return value;
}

std::optional<std::string> read_email_address(const DirectiveContext& c) {
    std::string value = unquote_optional(c.d.value);
    if (value.empty()) {
        c.error("no email address specified");
        return std::nullopt;
    }
    return value;
}

std::optional<uint8_t> read_email_status(const DirectiveContext& c) {
    std::vector<std::string> items;
    std::string_view rest = c.d.value;
    while (true) {
        size_t comma = rest.find(',');
        items.emplace_back(trim(rest.substr(0, comma)));
        if (comma == std::string_view::npos) break;
        rest = rest.substr(comma + 1);
    }
    bool has_none = false;
    for (const auto& i : items) has_none |= i == "none";
    uint8_t status = 0;
    bool ok = true;
    for (const auto& i : items) {
        if (i == "none") continue;
        if (i == "all") status = email_status_all;
        else if (i == "starting") status |= email_status_starting;
        else if (i == "running") status |= email_status_running;
        else if (i == "stopping") status |= email_status_stopping;
        else if (i == "reloading") status |= email_status_reloading;
        else {
            c.error("invalid email alert status " + quoted(i) + " (all, none, starting, running, stopping, reloading)");
            ok = false;
            continue;
        }
        if (has_none) {
            c.error("invalid email alert status: " + quoted(i) + " specified with \"none\"");
            ok = false;
        }
    }
    if (!ok) return std::nullopt;
    return status;
}

std::optional<std::string> read_smtp_server(const DirectiveContext& c) {
    // What ldirectord's Net::SMTP takes: HOST, HOST:PORT, [V6], [V6]:PORT.
    const std::string& v = c.d.value;
    auto host_ok = [](std::string_view h) {
        if (h.empty()) return false;
        for (char ch : h)
            if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_' || ch == '+' || ch == '-'))
                return false;
        return true;
    };
    auto port_ok = [](std::string_view p) {
        if (p.empty() || p.size() > 5) return false;
        for (char ch : p)
            if (!std::isdigit(static_cast<unsigned char>(ch))) return false;
        int n = std::stoi(std::string(p));
        return n >= 1 && n <= 65535;
    };
    bool ok;
    if (!v.empty() && v.front() == '[') {
        size_t close = v.find(']');
        ok = close != std::string::npos && close > 1 &&
             IpAddress::parse(v.substr(1, close - 1)).has_value() &&
             IpAddress::parse(v.substr(1, close - 1))->is_v6() &&
             (close + 1 == v.size() || (v[close + 1] == ':' && port_ok(std::string_view(v).substr(close + 2))));
    } else {
        size_t colon = v.find(':');
        ok = colon == std::string::npos ? host_ok(v)
                                        : host_ok(std::string_view(v).substr(0, colon)) &&
                                              port_ok(std::string_view(v).substr(colon + 1));
    }
    if (!ok) {
        c.error("invalid SMTP server address " + quoted(v) + " (HOST, HOST:PORT, [IPV6] or [IPV6]:PORT)");
        return std::nullopt;
    }
    return v;
}

}  // namespace xvs::config_detail
