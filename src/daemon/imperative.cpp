#include "daemon/imperative.h"

namespace xvs {
namespace {

void set_settings(VirtualService& service, const control::ServiceSettings& s) {
    service.scheduler = s.scheduler;
    service.scheduler_flags = s.scheduler_flags;
    service.persistence = s.persistence;
    service.one_packet = s.one_packet;
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
    services_[key] = ServiceOverride{ServiceEdit::defined, s};
    reals_.erase(key);
}

void ImperativeChanges::edit_service(const VirtualService* base, const ServiceKey& key,
                                     const control::ServiceSettings& s) {
    if (!apply_service(key, base)) throw EditRefused("No such service");
    auto it = services_.find(key);
    if (it != services_.end())
        it->second.settings = s;  // defined or edited, it stays so
    else
        services_[key] = ServiceOverride{ServiceEdit::edited, s};
}

void ImperativeChanges::delete_service(const VirtualService* base, const ServiceKey& key) {
    if (!apply_service(key, base)) throw EditRefused("No such service");
    services_[key] = ServiceOverride{ServiceEdit::deleted, {}};
    reals_.erase(key);
}

void ImperativeChanges::add_real(const VirtualService* base, const ServiceKey& service,
                                 const RealServer& real) {
    auto s = apply_service(service, base);
    if (!s) throw EditRefused("Service not defined");
    if (s->reals.count(real.key)) throw EditRefused("Destination already exists");
    reals_[service][real.key] = RealOverride{real, false};
}

void ImperativeChanges::edit_real(const VirtualService* base, const ServiceKey& service,
                                  const RealServer& real) {
    auto s = apply_service(service, base);
    if (!s) throw EditRefused("Service not defined");
    if (!s->reals.count(real.key)) throw EditRefused("No such destination");
    auto& slot = reals_[service][real.key];
    // A real the configuration owns (the base holds it and nothing replaced
    // it) keeps answering to health checks after the edit.
    bool base_owned = !cleared_ && !services_.count(service) && base && base->reals.count(real.key) &&
                      (!slot.real || slot.follows_base);
    slot = RealOverride{real, base_owned};
}

void ImperativeChanges::delete_real(const VirtualService* base, const ServiceKey& service,
                                    const RealKey& real) {
    auto s = apply_service(service, base);
    if (!s) throw EditRefused("Service not defined");
    if (!s->reals.count(real)) throw EditRefused("No such destination");
    reals_[service][real] = RealOverride{std::nullopt, false};
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
    s->second.erase(r);
    if (s->second.empty()) reals_.erase(s);
    return true;
}

void ImperativeChanges::clear() {
    forget();
    cleared_ = true;
}

}  // namespace xvs
