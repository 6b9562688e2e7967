#include "model/diff.h"

namespace xvs {

bool ModelDiff::empty() const { return size() == 0; }

size_t ModelDiff::size() const {
    return added_services.size() + removed_services.size() + changed_services.size() +
           added_reals.size() + removed_reals.size() + changed_reals.size();
}

ModelDiff diff(const Model&, const Model&) { return {}; }  // filled in by the model work

}  // namespace xvs
