#include "dataplane/split/split_dataplane.h"

#include <algorithm>

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

SplitDataplane::Shares SplitDataplane::split(const Model& model) const {
    Shares shares;
    for (const auto& [key, svc] : model.services) {
        // Judged one service at a time: a service must not leave the fast
        // plane because another one cannot be served there.
        Model alone;
        alone.services.emplace(key, svc);
        auto problems = fast_->unsupported(alone);
        if (problems.empty()) {
            shares.fast.services.emplace(key, svc);
        } else {
            shares.fallback.services.emplace(key, svc);
            shares.fallback_reasons.emplace(key, join(problems));
        }
    }
    return shares;
}

std::vector<std::string> SplitDataplane::unsupported(const Model& model) const {
    return fallback_->unsupported(split(model).fallback);
}

void SplitDataplane::apply(const ModelDiff&, const Model& next) {
    Shares shares = split(next);
    ModelDiff fast_change = diff(fast_share_, shares.fast);
    ModelDiff fallback_change = diff(fallback_share_, shares.fallback);

    fast_->apply(fast_change, shares.fast);
    try {
        fallback_->apply(fallback_change, shares.fallback);
    } catch (const std::exception& e) {
        std::string what = e.what();
        try {
            fast_->apply(diff(shares.fast, fast_share_), fast_share_);
        } catch (const std::exception& undo) {
            throw DataplaneError(fallback_->name() + ": " + what + "; and undoing the " +
                                 fast_->name() + " part failed too: " + undo.what());
        }
        throw DataplaneError(fallback_->name() + ": " + what);
    }

    if (note_) {
        for (const auto& [key, svc] : shares.fast.services)
            if (!fast_share_.services.count(key))
                note_(key.to_string() + " served by " + fast_->name());
        for (const auto& [key, svc] : shares.fallback.services)
            if (!fallback_share_.services.count(key))
                note_(key.to_string() + " served by " + fallback_->name() + ": " +
                      shares.fallback_reasons.at(key));
    }
    fast_share_ = std::move(shares.fast);
    fallback_share_ = std::move(shares.fallback);
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

std::vector<ConnectionEntry> SplitDataplane::connections() const {
    auto all = fast_->connections();
    auto more = fallback_->connections();
    all.insert(all.end(), std::make_move_iterator(more.begin()),
               std::make_move_iterator(more.end()));
    return all;
}

void SplitDataplane::zero_counters() {
    fast_->zero_counters();
    fallback_->zero_counters();
}

void SplitDataplane::zero_service_counters(const ServiceKey& service) {
    if (fast_share_.services.count(service))
        fast_->zero_service_counters(service);
    else if (fallback_share_.services.count(service))
        fallback_->zero_service_counters(service);
    else
        throw DataplaneError(service.to_string() + ": No such service");
}

std::string SplitDataplane::plane_of(const ServiceKey& key) const {
    if (fast_share_.services.count(key)) return fast_->name();
    if (fallback_share_.services.count(key)) return fallback_->name();
    return {};
}

std::optional<XdpFacts> SplitDataplane::xdp_facts() const {
    if (auto facts = fast_->xdp_facts()) return facts;
    return fallback_->xdp_facts();
}

}  // namespace xvs
