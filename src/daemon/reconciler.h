// Reconciler: holds the model the data plane serves and moves it along each
// change.
//
// apply() takes a change made where the event is known (a health result, an
// xvsadm edit: model/diff.h) and costs what the change costs; reconcile()
// diffs whole models, for a reload, -C, the start and the stop.
// The data plane's apply() is all or nothing, so when it throws the
// reconciler keeps its current model: what it believes is programmed stays
// what is programmed.
#pragma once

#include <cstdint>
#include <string>

#include "dataplane/dataplane.h"
#include "model/diff.h"
#include "model/model.h"

namespace xvs {

// "1 service added, 2 reals changed"; "no change" for an empty diff.
std::string summarize(const ModelDiff& change);

class Reconciler {
   public:
    explicit Reconciler(Dataplane& plane) : plane_(plane) {}

    // Applies diff(current, next); returns it. Throws DataplaneError (state
    // unchanged) when the data plane refuses.
    ModelDiff reconcile(const Model& next);
    // Applies `change` (whose "before" is current()); an empty one is not
    // passed on. Throws as reconcile().
    void apply(const ModelDiff& change);
    const Model& current() const { return current_; }
    // The service as it is programmed now, or null.
    const VirtualService* service(const ServiceKey& key) const;
    // Data plane applies so far (an empty change is none).
    uint64_t applies() const { return applies_; }

   private:
    Dataplane& plane_;
    Model current_;
    uint64_t applies_ = 0;
};

}  // namespace xvs
