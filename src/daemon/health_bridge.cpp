#include "daemon/health_bridge.h"

#include <set>
#include <stdexcept>

#include "health/maintenance.h"

namespace xvs {
namespace {

CheckSpec::Type spec_type(CheckType t) {
    switch (t) {
        case CheckType::negotiate: return CheckSpec::Type::negotiate;
        case CheckType::connect: return CheckSpec::Type::connect;
        case CheckType::external: return CheckSpec::Type::external;
        case CheckType::external_perl: return CheckSpec::Type::external_perl;
        case CheckType::ping: return CheckSpec::Type::ping;
        case CheckType::on: return CheckSpec::Type::on;
        case CheckType::off: return CheckSpec::Type::off;
        case CheckType::combined: return CheckSpec::Type::combined;
    }
    throw std::invalid_argument("unknown checktype");
}

}  // namespace

std::string describe_virtual(const ServiceKey& service) {
    switch (service.protocol) {
        case Protocol::tcp: return "TCP " + service.address.with_port(service.port);
        case Protocol::udp: return "UDP " + service.address.with_port(service.port);
        case Protocol::fwmark:
            return "FWM " + std::to_string(service.fwmark) +
                   (service.family == Family::v6 ? " IPv6" : "");
    }
    return "?";
}

CheckSpec make_check_spec(const VirtualConfig& virt, const RealConfig& real) {
    return make_check_spec(virt, real, effective_real_key(virt, real));
}

CheckSpec make_check_spec(const VirtualConfig& virt, const RealConfig& real, const RealKey& effective) {
    const HealthCheckConfig& c = virt.check;
    CheckSpec spec;
    spec.type = spec_type(c.type);
    spec.connect_then_negotiate_every = c.combined_connects;
    spec.service = to_string(c.service);
    spec.address = real.key.address;
    // ldirectord's ld_checkport; a real without any port is checked where the
    // data plane sends its traffic.
    spec.port = check_port(virt, real).value_or(effective.port);
    spec.l4 = virt.key.protocol == Protocol::udp ? Protocol::udp : Protocol::tcp;
    spec.request = check_request(virt, real);
    spec.receive = check_receive(virt, real);
    spec.httpmethod = c.httpmethod;
    spec.virtualhost = c.virtualhost.value_or("");
    spec.login = c.login;
    spec.passwd = c.passwd;
    spec.database = c.database;
    spec.secret = c.secret;
    spec.checkcommand = c.checkcommand;
    if (virt.key.protocol == Protocol::fwmark) {
        spec.virtual_host_arg = std::to_string(virt.key.fwmark);
        spec.virtual_port_arg = "0";
    } else {
        spec.virtual_host_arg = virt.key.address.to_string();
        spec.virtual_port_arg = std::to_string(virt.key.port);
    }
    spec.timeout_s = c.connecttimeout;  // the resolved checktimeout
    spec.negotiate_timeout_s = c.negotiatetimeout;
    spec.interval_s = c.checkinterval;
    spec.failurecount = c.failurecount;
    spec.report_every_result = virt.monitorfile.has_value();
    validate_check_spec(spec);
    return spec;
}

std::map<std::pair<ServiceKey, RealKey>, CheckSpec> plan_health_checks(const Config& config) {
    std::map<std::pair<ServiceKey, RealKey>, CheckSpec> plan;
    std::vector<std::string> errors;
    for (const auto& virt : config.virtuals) {
        if (virt.check.type == CheckType::on || virt.check.type == CheckType::off) continue;
        for (const auto& real : virt.reals) {
            try {
                RealKey effective = effective_real_key(virt, real);
                plan[{virt.key, effective}] = make_check_spec(virt, real, effective);
            } catch (const std::invalid_argument& e) {
                errors.push_back(config.source + ":" + std::to_string(real.line) + ": " + e.what());
                // One message per virtual is enough when the cause is the virtual's.
                if (virt.check.type == CheckType::external_perl) break;
            }
        }
    }
    if (!errors.empty()) throw ConfigError(std::move(errors), config.source);
    return plan;
}

std::vector<std::string> fallback_transitions(const ModelDiff& change) {
    std::vector<std::string> lines;
    auto on = [&](const ServiceKey& key, const RealServer& r) {
        lines.push_back(describe_virtual(key) + ": fallback " + r.key.to_string() + " on (no real is up)");
    };
    for (const auto& s : change.added_services)
        for (const auto& [rk, r] : s.reals)
            if (r.is_fallback) on(s.key, r);
    for (const auto& ref : change.added_reals)
        if (ref.real.is_fallback) on(ref.service, ref.real);
    for (const auto& ref : change.removed_reals)
        if (ref.real.is_fallback)
            lines.push_back(describe_virtual(ref.service) + ": fallback " + ref.real.key.to_string() +
                            " off (a real is up)");
    return lines;
}

std::vector<std::pair<SubscriberId, CheckSpec>> HealthBridge::set_plan(
    const std::map<std::pair<ServiceKey, RealKey>, CheckSpec>& plan) {
    std::map<SubscriberId, Entry> entries;
    std::map<std::pair<ServiceKey, RealKey>, SubscriberId> ids;
    std::vector<std::pair<SubscriberId, CheckSpec>> checks;
    for (const auto& [pair, spec] : plan) {
        SubscriberId id;
        auto known = ids_.find(pair);
        if (known != ids_.end()) {
            id = known->second;
            entries[id] = entries_.at(id);  // keeps state and maintenance until told otherwise
        } else {
            id = next_id_++;
            entries[id].checked.service = pair.first;
            entries[id].checked.real = pair.second;
        }
        entries[id].checked.spec = spec;
        ids[pair] = id;
        checks.emplace_back(id, spec);
    }
    entries_ = std::move(entries);
    ids_ = std::move(ids);
    view_ = {};
    maintenance_index_.clear();
    std::set<SubscriberId> maintained;
    for (const auto& [id, e] : entries_) {
        note(e, nullptr);
        for (auto& name : maintenance_file_names(e.checked.real.address, e.checked.real.port, ""))
            maintenance_index_[std::move(name)].push_back(id);
        if (e.in_maintenance) maintained.insert(id);
    }
    maintained_ = std::move(maintained);
    count_unknown();
    return checks;
}

void HealthBridge::count_unknown() {
    unknown_ = 0;
    for (const auto& [id, e] : entries_) unknown_ += e.state == State::unknown;
}

std::set<SubscriberId> HealthBridge::seed_serving(const std::vector<ServiceStatus>& serving) {
    std::set<std::pair<ServiceKey, RealKey>> live;
    for (const auto& service : serving)
        for (const auto& real : service.reals)
            if (real.weight != 0) live.emplace(service.key, real.key);
    std::set<SubscriberId> seeded;
    for (auto& [id, e] : entries_) {
        if (e.state != State::unknown || !live.count({e.checked.service, e.checked.real})) continue;
        e.state = State::up;
        e.reason = "served by the data plane at start";
        note(e, nullptr);
        seeded.insert(id);
    }
    count_unknown();
    return seeded;
}

std::string HealthBridge::state_name(const Entry& e) {
    if (e.in_maintenance) return "down";
    switch (e.state) {
        case State::unknown: return "unknown";
        case State::up: return "up";
        case State::down: return "down";
    }
    return "?";
}

void HealthBridge::note(const Entry& e, std::set<ServiceKey>* touched) {
    view_.set_down(e.checked.service, e.checked.real, is_down(e));
    if (touched) touched->insert(e.checked.service);
}

std::vector<std::string> HealthBridge::apply(const std::vector<StateChange>& changes,
                                             std::set<ServiceKey>* touched, HealthEvents* events) {
    std::vector<std::string> lines;
    for (const auto& change : changes) {
        auto it = entries_.find(change.subscriber);
        if (it == entries_.end()) continue;  // a real removed by a reload since
        Entry& e = it->second;
        if (events)
            events->outcomes.push_back({e.checked.service, e.checked.real, change.up && !e.in_maintenance,
                                        e.in_maintenance ? "Server in maintenance" : change.reason});
        State next = change.up ? State::up : State::down;
        if (!change.changed || next == e.state) continue;
        std::string before = state_name(e);
        if (e.state == State::unknown) --unknown_;
        e.state = next;
        e.reason = change.reason;
        note(e, touched);
        std::string after = state_name(e);
        if (events && after != before)
            events->transitions.push_back(
                {e.checked.service, e.checked.real, after == "down", change.reason});
        lines.push_back(describe_virtual(e.checked.service) + ": real " +
                        e.checked.real.to_string() + " " + before + " -> " +
                        (change.up ? "up" : "down") + " (" + change.reason +
                        (e.in_maintenance ? "; still in maintenance" : "") + ")");
    }
    return lines;
}

std::vector<std::string> HealthBridge::poll_maintenance(const std::string& dir,
                                                        std::set<ServiceKey>* touched,
                                                        HealthEvents* events) {
    // One read of the directory; only the reals its files name, and those
    // in maintenance until now, are looked at.
    std::set<SubscriberId> now;
    for (const auto& file : maintenance_files(dir)) {
        auto named = maintenance_index_.find(file);
        if (named != maintenance_index_.end()) now.insert(named->second.begin(), named->second.end());
    }
    std::vector<std::string> lines;
    auto flip = [&](SubscriberId id, bool in) {
        auto it = entries_.find(id);
        if (it == entries_.end()) return;
        Entry& e = it->second;
        if (e.in_maintenance == in) return;
        std::string before = state_name(e);
        e.in_maintenance = in;
        note(e, touched);
        std::string after = state_name(e);
        std::string why = in ? "maintenance file in " + dir : "maintenance ended; " + e.reason;
        if (events && after != before)
            events->transitions.push_back(
                {e.checked.service, e.checked.real, after == "down", in ? "Server in maintenance" : e.reason});
        lines.push_back(describe_virtual(e.checked.service) + ": real " + e.checked.real.to_string() + " " +
                        before + " -> " + after + " (" + why + ")");
    };
    // In id order, as before: one walk over both sets.
    std::set<SubscriberId> all = maintained_;
    all.insert(now.begin(), now.end());
    for (SubscriberId id : all) flip(id, now.count(id) != 0);
    maintained_ = std::move(now);
    return lines;
}


}  // namespace xvs
