#include "config/check.h"

#include <ostream>
#include <sstream>

#include "config/text.h"
#include "model/build.h"
#include "model/netmask.h"

namespace xvs {

namespace {

const char* yes_no(bool b) { return b ? "yes" : "no"; }

using config_detail::quoted;

std::string line_ref(int line) { return "  (line " + std::to_string(line) + ")"; }

std::string email_status_text(uint8_t status) {
    if (status == email_status_all) return "all";
    if (status == email_status_none) return "none";
    std::string out;
    auto add = [&](uint8_t bit, const char* name) {
        if (!(status & bit)) return;
        if (!out.empty()) out += ',';
        out += name;
    };
    add(email_status_starting, "starting");
    add(email_status_running, "running");
    add(email_status_stopping, "stopping");
    add(email_status_reloading, "reloading");
    return out;
}

std::string fallback_text(const FallbackConfig& fb) {
    std::string where = fb.port ? fb.address.with_port(*fb.port)
                                : (fb.address.is_v6() ? "[" + fb.address.to_string() + "]" : fb.address.to_string());
    return where + " " + ipvsadm_name(fb.method);
}

std::string mask_text(const VirtualConfig& v) {
    if (v.key.family == Family::v6) return std::to_string(v.persistence.prefix_len);
    return ipv4_netmask_text(v.persistence.prefix_len);
}

void print_globals(const Config& config, std::ostream& out) {
    const GlobalConfig& g = config.globals;
    auto opt_number = [](const std::optional<uint32_t>& v) { return v ? std::to_string(*v) : std::string("unset"); };
    out << "global: checkinterval=" << g.checkinterval << " checktimeout=" << opt_number(g.checktimeout)
        << " negotiatetimeout=" << opt_number(g.negotiatetimeout) << " failurecount=" << g.failurecount
        << " checkcount=" << g.checkcount << " quiescent=" << yes_no(g.quiescent)
        << " readdquiescent=" << yes_no(g.readdquiescent) << " autoreload=" << yes_no(g.autoreload)
        << " fork=" << yes_no(g.fork) << " supervised=" << yes_no(g.supervised)
        << " cleanstop=" << yes_no(g.cleanstop) << " logfile=" << g.logfile << '\n';
    out << "global: dataplane=" << to_string(g.dataplane) << " xdp-mode=" << to_string(g.xdp_mode)
        << " interface=";
    if (g.interfaces.empty()) out << "none";
    for (size_t i = 0; i < g.interfaces.size(); ++i) out << (i ? "," : "") << g.interfaces[i];
    out << " metrics=" << (g.metrics ? g.metrics->to_string() : "off");
    if (g.allow_empty) out << " allow-empty=yes";
    // IPVS's switches, where they differ from the kernel's defaults.
    const IpvsBehaviour& b = g.ipvs_behaviour;
    if (b.expire_nodest_conn) out << " expire_nodest_conn=1";
    if (b.expire_quiescent_template) out << " expire_quiescent_template=1";
    if (b.sloppy_tcp) out << " sloppy_tcp=1";
    if (b.conn_reuse_mode != IpvsBehaviour{}.conn_reuse_mode) out << " conn_reuse_mode=" << b.conn_reuse_mode;
    if (g.fallback) out << " fallback=" << quoted(fallback_text(*g.fallback));
    if (g.fallback6) out << " fallback6=" << quoted(fallback_text(*g.fallback6));
    if (g.fallbackcommand) out << " fallbackcommand=" << quoted(*g.fallbackcommand);
    if (g.callback) out << " callback=" << quoted(*g.callback);
    if (!g.emailalert.empty())
        out << " emailalert=" << quoted(g.emailalert) << " emailalertfreq=" << g.emailalertfreq
            << " emailalertstatus=" << email_status_text(g.emailalertstatus);
    if (g.emailalertfrom) out << " emailalertfrom=" << quoted(*g.emailalertfrom);
    if (g.smtp) out << " smtp=" << *g.smtp;
    if (g.maintenancedir) out << " maintenancedir=" << *g.maintenancedir;
    for (const auto& e : g.execute) out << " execute=" << quoted(e.file);
    out << '\n';
}

void print_check(const VirtualConfig& v, std::ostream& out) {
    const HealthCheckConfig& c = v.check;
    out << "    check " << to_string(c.type);
    if (c.type == CheckType::combined) out << '(' << c.combined_connects << ')';
    bool negotiates = c.type == CheckType::negotiate || c.type == CheckType::combined;
    if (negotiates) out << " service=" << to_string(c.service);
    if (c.checkport) out << " checkport=" << *c.checkport;
    if (negotiates) {
        out << " request=" << quoted(c.request) << " receive=" << quoted(c.receive);
        if (c.service == CheckService::http || c.service == CheckService::https ||
            c.service == CheckService::http_proxy)
            out << " httpmethod=" << c.httpmethod;
        if (c.virtualhost) out << " virtualhost=" << *c.virtualhost;
        if (!c.login.empty()) out << " login=" << quoted(c.login);
        if (!c.passwd.empty()) out << " passwd=(set)";  // never echo secrets
        if (!c.database.empty()) out << " database=" << quoted(c.database);
        if (!c.secret.empty()) out << " secret=(set)";
    }
    if (c.type == CheckType::external || c.type == CheckType::external_perl)
        out << " checkcommand=" << quoted(c.checkcommand);
    out << " checkinterval=" << c.checkinterval << " checktimeout=" << c.checktimeout
        << " negotiatetimeout=" << c.negotiatetimeout << " failurecount=" << c.failurecount
        << " quiescent=" << yes_no(c.quiescent) << '\n';
}

void print_virtual(const VirtualConfig& v, const VirtualService& svc, std::ostream& out) {
    out << v.key.to_string() << ' ' << v.scheduler;
    if (!v.scheduler_flags.empty()) {
        out << " flags ";
        for (size_t i = 0; i < v.scheduler_flags.size(); ++i) out << (i ? "," : "") << v.scheduler_flags[i];
    }
    if (v.persistent) out << " persistent " << *v.persistent << " mask " << mask_text(v);
    if (v.persistent && !v.persistence.engine.empty()) out << " pe " << v.persistence.engine;
    if (svc.one_packet) out << " ops";
    out << line_ref(v.line) << '\n';
    if (v.servicename) out << "    servicename " << quoted(*v.servicename) << '\n';
    for (const auto& m : v.matches) {
        out << "    match " << to_string(m.rule.protocol) << ' '
            << (m.rule.port ? m.rule.address.with_port(m.rule.port)
                            : (m.rule.address.is_v6() ? "[" + m.rule.address.to_string() + "]"
                                                      : m.rule.address.to_string()) + " (every port)")
            << line_ref(m.line) << '\n';
    }
    print_check(v, out);
    if (v.fallback) {
        out << "    fallback " << fallback_text(*v.fallback);
        if (v.fallback->line) out << line_ref(v.fallback->line);
        out << '\n';
    }
    for (const auto& rc : v.reals) {
        RealKey key = effective_real_key(v, rc);
        auto it = svc.reals.find(key);
        bool active = it != svc.reals.end() && !it->second.is_fallback;
        out << "    -> " << key.to_string() << "  " << ipvsadm_name(rc.method) << "  "
            << (active ? it->second.weight : rc.weight);
        if (rc.lower_threshold) out << " l:" << rc.lower_threshold;
        if (rc.upper_threshold) out << " u:" << rc.upper_threshold;
        if (rc.method == ForwardMethod::ipip && rc.tunnel != Tunnel{}) out << " tun:" << to_text(rc.tunnel);
        if (rc.request) out << " request=" << quoted(*rc.request) << " receive=" << quoted(rc.receive.value_or(""));
        if (!active) out << "  inactive (checktype=" << to_string(v.check.type) << ")";
        out << line_ref(rc.line) << '\n';
    }
    for (const auto& [key, real] : svc.reals)
        if (real.is_fallback)
            out << "    -> " << key.to_string() << "  " << ipvsadm_name(real.method) << "  " << real.weight
                << "  fallback (no real server is active)\n";
}

}  // namespace

void print_config_check(const Config& config, const Model& model, std::ostream& out) {
    size_t reals = 0;
    for (const auto& v : config.virtuals) reals += v.reals.size();
    out << "config " << config.source << ": " << config.virtuals.size() << " virtual service"
        << (config.virtuals.size() == 1 ? "" : "s") << ", " << reals << " real server" << (reals == 1 ? "" : "s")
        << '\n';
    print_globals(config, out);
    for (const auto& v : config.virtuals) {
        auto it = model.services.find(v.key);
        if (it == model.services.end()) continue;  // cannot happen: build_model keys every virtual
        print_virtual(v, it->second, out);
    }
}

int run_config_check(const std::string& path, std::ostream& out, std::ostream& err,
                     const std::function<void(const Config&)>& validate) {
    try {
        Config config = parse_config_file(path);
        if (validate) validate(config);
        Model model = build_model(config);
        for (const auto& w : config.warnings) err << w << '\n';
        if (config.virtuals.empty() && !config.globals.allow_empty)
            err << path << ": warning: " << empty_reload_note << '\n';
        print_config_check(config, model, out);
        return 0;
    } catch (const ConfigError& e) {
        for (const auto& line : e.errors()) err << line << '\n';
        err << path << ": " << e.count() << " error" << (e.count() == 1 ? "" : "s") << "\n";
        return 1;
    }
}

}  // namespace xvs
