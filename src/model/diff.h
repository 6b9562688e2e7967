// diff(): what changed between two models, in the terms a data plane applies.
//
// The reconciler never reprograms from scratch: a reload or a health flip
// becomes a ModelDiff, and Dataplane::apply() touches only what is listed.
#pragma once

#include <utility>
#include <vector>

#include "model/model.h"

namespace xvs {

struct RealChange {
    ServiceKey service;
    RealServer before;
    RealServer after;
};

struct RealRef {
    ServiceKey service;
    RealServer real;
};

struct ServiceChange {
    VirtualService before;  // settings only are compared; reals are diffed separately
    VirtualService after;
};

struct ModelDiff {
    std::vector<VirtualService> added_services;    // complete, with their reals
    std::vector<VirtualService> removed_services;  // complete, with their reals
    std::vector<ServiceChange> changed_services;   // scheduler, flags, persistence, matches
    std::vector<RealRef> added_reals;              // in services present in both models
    std::vector<RealRef> removed_reals;
    std::vector<RealChange> changed_reals;         // weight, method, thresholds

    bool empty() const;
    size_t size() const;  // number of listed changes
};

ModelDiff diff(const Model& before, const Model& after);

}  // namespace xvs
