#include "dataplane/split/split_dataplane.h"

#include <algorithm>
#include <optional>

#include "model/diff.h"

namespace xvs {
namespace {

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : "; ") + i;
    return out;
}

}  // namespace

SplitDataplane::SplitDataplane(std::unique_ptr<Dataplane> fast,
                               std::unique_ptr<Dataplane> fallback, Note note)
    : fast_(std::move(fast)), fallback_(std::move(fallback)), note_(std::move(note)) {
    if (!fast_ || !fallback_) throw DataplaneError("SplitDataplane needs two planes");
}

std::string SplitDataplane::name() const { return fast_->name() + "+" + fallback_->name(); }

SplitDataplane::Side SplitDataplane::place(const VirtualService& service,
                                           std::string& why_not_fast) const {
    auto problems = fast_->service_problems(service);
    if (problems.empty()) return Side::fast;
    why_not_fast = join(problems);
    return Side::fallback;
}

std::vector<std::string> SplitDataplane::service_problems(const VirtualService& service) const {
    auto problems = fast_->service_problems(service);
    return problems.empty() ? problems : fallback_->service_problems(service);
}

std::vector<std::string> SplitDataplane::unsupported(const Model& model) const {
    // Judged one service at a time: a service must not leave the fast plane
    // because another one cannot be served there.
    Model fast_share, fallback_share;
    for (const auto& [key, svc] : model.services) {
        std::string why;
        (place(svc, why) == Side::fast ? fast_share : fallback_share).services.emplace(key, svc);
    }
    auto problems = fast_->unsupported(fast_share);
    auto more = fallback_->unsupported(fallback_share);
    problems.insert(problems.end(), more.begin(), more.end());
    return problems;
}

const VirtualService* SplitDataplane::programmed_service(const ServiceKey& key) const {
    auto it = placement_.find(key);
    return it == placement_.end() ? nullptr : plane(it->second).programmed_service(key);
}

void SplitDataplane::apply(const ModelDiff& change) {
    ModelDiff to_fast, to_fallback;
    auto part_of = [&](Side side) -> ModelDiff& { return side == Side::fast ? to_fast : to_fallback; };
    std::map<ServiceKey, std::optional<Side>> placed;  // the listed services after this apply
    std::vector<std::string> notes;
    for (auto& [key, part] : split_by_service(change)) {
        auto found = placement_.find(key);
        if (found != placement_.end() && only_weights_change(part)) {
            // The verdict does not depend on weights (service_problems()):
            // the health result's common case goes through as it is.
            part_of(found->second).append(std::move(part));
            placed[key] = found->second;
            continue;
        }
        std::optional<Side> was;
        if (found != placement_.end()) was = found->second;
        const VirtualService* before = was ? plane(*was).programmed_service(key) : nullptr;
        std::optional<VirtualService> after = service_after(before, part);
        std::optional<Side> now;
        std::string why_not_fast;
        if (after) now = place(*after, why_not_fast);
        if (was == now) {
            if (now) part_of(*now).append(std::move(part));
        } else {
            // A move: out of one plane complete as it was, into the other
            // complete as it will be.
            if (before) part_of(*was).removed_services.push_back(*before);
            if (after) {
                part_of(*now).added_services.push_back(*after);
                notes.push_back(key.to_string() + " served by " + plane(*now).name() +
                                (*now == Side::fallback ? ": " + why_not_fast : ""));
            }
        }
        placed[key] = now;
    }

    if (!to_fast.empty()) fast_->apply(to_fast);
    try {
        if (!to_fallback.empty()) fallback_->apply(to_fallback);
    } catch (const std::exception& e) {
        std::string what = e.what();
        try {
            if (!to_fast.empty()) fast_->apply(inverse(to_fast));
        } catch (const std::exception& undo) {
            throw DataplaneError(fallback_->name() + ": " + what + "; and undoing the " +
                                 fast_->name() + " part failed too: " + undo.what());
        }
        throw DataplaneError(fallback_->name() + ": " + what);
    }

    for (const auto& [key, side] : placed) {
        if (side)
            placement_[key] = *side;
        else
            placement_.erase(key);
    }
    if (note_)
        for (const auto& line : notes) note_(line);
}

std::vector<ServiceStatus> SplitDataplane::status() const {
    auto all = fast_->status();
    auto more = fallback_->status();
    all.insert(all.end(), std::make_move_iterator(more.begin()),
               std::make_move_iterator(more.end()));
    std::stable_sort(all.begin(), all.end(),
                     [](const ServiceStatus& a, const ServiceStatus& b) { return a.key < b.key; });
    return all;
}

namespace {

// One plane's table, then the other's.
class ChainedCursor : public ConnectionCursor {
   public:
    ChainedCursor(std::unique_ptr<ConnectionCursor> first, std::unique_ptr<ConnectionCursor> second)
        : first_(std::move(first)), second_(std::move(second)) {}
    bool next(std::vector<ConnectionEntry>& out, size_t max) override {
        if (first_) {
            if (first_->next(out, max)) return true;
            first_.reset();
            return true;
        }
        return second_->next(out, max);
    }

   private:
    std::unique_ptr<ConnectionCursor> first_, second_;
};

}  // namespace

std::unique_ptr<ConnectionCursor> SplitDataplane::connection_cursor() const {
    return std::make_unique<ChainedCursor>(fast_->connection_cursor(), fallback_->connection_cursor());
}

void SplitDataplane::zero_counters() {
    fast_->zero_counters();
    fallback_->zero_counters();
}

void SplitDataplane::zero_service_counters(const ServiceKey& service) {
    auto it = placement_.find(service);
    if (it == placement_.end()) throw DataplaneError(service.to_string() + ": No such service");
    plane(it->second).zero_service_counters(service);
}

std::string SplitDataplane::plane_of(const ServiceKey& key) const {
    auto it = placement_.find(key);
    return it == placement_.end() ? std::string() : plane(it->second).name();
}

void SplitDataplane::set_timeouts(const ConnectionTimeouts& change) {
    ConnectionTimeouts before = fast_->timeouts();
    fast_->set_timeouts(change);
    try {
        fallback_->set_timeouts(merge_timeouts(before, change));
    } catch (...) {
        fast_->set_timeouts(before);
        throw;
    }
}

void SplitDataplane::set_behaviour(const IpvsBehaviour& behaviour) {
    fast_->set_behaviour(behaviour);
    try {
        fallback_->set_behaviour(behaviour);
    } catch (...) {
        fast_->set_behaviour(behaviour_);
        throw;
    }
    behaviour_ = behaviour;
}

std::optional<XdpFacts> SplitDataplane::xdp_facts() const {
    if (auto facts = fast_->xdp_facts()) return facts;
    return fallback_->xdp_facts();
}

}  // namespace xvs
