// build_model(): the configuration plus the current health results become
// the desired Model, the state the data plane must hold right now.
//
// Rules (ldirectord's behaviour):
// - a real that is up has its configured weight; a real that is down keeps
//   weight 0 when its virtual is quiescent=yes and is absent when quiescent=no;
// - when no real of a virtual is up (or it has none) and a fallback is
//   configured, the fallback real is present (is_fallback, weight 1);
// - checktype=off activates no real and no fallback; checktype=on activates
//   every real whatever the health results say;
// - real ports follow ipvsadm: for TCP/UDP virtuals a gate/ipip real always
//   uses the virtual's port, and an omitted port (0) means the virtual's port;
//   firewall-mark reals keep their port (0 = the client's destination port).
#pragma once

#include <set>
#include <utility>
#include <vector>

#include "config/config.h"
#include "model/model.h"

namespace xvs {

// Which reals are down right now, as the health checker last saw them.
// Reals are named by their effective key (effective_real_key()).
struct HealthView {
    std::set<std::pair<ServiceKey, RealKey>> down;

    void set_down(const ServiceKey& service, const RealKey& real, bool is_down);
    bool is_down(const ServiceKey& service, const RealKey& real) const;
    // The reals of `service` that are down, in RealKey order (one range of
    // `down`, for a caller asking about many reals of one service).
    std::vector<RealKey> down_of(const ServiceKey& service) const;
};

// The key a real has in the data plane (ipvsadm's port rule above).
RealKey effective_real_key(const ServiceKey& service, ForwardMethod method, const RealKey& written);
RealKey effective_real_key(const VirtualConfig& virt, const RealConfig& real);

// One virtual service with the reals that must be active now.
VirtualService build_service(const VirtualConfig& virt, const HealthView& health = {});

Model build_model(const Config& config, const HealthView& health = {});

}  // namespace xvs
