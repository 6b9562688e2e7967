// SplitDataplane: serves each virtual service from one of two planes, XDP
// where it can, IPVS for the rest (dataplane=auto).
//
// Contract (on top of Dataplane's):
//  - A service goes to the fast plane when fast.unsupported() has nothing to
//    say about it alone, else to the fallback plane. The decision is remade on
//    every apply(): a reload that changes a service's scheduler from wrr to
//    wlc moves it from XDP to IPVS (removed from one, added to the other in the
//    same apply()).
//  - The fast plane never sees a fallback service, so it has no map entry for
//    its VIP and passes its packets to the stack, where IPVS takes them.
//  - apply() ignores the caller's diff and diffs each plane's share of the
//    model against what that plane last applied, so each plane only sees the
//    services it serves. All or nothing across both: the fast plane is applied
//    first; when the fallback plane then refuses, the fast plane is put back to
//    its previous share before the error is rethrown.
//  - status() is both planes' status sorted by service key (the order XDP
//    alone lists in), connections() both tables, zero_counters() both,
//    zero_service_counters() the plane serving that service.
//  - Every placement decision that changes (including the first) is reported
//    through `note` as one line, e.g. "TCP 10.0.0.1:80 served by ipvs:
//    scheduler wlc is not supported ...".
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dataplane/dataplane.h"

namespace xvs {

class SplitDataplane final : public Dataplane {
   public:
    using Note = std::function<void(const std::string&)>;

    SplitDataplane(std::unique_ptr<Dataplane> fast, std::unique_ptr<Dataplane> fallback,
                   Note note = {});

    // "xdp+ipvs": both names.
    std::string name() const override;
    // What neither plane can serve: the fallback plane's verdict on the
    // services the fast plane refuses.
    std::vector<std::string> unsupported(const Model& model) const override;
    void apply(const ModelDiff& change, const Model& next) override;
    std::vector<ServiceStatus> status() const override;
    std::vector<ConnectionEntry> connections() const override;
    void zero_counters() override;
    // Zeroes `service` on the plane that serves it now.
    void zero_service_counters(const ServiceKey& service) override;

    // The name of the plane serving `key` now, empty when none does.
    std::string plane_of(const ServiceKey& key) const override;

    // The two shares of `model`: what the fast plane can serve and the rest.
    struct Shares {
        Model fast;
        Model fallback;
        std::map<ServiceKey, std::string> fallback_reasons;  // why not on the fast plane
    };
    Shares split(const Model& model) const;

   private:
    std::unique_ptr<Dataplane> fast_;
    std::unique_ptr<Dataplane> fallback_;
    Note note_;
    Model fast_share_;      // what fast_ last applied
    Model fallback_share_;  // what fallback_ last applied

   public:
    // The fast plane's facts (the XDP program's), else the fallback's: in
    // dataplane=auto /metrics shows the XDP program's counters and tables.
    std::optional<XdpFacts> xdp_facts() const override;
};

}  // namespace xvs
