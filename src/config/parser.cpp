// The ldirectord.cf reader: lines -> sections -> directives, then each virtual
// is resolved against the globals once the whole file is read (ldirectord
// applies global settings wherever they appear in the file).
#include <sys/stat.h>
#include <sys/utsname.h>

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <utility>

#include "config/config.h"
#include "config/diagnostics.h"
#include "config/resolve.h"
#include "config/source_file.h"
#include "config/specs.h"
#include "config/text.h"
#include "model/build.h"

namespace xvs {
namespace config_detail {
namespace {

constexpr uint32_t max_persistent_timeout = 86400 * 31;  // ipvsadm's MAX_TIMEOUT
// Far above any real director (the benchmark target is 1,000 x 100), low
// enough that a runaway range cannot exhaust memory.
constexpr size_t max_reals_per_file = 1000000;
// A virtual section costs a few KB while the file is read: without a cap, a
// file within the size limit of only virtual= lines took gigabytes.
constexpr size_t max_virtuals_per_file = 65536;

const std::set<std::string> virtual_only_directives = {
    "real", "real6", "request", "receive", "checktype", "checkcommand", "checkport", "login",
    "passwd", "database", "secret", "load", "scheduler", "persistent", "schedflags", "netmask",
    "protocol", "ops", "service", "httpmethod", "virtualhost", "monitorfile", "servicename",
    "comment", "match"};
const std::set<std::string> global_only_directives = {
    "autoreload", "callback", "logfile", "execute", "fork", "supervised", "readdquiescent",
    "emailalertfrom", "maintenancedir", "timeout", "interface", "dataplane", "xdp-mode", "metrics",
    "allow-empty", "virtual", "virtual6"};
// Valid in both sections (a virtual's value overrides the global one).
const std::set<std::string> shared_directives = {
    "checktimeout", "negotiatetimeout", "connecttimeout", "checkinterval", "checkcount", "failurecount",
    "fallback", "fallback6", "fallbackcommand", "quiescent", "cleanstop", "emailalert", "emailalertfreq",
    "emailalertstatus", "smtp"};
bool is_known_directive(const std::string& name) {
    return virtual_only_directives.count(name) || global_only_directives.count(name) ||
           shared_directives.count(name);
}
const std::set<std::string> known_schedulers = {"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh",
                                                "sed", "nq", "fo", "ovf", "mh", "twos"};
const std::set<std::string> known_sched_flags = {"sh-fallback", "sh-port", "mh-fallback", "mh-port",
                                                 "flag-1", "flag-2", "flag-3"};

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

// ldirectord's $HOSTNAME: the environment, else uname's node name.
std::string local_hostname() {
    if (const char* env = std::getenv("HOSTNAME"); env && *env) return env;
    utsname u{};
    if (uname(&u) == 0) return u.nodename;
    return "localhost";
}

// Per-virtual values that override a global one; resolved in finish_virtual().
struct VirtualOverrides {
    std::optional<uint32_t> checktimeout, negotiatetimeout, checkinterval, checkcount, failurecount;
    int checkinterval_line = 0;
    std::optional<bool> quiescent, cleanstop;
    std::optional<std::string> emailalert, smtp, fallbackcommand;
    std::optional<uint32_t> emailalertfreq;
    std::optional<uint8_t> emailalertstatus;
};

struct PendingVirtual {
    VirtualConfig v;
    bool header_ok = false;
    bool is_fwmark = false;
    Family family = Family::v4;
    std::string host_text, port_text;
    std::optional<Protocol> protocol_directive;
    struct Line {
        std::string value;
        int line;
    };
    std::vector<Line> reals;
    std::optional<Line> fallback;
    VirtualOverrides o;
    bool service_set = false;
    int netmask_line = 0;
    int ops_line = 0;
};

class Parser {
public:
    Parser(std::string source, const ParseOptions& options)
        : diag_(source), resolver_(options) {
        config_.source = std::move(source);
    }

    Config parse(std::string_view text);

private:
    void line(std::string_view raw, int number);
    void start_virtual(const Directive& d, int line);
    void global_directive(const Directive& d, int line);
    void virtual_directive(PendingVirtual& pv, const Directive& d, int line);
    void finish_virtual(PendingVirtual& pv);
    void check_across_virtuals();

    // Value helpers: each reports its own error and returns nullopt.
    std::optional<bool> yes_no(const Directive& d, int line);
    std::optional<uint32_t> positive(const Directive& d, int line, uint32_t max = UINT32_MAX);
    std::optional<uint32_t> non_negative(const Directive& d, int line);
    std::optional<std::string> required_quoted(const Directive& d, int line, bool allow_empty = false);
    std::optional<std::string> non_empty(const Directive& d, int line, bool strip_quotes);
    std::optional<std::string> email_address(const Directive& d, int line);
    std::optional<uint8_t> email_status(const Directive& d, int line);
    std::optional<std::string> smtp_server(const Directive& d, int line);

    Diagnostics diag_;
    Resolver resolver_;
    Config config_;
    std::vector<PendingVirtual> virtuals_;
    bool in_virtual_ = false;
    bool skipping_virtual_ = false;  // a section past max_virtuals_per_file
    bool virtuals_cap_reported_ = false;
    std::optional<PendingVirtual::Line> global_fallback_, global_fallback6_;
    std::map<std::string, int> interface_lines_;
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
    if (global_fallback_) {
        auto fb = parse_fallback(global_fallback_->value, global_fallback_->line, Family::v4, nullptr, resolver_);
        if (auto* e = std::get_if<std::string>(&fb)) diag_.error(global_fallback_->line, *e);
        else config_.globals.fallback = std::get<FallbackConfig>(fb);
    }
    if (global_fallback6_) {
        auto fb = parse_fallback(global_fallback6_->value, global_fallback6_->line, Family::v6, nullptr, resolver_);
        if (auto* e = std::get_if<std::string>(&fb)) diag_.error(global_fallback6_->line, *e);
        else config_.globals.fallback6 = std::get<FallbackConfig>(fb);
    }
    for (auto& pv : virtuals_) finish_virtual(pv);
    check_across_virtuals();

    if (diag_.has_errors()) throw ConfigError(diag_.errors(), config_.source, diag_.error_count());
    for (auto& pv : virtuals_) config_.virtuals.push_back(std::move(pv.v));
    config_.warnings = diag_.warnings();
    return std::move(config_);
}

void Parser::line(std::string_view raw, int number) {
    std::string_view trimmed = trim(raw);
    if (trimmed.empty() || trimmed.front() == '#') return;  // blank and comment lines never end a section
    std::string_view content = trim(strip_comment(raw));
    if (content.empty()) return;
    size_t indent = indentation(raw);
    if (indent > 0 && indent < 4) {
        diag_.error(number, "line indented by fewer than 4 columns: indent the lines of a virtual "
                            "section with a tab or at least 4 spaces, start global lines in column 1");
        return;
    }
    auto d = split_directive(content);
    if (!d) {
        diag_.error(number, "expected DIRECTIVE=VALUE, got " + quoted(content));
        return;
    }
    if (indent == 0) {
        skipping_virtual_ = false;
        if (d->name == "virtual" || d->name == "virtual6") {
            start_virtual(*d, number);
        } else {
            in_virtual_ = false;
            global_directive(*d, number);
        }
        return;
    }
    if (skipping_virtual_) return;  // the file is refused already; one error says why
    if (!in_virtual_) {
        diag_.error(number, "indented line outside a virtual section (\"" + d->name +
                                "\"): global directives start in column 1, virtual-section lines follow a virtual= line");
        return;
    }
    if (d->name == "virtual" || d->name == "virtual6") {
        diag_.error(number, d->name + "= must start in column 1 (it begins a new virtual section)");
        return;
    }
    virtual_directive(virtuals_.back(), *d, number);
}

void Parser::start_virtual(const Directive& d, int line) {
    if (virtuals_.size() >= max_virtuals_per_file) {
        if (!std::exchange(virtuals_cap_reported_, true))
            diag_.error(line, "more than " + std::to_string(max_virtuals_per_file) +
                                  " virtual services in one file; split the configuration");
        in_virtual_ = false;
        skipping_virtual_ = true;
        return;
    }
    in_virtual_ = true;
    virtuals_.emplace_back();
    PendingVirtual& pv = virtuals_.back();
    pv.family = d.name == "virtual6" ? Family::v6 : Family::v4;
    pv.v.line = line;
    pv.v.written = d.value;
    if (!d.has_value || d.value.empty()) {
        diag_.error(line, d.name + " needs ADDRESS:PORT or a firewall mark");
        return;
    }
    if (is_all_digits(d.value)) {
        auto mark = parse_uint(d.value, UINT32_MAX);
        if (!mark || *mark == 0) {
            diag_.error(line, "firewall mark " + d.value + " out of range 1..4294967295");
            return;
        }
        pv.is_fwmark = true;
        pv.v.key = ServiceKey::mark(static_cast<uint32_t>(*mark), pv.family);
        pv.v.check.service = CheckService::none;
        pv.header_ok = true;
        return;
    }
    if (pv.family == Family::v4 && d.value.front() == '[') {
        diag_.error(line, "cannot specify an IPv6 address here, use \"virtual6\" instead");
        return;
    }
    auto hp = split_host_port(d.value);
    if (auto* e = std::get_if<std::string>(&hp)) {
        diag_.error(line, "invalid address for virtual server: " + *e);
        return;
    }
    auto& host_port = std::get<HostPort>(hp);
    if (!host_port.has_port) {
        diag_.error(line, "invalid address for virtual server " + quoted(d.value) +
                              ": expected ADDRESS:PORT (or a firewall mark)");
        return;
    }
    pv.host_text = host_port.host;
    pv.port_text = host_port.port;
    pv.header_ok = true;
}

std::optional<bool> Parser::yes_no(const Directive& d, int line) {
    if (d.value == "yes") return true;
    if (d.value == "no") return false;
    diag_.error(line, d.name + " must be 'yes' or 'no'");
    return std::nullopt;
}

std::optional<uint32_t> Parser::positive(const Directive& d, int line, uint32_t max) {
    auto v = parse_uint(d.value, max);
    if (!v || *v == 0) {
        diag_.error(line, "invalid " + d.name + " " + quoted(d.value) + ": a whole number 1.." +
                              std::to_string(max) + " is required");
        return std::nullopt;
    }
    return static_cast<uint32_t>(*v);
}

std::optional<uint32_t> Parser::non_negative(const Directive& d, int line) {
    auto v = parse_uint(d.value, UINT32_MAX);
    if (!v) {
        diag_.error(line, "invalid " + d.name + " " + quoted(d.value) + ": a whole number is required");
        return std::nullopt;
    }
    return static_cast<uint32_t>(*v);
}

std::optional<std::string> Parser::required_quoted(const Directive& d, int line, bool allow_empty) {
    auto inner = unquote(d.value);
    if (!inner) {
        diag_.error(line, d.name + " must be in double quotes: " + d.name + "=\"...\"");
        return std::nullopt;
    }
    if (inner->empty() && !allow_empty) {
        diag_.error(line, d.name + " is empty");
        return std::nullopt;
    }
    return inner;
}

std::optional<std::string> Parser::non_empty(const Directive& d, int line, bool strip_quotes) {
    std::string value = strip_quotes ? unquote_optional(d.value) : d.value;
    if (value.empty()) {
        diag_.error(line, d.name + " needs a value");
        return std::nullopt;
    }
    return value;
}

std::optional<std::string> Parser::email_address(const Directive& d, int line) {
    std::string value = unquote_optional(d.value);
    if (value.empty()) {
        diag_.error(line, "no email address specified");
        return std::nullopt;
    }
    return value;
}

std::optional<uint8_t> Parser::email_status(const Directive& d, int line) {
    // ldirectord's parse_emailalertstatus: a comma list; "none" stands alone.
    std::vector<std::string> items;
    std::string_view rest = d.value;
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
            diag_.error(line, "invalid email alert status " + quoted(i) +
                                  " (all, none, starting, running, stopping, reloading)");
            ok = false;
            continue;
        }
        if (has_none) {
            diag_.error(line, "invalid email alert status: " + quoted(i) + " specified with \"none\"");
            ok = false;
        }
    }
    if (!ok) return std::nullopt;
    return status;
}

std::optional<std::string> Parser::smtp_server(const Directive& d, int line) {
    bool ok = !d.value.empty();
    for (char c : d.value)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '+' || c == '-'))
            ok = false;
    if (!ok) {
        diag_.error(line, "invalid SMTP server address " + quoted(d.value));
        return std::nullopt;
    }
    return d.value;
}

void Parser::global_directive(const Directive& d, int line) {
    GlobalConfig& g = config_.globals;
    const std::string& n = d.name;
    if (!d.has_value) {
        if (n == "supervised") {  // ldirectord accepts the bare word, with a warning
            g.supervised = true;
            diag_.warning(line, "please update your config not to use a bare supervised directive");
        } else if (is_known_directive(n)) {
            diag_.error(line, n + " needs a value: " + n + "=...");
        } else {
            diag_.error(line, "unknown directive " + quoted(n));
        }
        return;
    }
    if (n == "checktimeout") {
        if (auto v = positive(d, line)) g.checktimeout = v;
    } else if (n == "negotiatetimeout") {
        if (auto v = positive(d, line)) g.negotiatetimeout = v;
    } else if (n == "connecttimeout") {
        diag_.error(line, "connecttimeout directive deprecated in favour of negotiatetimeout");
    } else if (n == "timeout") {
        diag_.error(line, "timeout directive deprecated in favour of checktimeout and negotiatetimeout");
    } else if (n == "checkinterval") {
        if (auto v = positive(d, line)) g.checkinterval = *v;
    } else if (n == "checkcount") {
        if (auto v = positive(d, line)) g.checkcount = *v;
        diag_.warning(line, "checkcount option is deprecated and slated for removal, please see 'failurecount'");
    } else if (n == "failurecount") {
        if (auto v = positive(d, line)) g.failurecount = *v;
    } else if (n == "fallback") {
        global_fallback_ = PendingVirtual::Line{d.value, line};
    } else if (n == "fallback6") {
        global_fallback6_ = PendingVirtual::Line{d.value, line};
    } else if (n == "fallbackcommand") {
        if (auto v = non_empty(d, line, true)) g.fallbackcommand = v;
    } else if (n == "autoreload") {
        if (auto v = yes_no(d, line)) g.autoreload = *v;
    } else if (n == "allow-empty") {
        if (auto v = yes_no(d, line)) g.allow_empty = *v;
    } else if (n == "callback") {
        if (auto v = required_quoted(d, line)) g.callback = v;
    } else if (n == "logfile") {
        if (auto v = required_quoted(d, line)) g.logfile = *v;
    } else if (n == "execute") {
        if (auto v = non_empty(d, line, true)) g.execute.push_back(*v);
    } else if (n == "fork") {
        if (auto v = yes_no(d, line)) g.fork = *v;
    } else if (n == "supervised") {
        if (auto v = yes_no(d, line)) g.supervised = *v;
    } else if (n == "quiescent") {
        if (auto v = yes_no(d, line)) g.quiescent = *v;
    } else if (n == "readdquiescent") {
        if (auto v = yes_no(d, line)) g.readdquiescent = *v;
    } else if (n == "cleanstop") {
        if (auto v = yes_no(d, line)) g.cleanstop = *v;
    } else if (n == "emailalert") {
        if (auto v = email_address(d, line)) g.emailalert = *v;
    } else if (n == "emailalertfreq") {
        if (auto v = non_negative(d, line)) g.emailalertfreq = *v;
    } else if (n == "emailalertstatus") {
        if (auto v = email_status(d, line)) g.emailalertstatus = *v;
    } else if (n == "emailalertfrom") {
        if (auto v = non_empty(d, line, false)) g.emailalertfrom = v;  // quotes are kept, as documented
    } else if (n == "smtp") {
        if (auto v = smtp_server(d, line)) g.smtp = v;
    } else if (n == "maintenancedir") {
        if (auto v = non_empty(d, line, false)) {
            g.maintenancedir = v;
            struct stat st{};
            if (stat(v->c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
                diag_.warning(line, "maintenance directory " + quoted(*v) + " does not exist");
        }
    } else if (n == "interface") {
        const std::string& name = d.value;
        bool ok = !name.empty() && name.size() < 16 && name != "." && name != "..";
        for (char c : name)
            if (c == '/' || c == ':' || std::isspace(static_cast<unsigned char>(c)) || c == '"') ok = false;
        if (!ok) {
            diag_.error(line, "invalid interface name " + quoted(name) + " (1..15 characters, no '/', ':' or spaces)");
        } else if (auto seen = interface_lines_.find(name); seen != interface_lines_.end()) {
            diag_.error(line, "interface " + name + " listed twice (first at line " + std::to_string(seen->second) + ")");
        } else {
            interface_lines_[name] = line;
            g.interfaces.push_back(name);
        }
    } else if (n == "dataplane") {
        if (d.value == "auto") g.dataplane = DataplaneMode::automatic;
        else if (d.value == "xdp") g.dataplane = DataplaneMode::xdp;
        else if (d.value == "ipvs") g.dataplane = DataplaneMode::ipvs;
        else diag_.error(line, "dataplane must be auto, xdp or ipvs");
    } else if (n == "xdp-mode") {
        if (d.value == "auto") g.xdp_mode = XdpMode::automatic;
        else if (d.value == "native") g.xdp_mode = XdpMode::native;
        else if (d.value == "generic") g.xdp_mode = XdpMode::generic;
        else diag_.error(line, "xdp-mode must be native, generic or auto");
    } else if (n == "metrics") {
        if (d.value == "off") {
            g.metrics.reset();
        } else {
            auto ep = parse_endpoint(d.value);
            if (auto* e = std::get_if<std::string>(&ep)) diag_.error(line, "metrics: " + *e);
            else g.metrics = std::get<Endpoint>(ep);
        }
    } else if (virtual_only_directives.count(n)) {
        diag_.error(line, quoted(n) + " is only valid inside a virtual section (indent it under a virtual= line)");
    } else {
        diag_.error(line, "unknown directive " + quoted(n));
    }
}

void Parser::virtual_directive(PendingVirtual& pv, const Directive& d, int line) {
    VirtualConfig& v = pv.v;
    HealthCheckConfig& c = v.check;
    VirtualOverrides& o = pv.o;
    const std::string& n = d.name;
    if (!d.has_value) {
        if (is_known_directive(n))
            diag_.error(line, n + " needs a value: " + n + "=...");
        else
            diag_.error(line, "unknown directive " + quoted(n));
        return;
    }
    if (n == "real" || n == "real6") {
        bool v6 = n == "real6";
        if (v6 != (pv.family == Family::v6)) {
            diag_.error(line, std::string("cannot specify \"") + n + "\" here, please use \"" +
                                  (pv.family == Family::v6 ? "real6" : "real") + "\" instead");
            return;
        }
        pv.reals.push_back({d.value, line});
    } else if (n == "request") {
        if (auto r = required_quoted(d, line)) c.request = r->front() == '/' ? *r : "/" + *r;
    } else if (n == "receive") {
        if (auto r = required_quoted(d, line)) c.receive = *r;
    } else if (n == "checktype") {
        const std::string& t = d.value;
        if (is_all_digits(t)) {
            auto count = parse_uint(t, UINT32_MAX);
            if (!count) {
                diag_.error(line, "checktype number " + t + " too large");
                return;
            }
            c.type = CheckType::combined;
            c.combined_connects = static_cast<uint32_t>(*count);
        } else if (t == "connect") c.type = CheckType::connect;
        else if (t == "negotiate") c.type = CheckType::negotiate;
        else if (t == "ping") c.type = CheckType::ping;
        else if (t == "off") c.type = CheckType::off;
        else if (t == "on") c.type = CheckType::on;
        else if (t == "external") c.type = CheckType::external;
        else if (t == "external-perl") c.type = CheckType::external_perl;
        else
            diag_.error(line, "checktype must be \"connect\", \"negotiate\", \"on\", \"off\", \"ping\", "
                              "\"external\", \"external-perl\" or a positive number");
    } else if (n == "checkcommand") {
        if (auto v2 = non_empty(d, line, true)) c.checkcommand = *v2;
    } else if (n == "checktimeout") {
        if (auto t = positive(d, line)) o.checktimeout = t;
    } else if (n == "connecttimeout") {
        diag_.error(line, "connecttimeout directive deprecated in favour of negotiatetimeout");
    } else if (n == "negotiatetimeout") {
        if (auto t = positive(d, line)) o.negotiatetimeout = t;
    } else if (n == "checkcount") {
        if (auto t = positive(d, line)) o.checkcount = t;
        diag_.warning(line, "checkcount option is deprecated and slated for removal, please see 'failurecount'");
    } else if (n == "failurecount") {
        if (auto t = positive(d, line)) o.failurecount = t;
    } else if (n == "checkinterval") {
        if (auto t = positive(d, line)) {
            o.checkinterval = t;
            o.checkinterval_line = line;
        }
    } else if (n == "checkport") {
        auto p = parse_uint(d.value, 65535);
        if (!p || *p == 0) diag_.error(line, "checkport must be in range 1..65535");
        else c.checkport = static_cast<uint16_t>(*p);
    } else if (n == "login") {
        if (auto s = required_quoted(d, line)) c.login = *s;
    } else if (n == "passwd") {
        if (auto s = required_quoted(d, line)) c.passwd = *s;
    } else if (n == "database") {
        if (auto s = required_quoted(d, line)) c.database = *s;
    } else if (n == "secret") {
        if (auto s = required_quoted(d, line)) c.secret = *s;
    } else if (n == "load") {
        if (auto s = required_quoted(d, line)) c.load = *s;
    } else if (n == "scheduler") {
        bool ok = !d.value.empty();
        for (char ch : d.value) ok &= ch >= 'a' && ch <= 'z';
        if (!ok) diag_.error(line, "invalid scheduler " + quoted(d.value) + ", should be only lowercase letters (a-z)");
        else v.scheduler = d.value;
    } else if (n == "persistent") {
        if (auto t = positive(d, line, max_persistent_timeout)) v.persistent = t;
    } else if (n == "schedflags") {
        std::vector<std::string> flags;
        std::string_view rest = d.value;
        bool ok = true;
        while (true) {
            size_t comma = rest.find(',');
            std::string flag(trim(rest.substr(0, comma)));
            if (!known_sched_flags.count(flag)) {
                diag_.error(line, "invalid sched-flag " + quoted(flag) +
                                      " (sh-fallback, sh-port, mh-fallback, mh-port, flag-1, flag-2, flag-3)");
                ok = false;
            }
            flags.push_back(flag);
            if (comma == std::string_view::npos) break;
            rest = rest.substr(comma + 1);
        }
        if (ok) v.scheduler_flags = flags;
    } else if (n == "netmask") {
        if (pv.family == Family::v6) {
            auto prefix = parse_uint(d.value, 128);
            if (!prefix || *prefix == 0) {
                diag_.error(line, "invalid netmask: a prefix length between 1 and 128 is required");
                return;
            }
            v.persistence.prefix_len = static_cast<uint32_t>(*prefix);
        } else {
            auto mask = IpAddress::parse(d.value);
            if (!mask || mask->is_v6() || d.value.find_first_not_of("0123456789.") != std::string::npos) {
                diag_.error(line, "invalid netmask: dotted quad notation is required");
                return;
            }
            uint32_t m = mask->v4_host_order();
            uint32_t prefix = 0;
            while (prefix < 32 && (m & (0x80000000u >> prefix))) ++prefix;
            if (prefix < 32 && (m << prefix) != 0) {
                diag_.error(line, "invalid netmask " + d.value + ": the mask bits must be contiguous (e.g. 255.255.255.0)");
                return;
            }
            v.persistence.prefix_len = prefix;
        }
        v.netmask = d.value;
        pv.netmask_line = line;
    } else if (n == "protocol") {
        if (pv.is_fwmark) {
            if (d.value != "fwm")
                diag_.error(line, "protocol must be fwm if the virtual service is a fwmark (a number)");
        } else if (d.value == "tcp") {
            pv.protocol_directive = Protocol::tcp;
        } else if (d.value == "udp") {
            pv.protocol_directive = Protocol::udp;
        } else {
            diag_.error(line, "protocol must be tcp or udp if the virtual service is an address and port");
        }
    } else if (n == "ops") {
        if (auto b = yes_no(d, line)) {
            v.ops = *b;
            pv.ops_line = line;
        }
    } else if (n == "service") {
        auto s = check_service_from_string(d.value);
        if (!s) {
            diag_.error(line, "service must be dns, ftp, http, https, http_proxy, imap, imaps, ldap, ldaps, "
                              "mysql, nntp, none, oracle, pop, pops, radius, pgsql, simpletcp, sip, smtp or submission");
            return;
        }
        c.service = *s;
        pv.service_set = true;
        // ldirectord fills these in when service= is read, if still empty.
        if (*s == CheckService::ftp && c.login.empty()) c.login = "anonymous";
        else if (*s == CheckService::sip && c.login.empty()) c.login = "ldirectord@" + local_hostname();
        if (*s == CheckService::ftp && c.passwd.empty()) c.passwd = "ldirectord@" + local_hostname();
    } else if (n == "httpmethod") {
        std::string upper = d.value;
        for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        if (upper != "GET" && upper != "HEAD") diag_.error(line, "httpmethod must be GET or HEAD");
        else c.httpmethod = upper;
    } else if (n == "virtualhost") {
        c.virtualhost = unquote_optional(d.value);
    } else if (n == "fallback" || n == "fallback6") {
        bool v6 = n == "fallback6";
        if (v6 != (pv.family == Family::v6)) {
            diag_.error(line, std::string("cannot specify \"") + n + "\" here, please use \"" +
                                  (pv.family == Family::v6 ? "fallback6" : "fallback") + "\" instead");
            return;
        }
        pv.fallback = PendingVirtual::Line{d.value, line};
    } else if (n == "fallbackcommand") {
        if (auto s = non_empty(d, line, true)) o.fallbackcommand = s;
    } else if (n == "quiescent") {
        if (auto b = yes_no(d, line)) o.quiescent = b;
    } else if (n == "cleanstop") {
        if (auto b = yes_no(d, line)) o.cleanstop = b;
    } else if (n == "emailalert") {
        if (auto s = email_address(d, line)) o.emailalert = s;
    } else if (n == "emailalertfreq") {
        if (auto f = non_negative(d, line)) o.emailalertfreq = f;
    } else if (n == "emailalertstatus") {
        if (auto s = email_status(d, line)) o.emailalertstatus = s;
    } else if (n == "smtp") {
        if (auto s = smtp_server(d, line)) o.smtp = s;
    } else if (n == "monitorfile") {
        if (auto s = non_empty(d, line, true)) v.monitorfile = s;
    } else if (n == "servicename") {
        v.servicename = d.value;
    } else if (n == "comment") {
        v.comment = d.value;
    } else if (n == "match") {
        if (!pv.is_fwmark) {
            diag_.error(line, "match= is only valid in a firewall-mark virtual service (virtual=MARK)");
            return;
        }
        auto rule = parse_match(d.value, pv.family);
        if (auto* e = std::get_if<std::string>(&rule)) {
            diag_.error(line, *e);
            return;
        }
        for (const auto& m : v.matches)
            if (m.rule == std::get<MatchRule>(rule)) {
                diag_.error(line, "duplicate match " + quoted(d.value) + " (also at line " + std::to_string(m.line) + ")");
                return;
            }
        v.matches.push_back({std::get<MatchRule>(rule), line});
    } else if (global_only_directives.count(n)) {
        diag_.error(line, quoted(n) + " is a global directive and cannot appear inside a virtual section");
    } else {
        diag_.error(line, "unknown directive " + quoted(n));
    }
}

void Parser::finish_virtual(PendingVirtual& pv) {
    VirtualConfig& v = pv.v;
    const GlobalConfig& g = config_.globals;
    HealthCheckConfig& c = v.check;

    // Key: the protocol decides which service name table resolves the port.
    bool key_ok = pv.header_ok;
    if (pv.header_ok && !pv.is_fwmark) {
        Protocol protocol = Protocol::tcp;
        if (pv.protocol_directive) protocol = *pv.protocol_directive;
        else if (pv.port_text == "53" || pv.port_text == "domain") protocol = Protocol::udp;
        auto address = resolver_.host(pv.host_text, pv.family);
        auto port = resolver_.port(pv.port_text, to_string(protocol));
        if (auto* e = std::get_if<std::string>(&address)) {
            diag_.error(v.line, "virtual server: " + *e);
            key_ok = false;
        }
        if (auto* e = std::get_if<std::string>(&port)) {
            diag_.error(v.line, "virtual server: " + *e);
            key_ok = false;
        }
        if (key_ok) {
            v.key = ServiceKey::tcp_udp(protocol, std::get<IpAddress>(address), std::get<uint16_t>(port));
            if (!pv.service_set) c.service = check_service_for_port(v.key.port);
            if (v.key.port == 0 && !v.persistent)
                diag_.error(v.line, "port 0 (every port) is only allowed for a persistent service: add persistent=");
        }
    }
    if (pv.family == Family::v6 && !v.netmask) v.persistence.prefix_len = 128;
    v.persistence.timeout = v.persistent.value_or(0);
    if (v.netmask && !v.persistent)
        diag_.warning(pv.netmask_line, "netmask has no effect without persistent=");
    if (v.ops && key_ok && v.key.protocol != Protocol::udp)
        diag_.warning(pv.ops_line, "ops=yes only applies to UDP virtual services; ignored");
    if (!known_schedulers.count(v.scheduler))
        diag_.warning(v.line, "scheduler " + quoted(v.scheduler) + " is not one IPVS ships; it must exist in the kernel");
    if (pv.is_fwmark && v.matches.empty() && pv.header_ok)
        diag_.warning(v.line, "firewall-mark virtual service " + std::to_string(v.key.fwmark) +
                                  " has no match= lines: only IPVS with your own MARK rules can serve it");

    // Fallback: the virtual's own (port defaults to the virtual's), else the global one.
    const char* protocol_name = key_ok && !pv.is_fwmark ? to_string(v.key.protocol) : nullptr;
    if (pv.fallback) {
        auto fb = parse_fallback(pv.fallback->value, pv.fallback->line, pv.family, protocol_name, resolver_);
        if (auto* e = std::get_if<std::string>(&fb)) diag_.error(pv.fallback->line, *e);
        else v.fallback = std::get<FallbackConfig>(fb);
    } else if (const auto& global = pv.family == Family::v6 ? g.fallback6 : g.fallback) {
        v.fallback = global;
    }
    if (v.fallback && !v.fallback->port) v.fallback->port = pv.is_fwmark ? 0 : v.key.port;

    // Reals, with duplicates judged on the key the data plane will use.
    std::map<RealKey, int> seen;
    for (const auto& rl : pv.reals) {
        auto parsed = parse_real(rl.value, rl.line, pv.family, resolver_);
        if (auto* e = std::get_if<std::string>(&parsed)) {
            diag_.error(rl.line, *e);
            continue;
        }
        auto& reals = std::get<std::vector<RealConfig>>(parsed);
        if (total_reals_ + reals.size() > max_reals_per_file) {
            diag_.error(rl.line, "more than " + std::to_string(max_reals_per_file) +
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
        if (duplicates == 1) diag_.error(rl.line, first_duplicate);
        else if (duplicates > 1)
            diag_.error(rl.line, first_duplicate + ", and " + std::to_string(duplicates - 1) + " more on this line");
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
        else diag_.warning(o.checkinterval_line, "checkinterval in a virtual service is ignored when fork=no");
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
    for (const auto& pv : virtuals_) {
        if (!pv.header_ok) continue;
        auto [it, inserted] = services.emplace(pv.v.key, pv.v.line);
        if (!inserted) {
            diag_.error(pv.v.line, "duplicate virtual server " + pv.v.key.to_string() + " (first at line " +
                                       std::to_string(it->second) + ")");
            continue;
        }
        for (const auto& m : pv.v.matches) {
            auto [mit, minserted] = matches.emplace(m.rule, std::make_pair(pv.v.key.fwmark, m.line));
            if (!minserted && mit->second.first != pv.v.key.fwmark)
                diag_.error(m.line, "these packets are already matched by firewall mark " +
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
