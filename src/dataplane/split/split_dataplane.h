// SplitDataplane: serves each virtual service from one of two planes, XDP
// where it can, IPVS for the rest (dataplane=auto).
//
// Contract (on top of Dataplane's):
//  - A service goes to the fast plane when fast.service_problems() has
//    nothing to say about it, else to the fallback plane. Only the services a
//    change lists are judged again, as they will be after the change: a
//    reload that changes a service's scheduler from wrr to lblc, or an xvsadm
//    -a that gives a wlc service its 257th real, moves it from XDP to IPVS.
//  - A move is one explicit step: the service, complete as it was, is removed
//    from the plane that served it, and added, complete as it will be, to the
//    other one, in the same apply(); its real entries in the change are not
//    passed on (the added service has them).
//  - Every other part of a change goes, untouched, to the plane that serves
//    its service: a change to a service on IPVS never reaches XDP, and the
//    other way round. The split plane keeps no copy of the model, only which
//    plane serves which service; what a service is now, it asks that plane
//    (programmed_service()).
//  - The fast plane never sees a fallback service, so it has no map entry for
//    its VIP and passes its packets to the stack, where IPVS takes them.
//  - All or nothing across both: the fast plane is applied first; when the
//    fallback plane then refuses, the fast plane's part is undone (inverse())
//    before the error is rethrown.
//  - status() is both planes' status sorted by service key (the order XDP
//    alone lists in), connections() both tables, zero_counters() both,
//    zero_service_counters() the plane serving that service.
//  - Every placement decision that changes (including the first) is reported
//    through `note` as one line, e.g. "TCP 10.0.0.1:80 served by ipvs:
//    scheduler lblc is not supported ...".
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
    std::vector<std::string> service_problems(const VirtualService& service) const override;
    void apply(const ModelDiff& change) override;
    const VirtualService* programmed_service(const ServiceKey& key) const override;
    std::vector<ServiceStatus> status() const override;
    std::unique_ptr<ConnectionCursor> connection_cursor() const override;
    void zero_counters() override;
    // Zeroes `service` on the plane that serves it now.
    void zero_service_counters(const ServiceKey& service) override;

    // The name of the plane serving `key` now, empty when none does.
    std::string plane_of(const ServiceKey& key) const override;

    // Which plane serves each service now (the placements of the last apply).
    enum class Side { fast, fallback };
    const std::map<ServiceKey, Side>& placement() const { return placement_; }

   private:
    Dataplane& plane(Side side) const { return side == Side::fast ? *fast_ : *fallback_; }
    // Where `service` goes, and why not on the fast plane when it cannot.
    Side place(const VirtualService& service, std::string& why_not_fast) const;

    std::unique_ptr<Dataplane> fast_;
    std::unique_ptr<Dataplane> fallback_;
    Note note_;
    std::map<ServiceKey, Side> placement_;

   public:
    // The fast plane's facts (the XDP program's), else the fallback's: in
    // dataplane=auto /metrics shows the XDP program's counters and tables.
    std::optional<XdpFacts> xdp_facts() const override;
    // The same values on both planes: set on both, the first put back when
    // the second refuses.
    void set_timeouts(const ConnectionTimeouts& change) override;
    ConnectionTimeouts timeouts() const override { return fast_->timeouts(); }
    // Both planes, the first put back when the second refuses.
    void set_behaviour(const IpvsBehaviour& behaviour) override;

   private:
    IpvsBehaviour behaviour_;  // what both planes were last given
};

}  // namespace xvs
