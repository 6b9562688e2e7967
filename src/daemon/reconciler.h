// Reconciler: holds the model the data plane serves and moves it to the next
// one by applying only the difference.
//
// apply() on the data plane is all or nothing, so when it throws the
// reconciler keeps its current model: what it believes is programmed stays
// what is programmed.
#pragma once

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
    const Model& current() const { return current_; }

   private:
    Dataplane& plane_;
    Model current_;
};

}  // namespace xvs
