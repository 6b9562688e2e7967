#include "config/directives.h"

#include <sys/stat.h>
#include <sys/utsname.h>

#include <cctype>
#include <cstdlib>
#include <unordered_map>
#include <utility>

#include "config/directive_values.h"
#include "config/specs.h"
#include "model/netmask.h"
#include "model/schedulers.h"

namespace xvs::config_detail {

namespace {

constexpr uint32_t max_persistent_timeout = 86400 * 31;  // ipvsadm's MAX_TIMEOUT

// ldirectord's $HOSTNAME: the environment, else uname's node name.
std::string local_hostname() {
    if (const char* env = std::getenv("HOSTNAME"); env && *env) return env;
    utsname u{};
    if (uname(&u) == 0) return u.nodename;
    return "localhost";
}

// ---- sections ---------------------------------------------------------------

void start_virtual(DirectiveContext& c) {
    ParseState& s = c.state;
    const Directive& d = c.d;
    if (s.virtuals.size() >= max_virtuals_per_file) {
        if (!std::exchange(s.virtuals_cap_reported, true))
            c.error("more than " + std::to_string(max_virtuals_per_file) +
                    " virtual services in one file; split the configuration");
        s.in_virtual = false;
        s.skipping_virtual = true;
        return;
    }
    s.in_virtual = true;
    PendingVirtual& pv = s.virtuals.emplace_back();
    pv.family = d.name == "virtual6" ? Family::v6 : Family::v4;
    pv.v.line = c.line;
    pv.v.written = d.value;
    if (!d.has_value || d.value.empty()) {
        c.error(d.name + " needs ADDRESS:PORT or a firewall mark");
        return;
    }
    if (is_all_digits(d.value)) {
        auto mark = parse_uint(d.value, UINT32_MAX);
        if (!mark || *mark == 0) {
            c.error("firewall mark " + d.value + " out of range 1..4294967295");
            return;
        }
        pv.is_fwmark = true;
        pv.v.key = ServiceKey::mark(static_cast<uint32_t>(*mark), pv.family);
        pv.v.check.service = CheckService::none;
        pv.header_ok = true;
        return;
    }
    if (pv.family == Family::v4 && d.value.front() == '[') {
        c.error("cannot specify an IPv6 address here, use \"virtual6\" instead");
        return;
    }
    auto hp = split_host_port(d.value);
    if (auto* e = std::get_if<std::string>(&hp)) {
        c.error("invalid address for virtual server: " + *e);
        return;
    }
    auto& host_port = std::get<HostPort>(hp);
    if (!host_port.has_port) {
        c.error("invalid address for virtual server " + quoted(d.value) + ": expected ADDRESS:PORT (or a firewall mark)");
        return;
    }
    pv.host_text = host_port.host;
    pv.port_text = host_port.port;
    pv.header_ok = true;
}

// ---- valid at both levels -----------------------------------------------------

void connecttimeout(DirectiveContext& c) {
    c.error("connecttimeout directive deprecated in favour of negotiatetimeout");
}

void checkinterval(DirectiveContext& c) {
    c.shared([&](auto& s) { s.checkinterval = c.number; });
    if (c.section) c.section->o.checkinterval_line = c.line;
}

// Globally the file's fallback for each family; in a virtual only the one of
// its family. Both are read when the file ends (the port may need the
// virtual's protocol).
void fallback(DirectiveContext& c) {
    bool v6 = c.d.name == "fallback6";
    if (!c.section) {
        (v6 ? c.state.global_fallback6 : c.state.global_fallback) = PendingLine{c.d.value, c.line};
        return;
    }
    PendingVirtual& pv = *c.section;
    if (v6 != (pv.family == Family::v6)) {
        c.error("cannot specify \"" + c.d.name + "\" here, please use \"" +
                (pv.family == Family::v6 ? "fallback6" : "fallback") + "\" instead");
        return;
    }
    pv.fallback = PendingLine{c.d.value, c.line};
}

void emailalert(DirectiveContext& c) {
    if (auto v = read_email_address(c)) c.shared([&](auto& s) { s.emailalert = *v; });
}

void emailalertstatus(DirectiveContext& c) {
    if (auto v = read_email_status(c)) c.shared([&](auto& s) { s.emailalertstatus = *v; });
}

void smtp(DirectiveContext& c) {
    if (auto v = read_smtp_server(c)) c.shared([&](auto& s) { s.smtp = *v; });
}

// ---- global only ----------------------------------------------------------------

void timeout(DirectiveContext& c) {
    c.error("timeout directive deprecated in favour of checktimeout and negotiatetimeout");
}

// ldirectord accepts the bare word, with a warning.
void supervised(DirectiveContext& c) {
    if (!c.d.has_value) {
        c.globals().supervised = true;
        c.warning("please update your config not to use a bare supervised directive");
        return;
    }
    c.globals().supervised = c.flag;
}

// IPVS's sysctls of the same names, written as the kernel takes them.
void ipvs_switch(DirectiveContext& c, bool IpvsBehaviour::*field, const char* default_text) {
    if (c.d.value == "0" || c.d.value == "1")
        c.globals().ipvs_behaviour.*field = c.d.value == "1";
    else
        c.error(c.d.name + " must be 0 or 1 (IPVS's sysctl; default " + default_text + ")");
}

void expire_nodest_conn(DirectiveContext& c) { ipvs_switch(c, &IpvsBehaviour::expire_nodest_conn, "0"); }

void expire_quiescent_template(DirectiveContext& c) {
    ipvs_switch(c, &IpvsBehaviour::expire_quiescent_template, "0");
}

void sloppy_tcp(DirectiveContext& c) { ipvs_switch(c, &IpvsBehaviour::sloppy_tcp, "0"); }

void conn_reuse_mode(DirectiveContext& c) {
    if (c.d.value.size() == 1 && c.d.value[0] >= '0' && c.d.value[0] <= '3')
        c.globals().ipvs_behaviour.conn_reuse_mode = c.d.value[0] - '0';
    else
        c.error("conn_reuse_mode must be 0, 1, 2 or 3 (IPVS's sysctl; default 1)");
}

void maintenancedir(DirectiveContext& c) {
    c.globals().maintenancedir = c.text;
    struct stat st{};
    if (stat(c.text.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        c.warning("maintenance directory " + quoted(c.text) + " does not exist");
}

void interface(DirectiveContext& c) {
    const std::string& name = c.d.value;
    bool ok = !name.empty() && name.size() < 16 && name != "." && name != "..";
    for (char ch : name)
        if (ch == '/' || ch == ':' || std::isspace(static_cast<unsigned char>(ch)) || ch == '"') ok = false;
    if (!ok) {
        c.error("invalid interface name " + quoted(name) + " (1..15 characters, no '/', ':' or spaces)");
    } else if (auto seen = c.state.interface_lines.find(name); seen != c.state.interface_lines.end()) {
        c.error("interface " + name + " listed twice (first at line " + std::to_string(seen->second) + ")");
    } else {
        c.state.interface_lines[name] = c.line;
        c.globals().interfaces.push_back(name);
    }
}

void dataplane(DirectiveContext& c) {
    GlobalConfig& g = c.globals();
    if (c.d.value == "auto") g.dataplane = DataplaneMode::automatic;
    else if (c.d.value == "xdp") g.dataplane = DataplaneMode::xdp;
    else if (c.d.value == "ipvs") g.dataplane = DataplaneMode::ipvs;
    else c.error("dataplane must be auto, xdp or ipvs");
}

void xdp_mode(DirectiveContext& c) {
    GlobalConfig& g = c.globals();
    if (c.d.value == "auto") g.xdp_mode = XdpMode::automatic;
    else if (c.d.value == "native") g.xdp_mode = XdpMode::native;
    else if (c.d.value == "generic") g.xdp_mode = XdpMode::generic;
    else c.error("xdp-mode must be native, generic or auto");
}

void metrics(DirectiveContext& c) {
    if (c.d.value == "off") {
        c.globals().metrics.reset();
        return;
    }
    auto ep = parse_endpoint(c.d.value);
    if (auto* e = std::get_if<std::string>(&ep)) c.error("metrics: " + *e);
    else c.globals().metrics = std::get<Endpoint>(ep);
}

// ---- virtual section only -----------------------------------------------------

void real(DirectiveContext& c) {
    PendingVirtual& pv = *c.section;
    bool v6 = c.d.name == "real6";
    if (v6 != (pv.family == Family::v6)) {
        c.error("cannot specify \"" + c.d.name + "\" here, please use \"" +
                (pv.family == Family::v6 ? "real6" : "real") + "\" instead");
        return;
    }
    pv.reals.push_back({c.d.value, c.line});
}

void checktype(DirectiveContext& c) {
    HealthCheckConfig& check = c.section->v.check;
    const std::string& t = c.d.value;
    if (is_all_digits(t)) {
        auto count = parse_uint(t, UINT32_MAX);
        if (!count) {
            c.error("checktype number " + t + " too large");
            return;
        }
        check.type = CheckType::combined;
        check.combined_connects = static_cast<uint32_t>(*count);
    } else if (t == "connect") check.type = CheckType::connect;
    else if (t == "negotiate") check.type = CheckType::negotiate;
    else if (t == "ping") check.type = CheckType::ping;
    else if (t == "off") check.type = CheckType::off;
    else if (t == "on") check.type = CheckType::on;
    else if (t == "external") check.type = CheckType::external;
    else if (t == "external-perl") check.type = CheckType::external_perl;
    else
        c.error("checktype must be \"connect\", \"negotiate\", \"on\", \"off\", \"ping\", "
                "\"external\", \"external-perl\" or a positive number");
}

void checkport(DirectiveContext& c) {
    auto p = parse_uint(c.d.value, 65535);
    if (!p || *p == 0) c.error("checkport must be in range 1..65535");
    else c.section->v.check.checkport = static_cast<uint16_t>(*p);
}

void scheduler(DirectiveContext& c) {
    bool ok = !c.d.value.empty();
    for (char ch : c.d.value) ok &= ch >= 'a' && ch <= 'z';
    if (!ok) c.error("invalid scheduler " + quoted(c.d.value) + ", should be only lowercase letters (a-z)");
    else c.section->v.scheduler = c.d.value;
}

void persistent(DirectiveContext& c) {
    if (auto t = read_positive(c, max_persistent_timeout)) c.section->v.persistent = t;
}

void schedflags(DirectiveContext& c) {
    std::vector<std::string> flags;
    std::string_view rest = c.d.value;
    bool ok = true;
    while (true) {
        size_t comma = rest.find(',');
        std::string flag(trim(rest.substr(0, comma)));
        if (!find_scheduler_flag(flag)) {
            c.error("invalid sched-flag " + quoted(flag) + " (" + scheduler_flag_names() + ")");
            ok = false;
        }
        flags.push_back(flag);
        if (comma == std::string_view::npos) break;
        rest = rest.substr(comma + 1);
    }
    if (ok) c.section->v.scheduler_flags = flags;
}

// IPv4: a dotted-quad mask as ldirectord requires; IPv6: a prefix length.
void netmask(DirectiveContext& c) {
    PendingVirtual& pv = *c.section;
    auto parsed = parse_netmask(c.d.value);
    auto* mask = std::get_if<ParsedNetmask>(&parsed);
    if (pv.family == Family::v6) {
        if (!mask || mask->form != NetmaskForm::prefix || mask->prefix_len == 0) {
            c.error("invalid netmask: a prefix length between 1 and 128 is required");
            return;
        }
    } else if (!mask || mask->form != NetmaskForm::dotted) {
        if (auto* e = std::get_if<NetmaskError>(&parsed); e && *e == NetmaskError::not_contiguous)
            c.error("invalid netmask " + c.d.value + ": the mask bits must be contiguous (e.g. 255.255.255.0)");
        else
            c.error("invalid netmask: dotted quad notation is required");
        return;
    }
    pv.v.persistence.prefix_len = mask->prefix_len;
    pv.v.netmask = c.d.value;
    pv.netmask_line = c.line;
}

void protocol(DirectiveContext& c) {
    PendingVirtual& pv = *c.section;
    if (pv.is_fwmark) {
        if (c.d.value != "fwm") c.error("protocol must be fwm if the virtual service is a fwmark (a number)");
    } else if (c.d.value == "tcp") {
        pv.protocol_directive = Protocol::tcp;
    } else if (c.d.value == "udp") {
        pv.protocol_directive = Protocol::udp;
    } else {
        c.error("protocol must be tcp or udp if the virtual service is an address and port");
    }
}

// pe=sip: xvs's own (ldirectord has no persistence engine directive), the
// value of ipvsadm --pe. Only the engines IPVS ships are accepted.
void pe(DirectiveContext& c) {
    if (c.d.value != pe_sip) {
        c.error("invalid pe " + quoted(c.d.value) + ", the only persistence engine is sip");
        return;
    }
    c.section->v.persistence.engine = c.d.value;
    c.section->pe_line = c.line;
}

void ops(DirectiveContext& c) {
    c.section->v.ops = c.flag;
    c.section->ops_line = c.line;
}

void service(DirectiveContext& c) {
    HealthCheckConfig& check = c.section->v.check;
    auto s = check_service_from_string(c.d.value);
    if (!s) {
        c.error("service must be dns, ftp, http, https, http_proxy, imap, imaps, ldap, ldaps, "
                "mysql, nntp, none, oracle, pop, pops, radius, pgsql, simpletcp, sip, smtp or submission");
        return;
    }
    check.service = *s;
    c.section->service_set = true;
    // ldirectord fills these in when service= is read, if still empty.
    if (*s == CheckService::ftp && check.login.empty()) check.login = "anonymous";
    else if (*s == CheckService::sip && check.login.empty()) check.login = "ldirectord@" + local_hostname();
    if (*s == CheckService::ftp && check.passwd.empty()) check.passwd = "ldirectord@" + local_hostname();
}

void httpmethod(DirectiveContext& c) {
    std::string upper = c.d.value;
    for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (upper != "GET" && upper != "HEAD") c.error("httpmethod must be GET or HEAD");
    else c.section->v.check.httpmethod = upper;
}

void match(DirectiveContext& c) {
    PendingVirtual& pv = *c.section;
    if (!pv.is_fwmark) {
        c.error("match= is only valid in a firewall-mark virtual service (virtual=MARK)");
        return;
    }
    auto rule = parse_match(c.d.value, pv.family);
    if (auto* e = std::get_if<std::string>(&rule)) {
        c.error(*e);
        return;
    }
    for (const auto& m : pv.v.matches)
        if (m.rule == std::get<MatchRule>(rule)) {
            c.error("duplicate match " + quoted(c.d.value) + " (also at line " + std::to_string(m.line) + ")");
            return;
        }
    pv.v.matches.push_back({std::get<MatchRule>(rule), c.line});
}

// ---- the table ----------------------------------------------------------------

using enum Where;
using enum ValueKind;

constexpr std::string_view checkcount_deprecated =
    "checkcount option is deprecated and slated for removal, please see 'failurecount'";

// clang-format off
constexpr DirectiveSpec table[] = {
    // Sections.
    {"virtual",  global, section, start_virtual, true},
    {"virtual6", global, section, start_virtual, true},

    // Valid at both levels: the global value, or the virtual's override of it.
    {"checktimeout",     both, positive, [](DirectiveContext& c) { c.shared([&](auto& s) { s.checktimeout = c.number; }); }},
    {"negotiatetimeout", both, positive, [](DirectiveContext& c) { c.shared([&](auto& s) { s.negotiatetimeout = c.number; }); }},
    {"connecttimeout",   both, refused, connecttimeout},
    {"checkinterval",    both, positive, checkinterval},
    {"checkcount",       both, positive, [](DirectiveContext& c) { c.shared([&](auto& s) { s.checkcount = c.number; }); },
                         false, checkcount_deprecated},
    {"failurecount",     both, positive, [](DirectiveContext& c) { c.shared([&](auto& s) { s.failurecount = c.number; }); }},
    {"fallback",         both, special, fallback},
    {"fallback6",        both, special, fallback},
    {"fallbackcommand",  both, text, [](DirectiveContext& c) { c.shared([&](auto& s) { s.fallbackcommand = c.text; }); }},
    {"quiescent",        both, yes_no, [](DirectiveContext& c) { c.shared([&](auto& s) { s.quiescent = c.flag; }); }},
    {"cleanstop",        both, yes_no, [](DirectiveContext& c) { c.shared([&](auto& s) { s.cleanstop = c.flag; }); }},
    {"emailalert",       both, special, emailalert},
    {"emailalertfreq",   both, non_negative, [](DirectiveContext& c) { c.shared([&](auto& s) { s.emailalertfreq = c.number; }); }},
    {"emailalertstatus", both, special, emailalertstatus},
    {"smtp",             both, special, smtp},

    // Global only.
    {"timeout",        global, refused, timeout},
    {"autoreload",     global, yes_no, [](DirectiveContext& c) { c.globals().autoreload = c.flag; }},
    {"callback",       global, quoted_string, [](DirectiveContext& c) { c.globals().callback = c.text; }},
    {"logfile",        global, quoted_string, [](DirectiveContext& c) { c.globals().logfile = c.text; }},
    {"execute",        global, text, [](DirectiveContext& c) { c.globals().execute.push_back({c.text, c.line}); }},
    {"fork",           global, yes_no, [](DirectiveContext& c) { c.globals().fork = c.flag; }},
    {"supervised",     global, yes_no, supervised, true},
    {"readdquiescent", global, yes_no, [](DirectiveContext& c) { c.globals().readdquiescent = c.flag; }},
    // Quotes are kept, as documented.
    {"emailalertfrom", global, raw_text, [](DirectiveContext& c) { c.globals().emailalertfrom = c.text; }},
    {"maintenancedir", global, raw_text, maintenancedir},
    {"interface",      global, special, interface},
    {"dataplane",      global, special, dataplane},
    {"xdp-mode",       global, special, xdp_mode},
    {"metrics",        global, special, metrics},
    {"allow-empty",    global, yes_no, [](DirectiveContext& c) { c.globals().allow_empty = c.flag; }},
    {"expire_nodest_conn", global, special, expire_nodest_conn},
    {"expire_quiescent_template", global, special, expire_quiescent_template},
    {"sloppy_tcp", global, special, sloppy_tcp},
    {"conn_reuse_mode", global, special, conn_reuse_mode},

    // Virtual section only.
    {"real",         virtual_section, special, real},
    {"real6",        virtual_section, special, real},
    {"request",      virtual_section, quoted_string, [](DirectiveContext& c) {
                         c.section->v.check.request = c.text.front() == '/' ? c.text : "/" + c.text; }},
    {"receive",      virtual_section, quoted_string, [](DirectiveContext& c) { c.section->v.check.receive = c.text; }},
    {"checktype",    virtual_section, special, checktype},
    {"checkcommand", virtual_section, text, [](DirectiveContext& c) { c.section->v.check.checkcommand = c.text; }},
    {"checkport",    virtual_section, special, checkport},
    {"login",        virtual_section, quoted_string, [](DirectiveContext& c) { c.section->v.check.login = c.text; }},
    {"passwd",       virtual_section, quoted_string, [](DirectiveContext& c) { c.section->v.check.passwd = c.text; }},
    {"database",     virtual_section, quoted_string, [](DirectiveContext& c) { c.section->v.check.database = c.text; }},
    {"secret",       virtual_section, quoted_string, [](DirectiveContext& c) { c.section->v.check.secret = c.text; }},
    {"load",         virtual_section, quoted_string, [](DirectiveContext& c) { c.section->v.check.load = c.text; }},
    {"scheduler",    virtual_section, special, scheduler},
    {"persistent",   virtual_section, special, persistent},
    {"schedflags",   virtual_section, special, schedflags},
    {"netmask",      virtual_section, special, netmask},
    {"protocol",     virtual_section, special, protocol},
    {"ops",          virtual_section, yes_no, ops},
    {"pe",           virtual_section, special, pe},
    {"service",      virtual_section, special, service},
    {"httpmethod",   virtual_section, special, httpmethod},
    {"virtualhost",  virtual_section, special, [](DirectiveContext& c) {
                         c.section->v.check.virtualhost = unquote_optional(c.d.value); }},
    {"monitorfile",  virtual_section, text, [](DirectiveContext& c) { c.section->v.monitorfile = c.text; }},
    {"servicename",  virtual_section, special, [](DirectiveContext& c) { c.section->v.servicename = c.d.value; }},
    {"comment",      virtual_section, special, [](DirectiveContext& c) { c.section->v.comment = c.d.value; }},
    {"match",        virtual_section, special, match},
};
// clang-format on

bool allowed(Where where, Where here) { return (static_cast<uint8_t>(where) & static_cast<uint8_t>(here)) != 0; }

// Reads c.d.value as `kind` into c; false (the error reported) when it does not read.
bool read_value(DirectiveContext& c, ValueKind kind) {
    switch (kind) {
        case yes_no: {
            auto v = read_yes_no(c);
            if (v) c.flag = *v;
            return v.has_value();
        }
        case positive:
        case non_negative: {
            auto v = kind == positive ? read_positive(c) : read_non_negative(c);
            if (v) c.number = *v;
            return v.has_value();
        }
        case quoted_string:
        case text:
        case raw_text: {
            auto v = kind == quoted_string ? read_quoted(c) : read_text(c, kind == text);
            if (v) c.text = std::move(*v);
            return v.has_value();
        }
        case special:
        case refused:
        case section:
            return true;
    }
    return true;
}

}  // namespace

std::span<const DirectiveSpec> directive_table() { return table; }

const DirectiveSpec* find_directive(std::string_view name) {
    static const auto by_name = [] {
        std::unordered_map<std::string_view, const DirectiveSpec*> map;
        for (const auto& spec : table) map.emplace(spec.name, &spec);
        return map;
    }();
    auto it = by_name.find(name);
    return it == by_name.end() ? nullptr : it->second;
}

void apply_directive(ParseState& state, PendingVirtual* section, const Directive& d, int line) {
    const DirectiveSpec* spec = find_directive(d.name);
    if (!spec) {
        state.diag.error(line, "unknown directive " + quoted(d.name));
        return;
    }
    bool allowed_here = allowed(spec->where, section ? virtual_section : global);
    // A bare word is judged before the place: "real" alone at the top level
    // needs a value first.
    if (!d.has_value && !(spec->bare_word && allowed_here)) {
        state.diag.error(line, d.name + " needs a value: " + d.name + "=...");
        return;
    }
    if (!allowed_here) {
        if (section)
            state.diag.error(line, quoted(d.name) + " is a global directive and cannot appear inside a virtual section");
        else
            state.diag.error(line, quoted(d.name) + " is only valid inside a virtual section (indent it under a virtual= line)");
        return;
    }
    DirectiveContext c{state, section, d, line};
    if (!spec->warning.empty()) c.warning(std::string(spec->warning));
    if (d.has_value && !read_value(c, spec->kind)) return;
    spec->handler(c);
}

}  // namespace xvs::config_detail
