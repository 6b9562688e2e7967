#include "daemon/operator_hooks.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

#include "model/build.h"

namespace xvs {
namespace {

bool any_real_up(const VirtualConfig& virt, const HealthView& view) {
    if (virt.check.type == CheckType::off) return false;
    if (virt.check.type == CheckType::on) return !virt.reals.empty();
    for (const auto& real : virt.reals)
        if (!view.is_down(virt.key, effective_real_key(virt, real))) return true;
    return false;
}

std::string fallback_arguments(const ServiceKey& key) {
    if (key.protocol == Protocol::fwmark) return std::to_string(key.fwmark) + " fwm";
    return key.address.with_port(key.port) + " " + to_string(key.protocol);
}

std::optional<size_t> file_digest(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    return std::hash<std::string>{}(text.str());
}

}  // namespace

OperatorHooks::OperatorHooks(Logger& log, EmailAlerts::Send send, std::string host, std::string user,
                             std::string shell)
    : log_(log),
      mail_(std::move(send), std::move(host), std::move(user)),
      commands_(
          [&log](bool error, const std::string& line) {
              if (error)
                  log.error(line);
              else
                  log.info(line);
          },
          std::move(shell)) {}

void OperatorHooks::configure(const DesiredState& desired) {
    const Config& config = desired.config();
    mail_.set_from(config.globals.emailalertfrom);
    watched_.clear();
    std::map<ServiceKey, FallbackState> fallback;
    for (const auto& virt : config.virtuals) {
        if (virt.monitorfile || !virt.emailalert.empty())
            for (const auto& real : virt.reals)
                watched_[{virt.key, effective_real_key(virt, real)}] =
                    Watched{virt.monitorfile ? monitor_real_id(virt, real) : std::string(), real.weight};
        FallbackState& state = fallback[virt.key];
        state.command = virt.fallbackcommand;
        auto old = fallback_.find(virt.key);
        if (old != fallback_.end() && old->second.command == virt.fallbackcommand)
            state.started = old->second.started;
    }
    fallback_ = std::move(fallback);
    if (!config_digest_) config_digest_ = file_digest(config.source);
}

void OperatorHooks::health(const DesiredState& desired, const HealthEvents& events, std::time_t now) {
    const long pid = ::getpid();
    for (const auto& o : events.outcomes) {
        const VirtualConfig* virt = desired.virtual_config(o.service);
        if (!virt || !virt->monitorfile) continue;
        auto w = watched_.find({o.service, o.real});
        if (w == watched_.end()) continue;
        if (auto error = monitor_.append(*virt->monitorfile,
                                         monitor_line(now, pid, w->second.monitor_id, o.up, o.message)))
            log_.error(*error);
    }
    for (const auto& t : events.transitions) {
        const VirtualConfig* virt = desired.virtual_config(t.service);
        if (!virt || virt->emailalert.empty()) continue;
        auto w = watched_.find({t.service, t.real});
        uint32_t weight = w == watched_.end() ? 1 : w->second.weight;
        std::string real = t.real.to_string();
        std::string subject = t.down ? real_down_subject(*virt, real) : real_up_subject(*virt, real, weight);
        if (mail_.alert(*virt, subject, real, t.down, now)) log_.info("emailalert: " + subject);
    }
}

void OperatorHooks::fallbacks(const DesiredState& desired, const HealthView& view,
                              const std::set<ServiceKey>* services) {
    auto evaluate = [&](const ServiceKey& key, FallbackState& state) {
        const VirtualConfig* virt = desired.virtual_config(key);
        if (!virt) return;
        bool start = !any_real_up(*virt, view);
        if (state.started == start) return;
        state.started = start;
        if (!state.command) return;
        std::string command = *state.command + (start ? " start " : " stop ") + fallback_arguments(key);
        log_.info("fallbackcommand: " + command);
        commands_.run("fallbackcommand " + fallback_arguments(key), "fallbackcommand", command);
    };
    if (services) {
        for (const auto& key : *services)
            if (auto it = fallback_.find(key); it != fallback_.end()) evaluate(key, it->second);
    } else {
        for (auto& [key, state] : fallback_) evaluate(key, state);
    }
}

void OperatorHooks::applied(const DesiredState& desired, const ModelDiff& change, std::time_t now) {
    auto mail = [&](const ServiceKey& key, const RealServer& r, bool on) {
        if (!r.is_fallback) return;
        const VirtualConfig* virt = desired.virtual_config(key);
        if (!virt || virt->emailalert.empty()) return;
        std::string subject = fallback_subject(*virt, r.key.to_string(), on);
        if (mail_.alert(*virt, subject, r.key.to_string(), false, now)) log_.info("emailalert: " + subject);
    };
    for (const auto& s : change.added_services)
        for (const auto& [key, r] : s.reals) mail(s.key, r, true);
    for (const auto& ref : change.added_reals) mail(ref.service, ref.real, true);
    for (const auto& ref : change.removed_reals) mail(ref.service, ref.real, false);
}

void OperatorHooks::config_file_changed(const DesiredState& desired, const std::string& path) {
    auto digest = file_digest(path);
    bool changed = digest && config_digest_ && *digest != *config_digest_;
    if (digest) config_digest_ = digest;
    if (!changed) return;
    const auto& callback = desired.config().globals.callback;
    if (!callback) return;
    // ldirectord runs the callback only when it is executable (-x).
    if (::access(callback->c_str(), X_OK) != 0) {
        log_.error("callback: " + *callback + " is not executable; not run for the change of " + path);
        return;
    }
    log_.info("callback: " + *callback + " " + path);
    commands_.run("callback", "callback", *callback + " " + path);
}

void OperatorHooks::tick(const DesiredState& desired, std::time_t now) {
    commands_.poll();
    mail_.resend_due([&](const ServiceKey& key) { return desired.virtual_config(key); }, now);
}

void OperatorHooks::stopping(const DesiredState& desired, const Model& removed, std::time_t now) {
    for (const auto& [key, service] : removed.services) {
        const VirtualConfig* virt = desired.virtual_config(key);
        if (!virt || virt->emailalert.empty()) continue;
        for (const auto& [rk, r] : service.reals) {
            std::string subject = purged_subject(*virt, rk.to_string(), "stop");
            if (mail_.alert(*virt, subject, rk.to_string(), false, now)) log_.info("emailalert: " + subject);
        }
    }
}

}  // namespace xvs
