#include "daemon/imperative.h"

#include <set>

namespace xvs {
namespace {

void set_settings(VirtualService& service, const control::ServiceSettings& s) {
    service.scheduler = s.scheduler;
    service.scheduler_flags = s.scheduler_flags;
    service.persistence = s.persistence;
    service.one_packet = s.one_packet;
}

// IPVS's refusals of a service's settings that xvs can tell without a plane:
// an engine IPVS does not ship is the kernel's ENOENT (ipvsadm's text for
// it); an engine without persistence would key templates that never exist.
void check_settings(const control::ServiceSettings& s) {
    const std::string& engine = s.persistence.engine;
    if (engine.empty()) return;
    if (engine != pe_sip) throw EditRefused("Scheduler or persistence engine not found");
    if (s.persistence.timeout == 0)
        throw EditRefused("Persistence engine " + engine + " needs a persistent service (-p)");
}

}  // namespace

namespace {

const VirtualService* service_in(const Model& model, const ServiceKey& key) {
    auto it = model.services.find(key);
    return it == model.services.end() ? nullptr : &it->second;
}

}  // namespace

std::optional<VirtualService> ImperativeChanges::apply_service(const ServiceKey& key,
                                                               const VirtualService* base) const {
    return apply_service(key, base ? std::optional<VirtualService>(*base) : std::nullopt);
}

std::optional<VirtualService> ImperativeChanges::apply_service(const ServiceKey& key,
                                                               std::optional<VirtualService> base) const {
    std::optional<VirtualService> out;
    if (!cleared_ && base) out = std::move(base);
    if (auto change = services_.find(key); change != services_.end()) {
        switch (change->second.kind) {
            case ServiceEdit::deleted: out.reset(); break;
            case ServiceEdit::defined: {
                VirtualService service;
                service.key = key;
                set_settings(service, change->second.settings);
                // The base's match= lines: in `out` unless cleared_ kept it out.
                if (out)
                    service.matches = out->matches;
                else if (base)
                    service.matches = base->matches;
                out = std::move(service);
                break;
            }
            case ServiceEdit::edited:
                if (out) set_settings(*out, change->second.settings);
                break;
        }
    }
    if (!out) return out;
    auto changes = reals_.find(key);
    if (changes == reals_.end()) return out;
    auto& reals = out->reals;
    for (const auto& [real_key, change] : changes->second) {
        auto now = reals.find(real_key);
        if (!change.real) {
            if (now != reals.end()) reals.erase(now);
            continue;
        }
        RealServer next = *change.real;
        if (change.follows_base) {
            if (now == reals.end()) continue;  // health took it out
            if (now->second.weight == 0 && now->second.configured_weight != 0)
                next.weight = 0;  // health quiesced it
        }
        reals[real_key] = next;
    }
    return out;
}

Model ImperativeChanges::apply(const Model& base) const {
    Model out;
    for (const auto& [key, service] : base.services)
        if (auto s = apply_service(key, &service)) out.services.emplace(key, std::move(*s));
    for (const auto& [key, change] : services_)
        if (!base.services.count(key))
            if (auto s = apply_service(key, nullptr)) out.services.emplace(key, std::move(*s));
    return out;
}

std::vector<ServiceKey> ImperativeChanges::edited_services() const {
    std::vector<ServiceKey> keys;
    for (const auto& [key, change] : services_) keys.push_back(key);
    return keys;
}

ImperativeChanges::Saved ImperativeChanges::save(const ServiceKey& key) const {
    Saved saved;
    saved.key_ = key;
    if (auto it = services_.find(key); it != services_.end()) saved.service_ = it->second;
    if (auto it = reals_.find(key); it != reals_.end()) saved.reals_ = it->second;
    return saved;
}

void ImperativeChanges::restore(const Saved& saved) {
    if (saved.service_)
        services_[saved.key_] = *saved.service_;
    else
        services_.erase(saved.key_);
    if (saved.reals_)
        reals_[saved.key_] = *saved.reals_;
    else
        reals_.erase(saved.key_);
}

void ImperativeChanges::add_service(const VirtualService* base, const ServiceKey& key,
                                    const control::ServiceSettings& s) {
    if (apply_service(key, base)) throw EditRefused("Service already exists");
    check_settings(s);
    record({EditRecord::Kind::service_defined, key, s});
    record({EditRecord::Kind::reals_unset, key});
}

void ImperativeChanges::edit_service(const VirtualService* base, const ServiceKey& key,
                                     const control::ServiceSettings& s) {
    if (!apply_service(key, base)) throw EditRefused("No such service");
    check_settings(s);
    auto it = services_.find(key);
    // Defined or edited, it stays so.
    bool defined = it != services_.end() && it->second.kind == ServiceEdit::defined;
    record({defined ? EditRecord::Kind::service_defined : EditRecord::Kind::service_edited, key, s});
}

void ImperativeChanges::delete_service(const VirtualService* base, const ServiceKey& key) {
    if (!apply_service(key, base)) throw EditRefused("No such service");
    // Only the file's service needs a deletion kept; xvsadm's own is forgotten.
    record({base && !cleared_ ? EditRecord::Kind::service_deleted : EditRecord::Kind::service_unset, key});
    record({EditRecord::Kind::reals_unset, key});
}

void ImperativeChanges::add_real(const VirtualService* base, const ServiceKey& service,
                                 const RealServer& real) {
    auto s = apply_service(service, base);
    if (!s) throw EditRefused("Service not defined");
    if (s->reals.count(real.key)) throw EditRefused("Destination already exists");
    record({EditRecord::Kind::real_set, service, {}, real, false});
}

void ImperativeChanges::edit_real(const VirtualService* base, const ServiceKey& service,
                                  const RealServer& real) {
    auto s = apply_service(service, base);
    if (!s) throw EditRefused("Service not defined");
    if (!s->reals.count(real.key)) throw EditRefused("No such destination");
    const RealOverride* slot = nullptr;
    if (auto it = reals_.find(service); it != reals_.end())
        if (auto r = it->second.find(real.key); r != it->second.end()) slot = &r->second;
    // A real the configuration owns (the base holds it and nothing replaced
    // it) keeps answering to health checks after the edit.
    bool base_owned = !cleared_ && !services_.count(service) && base && base->reals.count(real.key) &&
                      (!slot || !slot->real || slot->follows_base);
    record({EditRecord::Kind::real_set, service, {}, real, base_owned});
}

void ImperativeChanges::delete_real(const VirtualService* base, const ServiceKey& service,
                                    const RealKey& real) {
    auto s = apply_service(service, base);
    if (!s) throw EditRefused("Service not defined");
    if (!s->reals.count(real)) throw EditRefused("No such destination");
    // Only a real the file gives this service needs a deletion kept.
    auto edit = services_.find(service);
    bool file_real = base && !cleared_ && base->reals.count(real) &&
                     (edit == services_.end() || edit->second.kind != ServiceEdit::defined);
    EditRecord r{file_real ? EditRecord::Kind::real_deleted : EditRecord::Kind::real_unset, service};
    r.real.key = real;
    record(r);
}

void ImperativeChanges::add_service(const Model& base, const ServiceKey& key,
                                    const control::ServiceSettings& s) {
    add_service(service_in(base, key), key, s);
}
void ImperativeChanges::edit_service(const Model& base, const ServiceKey& key,
                                     const control::ServiceSettings& s) {
    edit_service(service_in(base, key), key, s);
}
void ImperativeChanges::delete_service(const Model& base, const ServiceKey& key) {
    delete_service(service_in(base, key), key);
}
void ImperativeChanges::add_real(const Model& base, const ServiceKey& service, const RealServer& real) {
    add_real(service_in(base, service), service, real);
}
void ImperativeChanges::edit_real(const Model& base, const ServiceKey& service, const RealServer& real) {
    edit_real(service_in(base, service), service, real);
}
void ImperativeChanges::delete_real(const Model& base, const ServiceKey& service, const RealKey& real) {
    delete_real(service_in(base, service), service, real);
}

bool ImperativeChanges::readd(const ServiceKey& service, const RealKey& real) {
    auto s = reals_.find(service);
    if (s == reals_.end()) return false;
    auto r = s->second.find(real);
    if (r == s->second.end() || r->second.real) return false;
    EditRecord unset{EditRecord::Kind::real_unset, service};
    unset.real.key = real;
    record(unset);
    return true;
}

void ImperativeChanges::clear() {
    record({EditRecord::Kind::clear});
    cleared_ = true;
}

std::vector<ServiceKey> ImperativeChanges::prune(const std::function<bool(const ServiceKey&)>& base_has) {
    std::set<ServiceKey> stale;
    for (const auto& [key, change] : services_)
        if (change.kind != ServiceEdit::defined && !base_has(key)) stale.insert(key);
    for (const auto& [key, reals] : reals_) {
        auto service = services_.find(key);
        bool defined = service != services_.end() && service->second.kind == ServiceEdit::defined;
        if (!defined && !base_has(key)) stale.insert(key);
    }
    for (const auto& key : stale) {
        if (services_.count(key)) record({EditRecord::Kind::service_unset, key});
        if (reals_.count(key)) record({EditRecord::Kind::reals_unset, key});
    }
    return {stale.begin(), stale.end()};
}

void ImperativeChanges::record(EditRecord r) {
    replay(r);
    journal_.push_back(std::move(r));
}

void ImperativeChanges::replay(const EditRecord& r) {
    using Kind = EditRecord::Kind;
    switch (r.kind) {
        case Kind::service_defined: services_[r.service] = {ServiceEdit::defined, r.settings}; break;
        case Kind::service_edited: services_[r.service] = {ServiceEdit::edited, r.settings}; break;
        case Kind::service_deleted: services_[r.service] = {ServiceEdit::deleted, {}}; break;
        case Kind::service_unset: services_.erase(r.service); break;
        case Kind::reals_unset: reals_.erase(r.service); break;
        case Kind::real_set: reals_[r.service][r.real.key] = RealOverride{r.real, r.follows_base}; break;
        case Kind::real_deleted: reals_[r.service][r.real.key] = RealOverride{std::nullopt, false}; break;
        case Kind::real_unset: {
            auto s = reals_.find(r.service);
            if (s == reals_.end()) break;
            s->second.erase(r.real.key);
            if (s->second.empty()) reals_.erase(s);
            break;
        }
        case Kind::clear:
            services_.clear();
            reals_.clear();
            break;
        case Kind::timeouts: timeouts_ = r.timeouts; break;
    }
}

void ImperativeChanges::set_timeouts(const ConnectionTimeouts& in_force) {
    EditRecord r{EditRecord::Kind::timeouts};
    r.timeouts = in_force;
    record(r);
}

std::vector<EditRecord> ImperativeChanges::snapshot() const {
    using Kind = EditRecord::Kind;
    std::vector<EditRecord> out;
    if (timeouts_) {
        EditRecord r{Kind::timeouts};
        r.timeouts = *timeouts_;
        out.push_back(r);
    }
    for (const auto& [key, change] : services_) {
        Kind kind = change.kind == ServiceEdit::defined  ? Kind::service_defined
                    : change.kind == ServiceEdit::edited ? Kind::service_edited
                                                         : Kind::service_deleted;
        out.push_back({kind, key, change.settings});
    }
    for (const auto& [key, reals] : reals_)
        for (const auto& [real_key, change] : reals) {
            EditRecord r{change.real ? Kind::real_set : Kind::real_deleted, key};
            if (change.real) r.real = *change.real;
            r.real.key = real_key;
            r.follows_base = change.follows_base;
            out.push_back(std::move(r));
        }
    return out;
}

}  // namespace xvs
