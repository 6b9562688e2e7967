// DesiredState: what the data plane must serve, service by service: the
// configuration's virtuals, the health view, and xvsadm's edits on top.
//
// It is where the change path starts (docs/architecture.md, "The change
// path"): an event names the services it concerns (a health result its
// real's service, an edit its service) and change_for() builds only those
// services (build_service(), ImperativeChanges::apply_service()) and diffs
// each against what the reconciler holds for it (diff_service()). The cost
// follows the services concerned, never the size of the configuration.
// model() builds everything: for the start, a reload and xvsadm -C, the only
// events that change what every service is.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <set>

#include "config/config.h"
#include "daemon/imperative.h"
#include "daemon/reconciler.h"
#include "model/build.h"
#include "model/diff.h"
#include "model/model.h"

namespace xvs {

class DesiredState {
   public:
    DesiredState() = default;
    explicit DesiredState(Config config);

    const Config& config() const { return config_; }
    ImperativeChanges& edits() { return edits_; }
    const ImperativeChanges& edits() const { return edits_; }

    // The file's virtual of `key`, or null.
    const VirtualConfig* virtual_config(const ServiceKey& key) const;
    // The configuration's service `key` with the health view applied
    // (build_service()), before any edit; nullopt when the file has none.
    std::optional<VirtualService> configured(const ServiceKey& key, const HealthView& health) const;
    // The service `key` as it must be served now; nullopt: not at all.
    std::optional<VirtualService> service(const ServiceKey& key, const HealthView& health) const;
    // Everything as it must be served now.
    Model model(const HealthView& health) const;
    // What moves `programmed` to service() for each of `keys`, nothing else.
    ModelDiff change_for(const std::set<ServiceKey>& keys, const HealthView& health,
                         const Reconciler& programmed) const;

   private:
    void index();

    Config config_;
    ImperativeChanges edits_;
    // key -> index in config_.virtuals: positions, so that copies stay right.
    std::map<ServiceKey, size_t> virtual_of_;
};

}  // namespace xvs
