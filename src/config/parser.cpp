// The ldirectord.cf reader: lines -> sections -> directives, then each virtual
// is resolved against the globals once the whole file is read (ldirectord
// applies global settings wherever they appear in the file).
// The directives themselves are in directives.cpp.
#include <map>
#include <utility>

#include "config/config.h"
#include "config/directives.h"
#include "config/parse_state.h"
#include "config/source_file.h"
#include "config/specs.h"
#include "config/text.h"
#include "model/build.h"
#include "model/schedulers.h"

namespace xvs {
namespace config_detail {
namespace {

class Parser {
public:
    Parser(std::string source, const ParseOptions& options) : s_(std::move(source), options) {}

    Config parse(std::string_view text);

private:
    void line(std::string_view raw, int number);
    void finish_virtual(PendingVirtual& pv);
    void check_across_virtuals();

    ParseState s_;
    size_t total_reals_ = 0;
};

Config Parser::parse(std::string_view text) {
    int number = 0;
    size_t pos = 0;
    while (pos <= text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        std::string_view raw = text.substr(pos, end - pos);
        ++number;
        if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
        line(raw, number);
        if (end == text.size()) break;
        pos = end + 1;
    }

    // Global fallbacks resolve first: virtuals inherit them.
    auto global_fallback = [&](const std::optional<PendingLine>& written, Family family,
                               std::optional<FallbackConfig>& out) {
        if (!written) return;
        auto fb = parse_fallback(written->value, written->line, family, nullptr, s_.resolver);
        if (auto* e = std::get_if<std::string>(&fb)) s_.diag.error(written->line, *e);
        else out = std::get<FallbackConfig>(fb);
    };
    global_fallback(s_.global_fallback, Family::v4, s_.config.globals.fallback);
    global_fallback(s_.global_fallback6, Family::v6, s_.config.globals.fallback6);
    for (auto& pv : s_.virtuals) finish_virtual(pv);
    check_across_virtuals();

    if (s_.diag.has_errors()) throw ConfigError(s_.diag.errors(), s_.config.source, s_.diag.error_count());
    for (auto& pv : s_.virtuals) s_.config.virtuals.push_back(std::move(pv.v));
    s_.config.warnings = s_.diag.warnings();
    return std::move(s_.config);
}

void Parser::line(std::string_view raw, int number) {
    std::string_view trimmed = trim(raw);
    if (trimmed.empty() || trimmed.front() == '#') return;  // blank and comment lines never end a section
    std::string_view content = trim(strip_comment(raw));
    if (content.empty()) return;
    size_t indent = indentation(raw);
    if (indent > 0 && indent < 4) {
        s_.diag.error(number, "line indented by fewer than 4 columns: indent the lines of a virtual "
                              "section with a tab or at least 4 spaces, start global lines in column 1");
        return;
    }
    auto d = split_directive(content);
    if (!d) {
        s_.diag.error(number, "expected DIRECTIVE=VALUE, got " + quoted(content));
        return;
    }
    if (indent == 0) {
        s_.skipping_virtual = false;
        s_.in_virtual = false;  // virtual= and virtual6= begin the next section
        apply_directive(s_, nullptr, *d, number);
        return;
    }
    if (s_.skipping_virtual) return;  // the file is refused already; one error says why
    if (!s_.in_virtual) {
        s_.diag.error(number, "indented line outside a virtual section (\"" + d->name +
                                  "\"): global directives start in column 1, virtual-section lines follow a virtual= line");
        return;
    }
    if (const DirectiveSpec* spec = find_directive(d->name); spec && spec->kind == ValueKind::section) {
        s_.diag.error(number, d->name + "= must start in column 1 (it begins a new virtual section)");
        return;
    }
    apply_directive(s_, &s_.virtuals.back(), *d, number);
}

void Parser::finish_virtual(PendingVirtual& pv) {
    VirtualConfig& v = pv.v;
    const GlobalConfig& g = s_.config.globals;
    HealthCheckConfig& c = v.check;

    // Key: the protocol decides which service name table resolves the port.
    bool key_ok = pv.header_ok;
    if (pv.header_ok && !pv.is_fwmark) {
        Protocol protocol = Protocol::tcp;
        if (pv.protocol_directive) protocol = *pv.protocol_directive;
        else if (pv.port_text == "53" || pv.port_text == "domain") protocol = Protocol::udp;
        auto address = s_.resolver.host(pv.host_text, pv.family);
        auto port = s_.resolver.port(pv.port_text, to_string(protocol));
        if (auto* e = std::get_if<std::string>(&address)) {
            s_.diag.error(v.line, "virtual server: " + *e);
            key_ok = false;
        }
        if (auto* e = std::get_if<std::string>(&port)) {
            s_.diag.error(v.line, "virtual server: " + *e);
            key_ok = false;
        }
        if (key_ok) {
            v.key = ServiceKey::tcp_udp(protocol, std::get<IpAddress>(address), std::get<uint16_t>(port));
            if (!pv.service_set) c.service = check_service_for_port(v.key.port);
            if (v.key.port == 0 && !v.persistent)
                s_.diag.error(v.line, "port 0 (every port) is only allowed for a persistent service: add persistent=");
        }
    }
    if (pv.family == Family::v6 && !v.netmask) v.persistence.prefix_len = 128;
    v.persistence.timeout = v.persistent.value_or(0);
    if (v.netmask && !v.persistent)
        s_.diag.warning(pv.netmask_line, "netmask has no effect without persistent=");
    if (!v.persistence.engine.empty() && !v.persistent)
        s_.diag.error(pv.pe_line, "pe=" + v.persistence.engine + " needs persistent= (the engine keys persistence templates)");
    else if (!v.persistence.engine.empty() && key_ok && v.key.protocol == Protocol::tcp)
        s_.diag.warning(pv.pe_line, "pe=sip reads the Call-ID of UDP datagrams only: IPVS drops every new "
                                    "connection of a TCP service with it, and XDP does not serve it");
    if (v.ops && key_ok && v.key.protocol != Protocol::udp)
        s_.diag.warning(pv.ops_line, "ops=yes only applies to UDP virtual services; ignored");
    if (!find_scheduler(v.scheduler))
        s_.diag.warning(v.line, "scheduler " + quoted(v.scheduler) + " is not one IPVS ships; it must exist in the kernel");
    if (pv.is_fwmark && v.matches.empty() && pv.header_ok)
        s_.diag.warning(v.line, "firewall-mark virtual service " + std::to_string(v.key.fwmark) +
                                  " has no match= lines: only IPVS with your own MARK rules can serve it");

    // Fallback: the virtual's own (port defaults to the virtual's), else the global one.
    const char* protocol_name = key_ok && !pv.is_fwmark ? to_string(v.key.protocol) : nullptr;
    if (pv.fallback) {
        auto fb = parse_fallback(pv.fallback->value, pv.fallback->line, pv.family, protocol_name, s_.resolver);
        if (auto* e = std::get_if<std::string>(&fb)) s_.diag.error(pv.fallback->line, *e);
        else v.fallback = std::get<FallbackConfig>(fb);
    } else if (const auto& global = pv.family == Family::v6 ? g.fallback6 : g.fallback) {
        v.fallback = global;
    }
    if (v.fallback && !v.fallback->port) v.fallback->port = pv.is_fwmark ? 0 : v.key.port;

    // Reals, with duplicates judged on the key the data plane will use.
    std::map<RealKey, int> seen;
    for (const auto& rl : pv.reals) {
        auto parsed = parse_real(rl.value, rl.line, pv.family, s_.resolver);
        if (auto* e = std::get_if<std::string>(&parsed)) {
            s_.diag.error(rl.line, *e);
            continue;
        }
        auto& reals = std::get<std::vector<RealConfig>>(parsed);
        if (total_reals_ + reals.size() > max_reals_per_file) {
            s_.diag.error(rl.line, "more than " + std::to_string(max_reals_per_file) +
                                     " real servers in one file; split the configuration");
            continue;
        }
        total_reals_ += reals.size();
        std::string first_duplicate;
        size_t duplicates = 0;
        for (auto& real : reals) {
            if (key_ok) {
                RealKey effective = effective_real_key(v.key, real.method, real.key);
                auto [it, inserted] = seen.emplace(effective, rl.line);
                if (!inserted) {
                    // One message per line, however many addresses of a range repeat.
                    if (duplicates++ == 0)
                        first_duplicate = "duplicate real server " + effective.to_string() +
                                          " in this virtual service (also at line " + std::to_string(it->second) + ")";
                    continue;
                }
            }
            v.reals.push_back(std::move(real));
        }
        if (duplicates == 1) s_.diag.error(rl.line, first_duplicate);
        else if (duplicates > 1)
            s_.diag.error(rl.line, first_duplicate + ", and " + std::to_string(duplicates - 1) + " more on this line");
    }

    // Timeouts: ldirectord's ld_setup; checktimeout and negotiatetimeout are
    // each other's defaults, per virtual first, then global.
    const VirtualOverrides& o = pv.o;
    c.checktimeout = o.checktimeout     ? *o.checktimeout
                     : o.negotiatetimeout ? *o.negotiatetimeout
                     : g.checktimeout     ? *g.checktimeout
                     : g.negotiatetimeout ? *g.negotiatetimeout
                                          : 5;
    c.negotiatetimeout = o.negotiatetimeout ? *o.negotiatetimeout
                         : o.checktimeout     ? *o.checktimeout
                         : g.negotiatetimeout ? *g.negotiatetimeout
                         : g.checktimeout     ? *g.checktimeout
                                              : 30;
    c.connecttimeout = c.checktimeout;
    c.checkcount = o.checkcount.value_or(g.checkcount);
    c.failurecount = o.failurecount.value_or(g.failurecount);
    c.checkinterval = g.checkinterval;
    if (o.checkinterval) {
        if (g.fork) c.checkinterval = *o.checkinterval;
        else s_.diag.warning(o.checkinterval_line, "checkinterval in a virtual service is ignored when fork=no");
    }
    c.quiescent = o.quiescent.value_or(g.quiescent);
    v.cleanstop = o.cleanstop.value_or(g.cleanstop);
    v.fallbackcommand = o.fallbackcommand ? o.fallbackcommand : g.fallbackcommand;
    v.emailalert = o.emailalert.value_or(g.emailalert);
    v.emailalertfreq = o.emailalertfreq.value_or(g.emailalertfreq);
    v.emailalertstatus = o.emailalertstatus.value_or(g.emailalertstatus);
    v.smtp = o.smtp ? o.smtp : g.smtp;
    if (!key_ok) pv.header_ok = false;
}

void Parser::check_across_virtuals() {
    std::map<ServiceKey, int> services;
    std::map<MatchRule, std::pair<uint32_t, int>> matches;  // rule -> (fwmark, line)
    for (const auto& pv : s_.virtuals) {
        if (!pv.header_ok) continue;
        auto [it, inserted] = services.emplace(pv.v.key, pv.v.line);
        if (!inserted) {
            s_.diag.error(pv.v.line, "duplicate virtual server " + pv.v.key.to_string() + " (first at line " +
                                       std::to_string(it->second) + ")");
            continue;
        }
        for (const auto& m : pv.v.matches) {
            auto [mit, minserted] = matches.emplace(m.rule, std::make_pair(pv.v.key.fwmark, m.line));
            if (!minserted && mit->second.first != pv.v.key.fwmark)
                s_.diag.error(m.line, "these packets are already matched by firewall mark " +
                                        std::to_string(mit->second.first) + " (line " +
                                        std::to_string(mit->second.second) + ")");
        }
    }
}

}  // namespace
}  // namespace config_detail

Config parse_config_text(std::string_view text, const std::string& name_for_errors, const ParseOptions& options) {
    config_detail::Parser parser(name_for_errors, options);
    return parser.parse(text);
}

Config parse_config_file(const std::string& path, const ParseOptions& options) {
    return parse_config_text(read_config_source(path), path, options);
}

}  // namespace xvs
