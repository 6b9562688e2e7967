#include "model/diff.h"

namespace xvs {

bool ModelDiff::empty() const { return size() == 0; }

namespace {

template <typename T>
void move_into(std::vector<T>& to, std::vector<T>& from) {
    if (to.empty()) {
        to = std::move(from);
        return;
    }
    to.insert(to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
}

}  // namespace

void ModelDiff::append(ModelDiff&& more) {
    move_into(added_services, more.added_services);
    move_into(removed_services, more.removed_services);
    move_into(changed_services, more.changed_services);
    move_into(added_reals, more.added_reals);
    move_into(removed_reals, more.removed_reals);
    move_into(changed_reals, more.changed_reals);
}

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

void diff_service(const VirtualService* before, const VirtualService* after, ModelDiff& out) {
    if (!before && !after) return;
    if (!before) {
        out.added_services.push_back(*after);
    } else if (!after) {
        out.removed_services.push_back(*before);
    } else {
        if (!before->same_settings(*after)) out.changed_services.push_back({*before, *after});
        diff_reals(*before, *after, out);
    }
}

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

bool only_weights_change(const ModelDiff& change) {
    if (!change.added_services.empty() || !change.removed_services.empty() ||
        !change.changed_services.empty() || !change.added_reals.empty() || !change.removed_reals.empty())
        return false;
    for (const auto& r : change.changed_reals) {
        RealServer same = r.after;
        same.weight = r.before.weight;
        same.configured_weight = r.before.configured_weight;
        if (!(same == r.before)) return false;
    }
    return true;
}

ModelDiff inverse(const ModelDiff& change) {
    ModelDiff out;
    out.added_services = change.removed_services;
    out.removed_services = change.added_services;
    for (const auto& c : change.changed_services) out.changed_services.push_back({c.after, c.before});
    out.added_reals = change.removed_reals;
    out.removed_reals = change.added_reals;
    for (const auto& r : change.changed_reals) out.changed_reals.push_back({r.service, r.after, r.before});
    return out;
}

std::set<ServiceKey> touched_services(const ModelDiff& change) {
    std::set<ServiceKey> keys;
    for (const auto& s : change.added_services) keys.insert(s.key);
    for (const auto& s : change.removed_services) keys.insert(s.key);
    for (const auto& s : change.changed_services) keys.insert(s.after.key);
    for (const auto& r : change.added_reals) keys.insert(r.service);
    for (const auto& r : change.removed_reals) keys.insert(r.service);
    for (const auto& r : change.changed_reals) keys.insert(r.service);
    return keys;
}

std::map<ServiceKey, ModelDiff> split_by_service(const ModelDiff& change) {
    std::map<ServiceKey, ModelDiff> parts;
    for (const auto& s : change.added_services) parts[s.key].added_services.push_back(s);
    for (const auto& s : change.removed_services) parts[s.key].removed_services.push_back(s);
    for (const auto& s : change.changed_services) parts[s.after.key].changed_services.push_back(s);
    for (const auto& r : change.added_reals) parts[r.service].added_reals.push_back(r);
    for (const auto& r : change.removed_reals) parts[r.service].removed_reals.push_back(r);
    for (const auto& r : change.changed_reals) parts[r.service].changed_reals.push_back(r);
    return parts;
}

namespace {

void set_settings(VirtualService& to, const VirtualService& from) {
    to.scheduler = from.scheduler;
    to.scheduler_flags = from.scheduler_flags;
    to.persistence = from.persistence;
    to.one_packet = from.one_packet;
    to.matches = from.matches;
}

}  // namespace

void apply_diff(Model& model, const ModelDiff& change) {
    for (const auto& s : change.removed_services) model.services.erase(s.key);
    for (const auto& s : change.added_services) model.services[s.key] = s;
    auto service = [&](const ServiceKey& key) -> VirtualService* {
        auto it = model.services.find(key);
        return it == model.services.end() ? nullptr : &it->second;
    };
    for (const auto& c : change.changed_services)
        if (auto* s = service(c.after.key)) set_settings(*s, c.after);
    for (const auto& r : change.removed_reals)
        if (auto* s = service(r.service)) s->reals.erase(r.real.key);
    for (const auto& r : change.added_reals)
        if (auto* s = service(r.service)) s->reals[r.real.key] = r.real;
    for (const auto& r : change.changed_reals)
        if (auto* s = service(r.service)) {
            if (!(r.before.key == r.after.key)) s->reals.erase(r.before.key);
            s->reals[r.after.key] = r.after;
        }
}

std::optional<VirtualService> service_after(const VirtualService* service, const ModelDiff& change) {
    // apply_diff() on a model of this one service: one set of rules for both.
    Model one;
    if (service) one.services.emplace(service->key, *service);
    apply_diff(one, change);
    if (one.services.empty()) return std::nullopt;
    return std::move(one.services.begin()->second);
}

}  // namespace xvs
