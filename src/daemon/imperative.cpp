#include "daemon/imperative.h"

namespace xvs {
namespace {

void set_settings(VirtualService& service, const control::ServiceSettings& s) {
    service.scheduler = s.scheduler;
    service.scheduler_flags = s.scheduler_flags;
    service.persistence = s.persistence;
    service.one_packet = s.one_packet;
}

bool base_holds(const Model& base, const ServiceKey& service, const RealKey& real) {
    auto it = base.services.find(service);
    return it != base.services.end() && it->second.reals.count(real);
}

}  // namespace

const VirtualService& ImperativeChanges::existing_service(const Model& current,
                                                          const ServiceKey& key,
                                                          const char* missing) const {
    auto it = current.services.find(key);
    if (it == current.services.end()) throw EditRefused(missing);
    return it->second;
}

void ImperativeChanges::add_service(const Model& base, const ServiceKey& key,
                                    const control::ServiceSettings& s) {
    if (apply(base).services.count(key)) throw EditRefused("Service already exists");
    services_[key] = ServiceOverride{ServiceEdit::defined, s};
    reals_.erase(key);
}

void ImperativeChanges::edit_service(const Model& base, const ServiceKey& key,
                                     const control::ServiceSettings& s) {
    existing_service(apply(base), key, "No such service");
    auto it = services_.find(key);
    if (it != services_.end())
        it->second.settings = s;  // defined or edited, it stays so
    else
        services_[key] = ServiceOverride{ServiceEdit::edited, s};
}

void ImperativeChanges::delete_service(const Model& base, const ServiceKey& key) {
    existing_service(apply(base), key, "No such service");
    services_[key] = ServiceOverride{ServiceEdit::deleted, {}};
    reals_.erase(key);
}

void ImperativeChanges::add_real(const Model& base, const ServiceKey& service,
                                 const RealServer& real) {
    const VirtualService& s = existing_service(apply(base), service, "Service not defined");
    if (s.reals.count(real.key)) throw EditRefused("Destination already exists");
    reals_[service][real.key] = RealOverride{real, false};
}

void ImperativeChanges::edit_real(const Model& base, const ServiceKey& service,
                                  const RealServer& real) {
    const VirtualService& s = existing_service(apply(base), service, "Service not defined");
    if (!s.reals.count(real.key)) throw EditRefused("No such destination");
    auto& slot = reals_[service][real.key];
    // A real the configuration owns (the base holds it and nothing replaced
    // it) keeps answering to health checks after the edit.
    bool base_owned = !cleared_ && !services_.count(service) &&
                      base_holds(base, service, real.key) && (!slot.real || slot.follows_base);
    slot = RealOverride{real, base_owned};
}

void ImperativeChanges::delete_real(const Model& base, const ServiceKey& service,
                                    const RealKey& real) {
    const VirtualService& s = existing_service(apply(base), service, "Service not defined");
    if (!s.reals.count(real)) throw EditRefused("No such destination");
    reals_[service][real] = RealOverride{std::nullopt, false};
}

void ImperativeChanges::clear() {
    forget();
    cleared_ = true;
}

Model ImperativeChanges::apply(const Model& base) const {
    Model out;
    if (!cleared_) out = base;
    for (const auto& [key, change] : services_) {
        switch (change.kind) {
            case ServiceEdit::deleted: out.services.erase(key); break;
            case ServiceEdit::defined: {
                VirtualService service;
                service.key = key;
                set_settings(service, change.settings);
                auto in_base = base.services.find(key);
                if (in_base != base.services.end()) service.matches = in_base->second.matches;
                out.services[key] = std::move(service);
                break;
            }
            case ServiceEdit::edited: {
                auto it = out.services.find(key);
                if (it != out.services.end()) set_settings(it->second, change.settings);
                break;
            }
        }
    }
    for (const auto& [service_key, changes] : reals_) {
        auto service = out.services.find(service_key);
        if (service == out.services.end()) continue;
        auto& reals = service->second.reals;
        for (const auto& [real_key, change] : changes) {
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
    }
    return out;
}

}  // namespace xvs
