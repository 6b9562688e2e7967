// ModelDiff: the one change type of the control plane, in the terms a data
// plane applies. Whoever knows what happened produces it (docs/architecture.md,
// "The change path"):
//   a health result       diff_services() of the services whose reals changed
//                         state: one RealChange for a quiesced real, one
//                         RealRef for a real that left or came back, the
//                         fallback's RealRef when it goes in or out
//   an xvsadm edit        diff_services() of the one service edited
//   a reload, -C, start   diff() of the whole models (the only full diffs)
// Dataplane::apply() touches only what is listed; apply_diff() moves a model
// (the reconciler's, a plane's own) along the same change.
//
// Invariants every producer keeps (diff() and diff_services() do):
//   - a service appears in at most one of added/removed/changed_services;
//   - added and removed services are complete, with their reals, and no real
//     entry names them;
//   - a ServiceChange holds both services complete (settings and reals); its
//     reals' differences are also listed in added/removed/changed_reals;
//   - real entries name services present before and after.
#pragma once

#include <map>
#include <optional>
#include <set>
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
    // Appends `more` (about other services than those listed here).
    void append(ModelDiff&& more);
};

ModelDiff diff(const Model& before, const Model& after);

// The difference of one service: `before` / `after` null when the service is
// absent on that side. Appends to `out`; costs O(reals of the service).
void diff_service(const VirtualService* before, const VirtualService* after, ModelDiff& out);

// Whether `change` changes reals' weights (effective or configured) and
// nothing else, as a health result with quiescent=yes does: what can serve
// a service does not move.
bool only_weights_change(const ModelDiff& change);

// The change that undoes `change` (applied after it).
ModelDiff inverse(const ModelDiff& change);

// The services a change lists, each once, in key order.
std::set<ServiceKey> touched_services(const ModelDiff& change);

// A change cut into one ModelDiff per service it lists (same invariants).
std::map<ServiceKey, ModelDiff> split_by_service(const ModelDiff& change);

// Moves `model` along `change`: removed services go, added ones come,
// changed ones take their new settings (keeping their reals), then the real
// entries are applied. Costs O(change); the model must be the change's
// "before" for the services listed.
void apply_diff(Model& model, const ModelDiff& change);
// The same for one service (`service` null: absent) and the part of a change
// about it alone (split_by_service()). Returns the result, or nullopt when
// the change removes it (or it stays absent).
std::optional<VirtualService> service_after(const VirtualService* service, const ModelDiff& change);

}  // namespace xvs
