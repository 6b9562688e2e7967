#include "model/diff.h"

namespace xvs {

bool ModelDiff::empty() const { return size() == 0; }

size_t ModelDiff::size() const {
    return added_services.size() + removed_services.size() + changed_services.size() +
           added_reals.size() + removed_reals.size() + changed_reals.size();
}

namespace {

void diff_reals(const VirtualService& before, const VirtualService& after, ModelDiff& out) {
    // Both maps are ordered by RealKey: one merge walk, deterministic output.
    auto b = before.reals.begin();
    auto a = after.reals.begin();
    while (b != before.reals.end() || a != after.reals.end()) {
        if (a == after.reals.end() || (b != before.reals.end() && b->first < a->first)) {
            out.removed_reals.push_back({before.key, b->second});
            ++b;
        } else if (b == before.reals.end() || a->first < b->first) {
            out.added_reals.push_back({after.key, a->second});
            ++a;
        } else {
            if (b->second != a->second) out.changed_reals.push_back({after.key, b->second, a->second});
            ++b;
            ++a;
        }
    }
}

}  // namespace

ModelDiff diff(const Model& before, const Model& after) {
    ModelDiff out;
    auto b = before.services.begin();
    auto a = after.services.begin();
    while (b != before.services.end() || a != after.services.end()) {
        if (a == after.services.end() || (b != before.services.end() && b->first < a->first)) {
            out.removed_services.push_back(b->second);
            ++b;
        } else if (b == before.services.end() || a->first < b->first) {
            out.added_services.push_back(a->second);
            ++a;
        } else {
            if (!b->second.same_settings(a->second)) out.changed_services.push_back({b->second, a->second});
            diff_reals(b->second, a->second, out);
            ++b;
            ++a;
        }
    }
    return out;
}

}  // namespace xvs
