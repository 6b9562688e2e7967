#include "daemon/desired_state.h"

#include <utility>

namespace xvs {

DesiredState::DesiredState(Config config) : config_(std::move(config)) { index(); }

void DesiredState::index() {
    virtual_of_.clear();
    for (size_t i = 0; i < config_.virtuals.size(); ++i) virtual_of_.emplace(config_.virtuals[i].key, i);
}

const VirtualConfig* DesiredState::virtual_config(const ServiceKey& key) const {
    auto it = virtual_of_.find(key);
    return it == virtual_of_.end() ? nullptr : &config_.virtuals[it->second];
}

std::optional<VirtualService> DesiredState::configured(const ServiceKey& key,
                                                       const HealthView& health) const {
    auto it = virtual_of_.find(key);
    if (it == virtual_of_.end()) return std::nullopt;
    return build_service(config_.virtuals[it->second], health);
}

std::optional<VirtualService> DesiredState::service(const ServiceKey& key,
                                                    const HealthView& health) const {
    return edits_.apply_service(key, configured(key, health));
}

Model DesiredState::model(const HealthView& health) const {
    return edits_.apply(build_model(config_, health));
}

ModelDiff DesiredState::change_for(const std::set<ServiceKey>& keys, const HealthView& health,
                                   const Reconciler& programmed) const {
    ModelDiff change;
    for (const auto& key : keys) {
        auto next = service(key, health);
        diff_service(programmed.service(key), next ? &*next : nullptr, change);
    }
    return change;
}

}  // namespace xvs
