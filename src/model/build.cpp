#include "model/build.h"

#include <algorithm>
#include <vector>

namespace xvs {

void HealthView::set_down(const ServiceKey& service, const RealKey& real, bool is_down) {
    if (is_down) down.insert({service, real});
    else down.erase({service, real});
}

bool HealthView::is_down(const ServiceKey& service, const RealKey& real) const {
    return down.count({service, real}) != 0;
}

std::vector<RealKey> HealthView::down_of(const ServiceKey& service) const {
    std::vector<RealKey> out;
    for (auto it = down.lower_bound({service, RealKey{}}); it != down.end() && it->first == service; ++it)
        out.push_back(it->second);
    return out;
}

RealKey effective_real_key(const ServiceKey& service, ForwardMethod method, const RealKey& written) {
    RealKey key = written;
    if (service.protocol == Protocol::fwmark) return key;
    // ipvsadm: DR and TUN cannot map ports, and a missing port is the service's.
    if (method != ForwardMethod::masq || key.port == 0) key.port = service.port;
    return key;
}

RealKey effective_real_key(const VirtualConfig& virt, const RealConfig& real) {
    return effective_real_key(virt.key, real.method, real.key);
}

VirtualService build_service(const VirtualConfig& virt, const HealthView& health) {
    VirtualService svc;
    svc.key = virt.key;
    svc.scheduler = virt.scheduler;
    svc.scheduler_flags = virt.scheduler_flags;
    svc.persistence = virt.persistence;
    svc.one_packet = virt.ops && virt.key.protocol == Protocol::udp;
    for (const auto& m : virt.matches) svc.matches.push_back(m.rule);
    std::sort(svc.matches.begin(), svc.matches.end());

    if (virt.check.type == CheckType::off) return svc;  // "no real or fallback servers will be activated"

    const std::vector<RealKey> down_here = health.down_of(virt.key);

    bool any_up = false;
    for (const auto& rc : virt.reals) {
        RealServer real;
        real.key = effective_real_key(virt, rc);
        real.method = rc.method;
        real.configured_weight = rc.weight;
        real.lower_threshold = rc.lower_threshold;
        real.upper_threshold = rc.upper_threshold;
        real.tunnel = rc.tunnel;
        bool up = virt.check.type == CheckType::on ||
                  !std::binary_search(down_here.begin(), down_here.end(), real.key);
        if (up) {
            real.weight = rc.weight;
            any_up = true;
        } else if (virt.check.quiescent) {
            real.weight = 0;
        } else {
            continue;
        }
        // Reals are usually written in order: the hint makes that insert O(1).
        svc.reals.insert_or_assign(svc.reals.end(), real.key, real);
    }

    if (!any_up && virt.fallback) {
        RealServer fb;
        RealKey written{virt.fallback->address, virt.fallback->port.value_or(virt.key.port)};
        fb.key = effective_real_key(virt.key, virt.fallback->method, written);
        fb.method = virt.fallback->method;
        fb.weight = 1;
        fb.configured_weight = 1;
        fb.is_fallback = true;
        svc.reals[fb.key] = fb;
    }
    return svc;
}

Model build_model(const Config& config, const HealthView& health) {
    Model model;
    for (const auto& virt : config.virtuals) model.services[virt.key] = build_service(virt, health);
    return model;
}

}  // namespace xvs
