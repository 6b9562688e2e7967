#include "daemon/reconciler.h"

namespace xvs {
namespace {

void add_part(std::string& out, size_t count, const char* noun, const char* verb) {
    if (count == 0) return;
    if (!out.empty()) out += ", ";
    out += std::to_string(count) + " " + noun + (count == 1 ? "" : "s") + " " + verb;
}

}  // namespace

std::string summarize(const ModelDiff& change) {
    std::string out;
    add_part(out, change.added_services.size(), "service", "added");
    add_part(out, change.removed_services.size(), "service", "removed");
    add_part(out, change.changed_services.size(), "service", "changed");
    add_part(out, change.added_reals.size(), "real", "added");
    add_part(out, change.removed_reals.size(), "real", "removed");
    add_part(out, change.changed_reals.size(), "real", "changed");
    return out.empty() ? "no change" : out;
}

ModelDiff Reconciler::reconcile(const Model& next) {
    ModelDiff change = diff(current_, next);
    if (!change.empty()) {
        ++applies_;
        plane_.apply(change);
    }
    current_ = next;
    return change;
}

void Reconciler::apply(const ModelDiff& change) {
    if (change.empty()) return;
    ++applies_;
    plane_.apply(change);
    apply_diff(current_, change);
}

const VirtualService* Reconciler::service(const ServiceKey& key) const {
    auto it = current_.services.find(key);
    return it == current_.services.end() ? nullptr : &it->second;
}

}  // namespace xvs
