#include <catch2/catch.hpp>

#include "daemon/reconciler.h"
#include "fake_dataplane.h"

using namespace xvs;

namespace {

Model seed_model(uint32_t weight_of_second) {
    Model m;
    VirtualService s;
    s.key = ServiceKey::mark(100, Family::v4);
    s.persistence = {360, 32};
    for (auto [addr, w] : {std::pair{"192.168.239.129", 1u}, {"192.168.239.133", weight_of_second}}) {
        RealServer r;
        r.key = {*IpAddress::parse(addr), 0};
        r.method = ForwardMethod::masq;
        r.weight = r.configured_weight = w;
        s.reals[r.key] = r;
    }
    m.services[s.key] = s;
    return m;
}

}  // namespace

TEST_CASE("the reconciler applies only what changed", "[reconciler]") {
    testing::FakeDataplane plane;
    Reconciler reconciler(plane);
    ModelDiff first = reconciler.reconcile(seed_model(2));
    CHECK(first.added_services.size() == 1);
    CHECK(plane.model() == seed_model(2));

    ModelDiff second = reconciler.reconcile(seed_model(5));
    CHECK(second.size() == 1);
    CHECK(second.changed_reals.size() == 1);
    CHECK(summarize(second) == "1 real changed");

    int applies = plane.applies;
    ModelDiff none = reconciler.reconcile(seed_model(5));
    CHECK(none.empty());
    CHECK(plane.applies == applies);  // nothing sent for an unchanged model
    CHECK(summarize(none) == "no change");
}

TEST_CASE("a refused apply leaves the reconciler's model as the plane's", "[reconciler]") {
    testing::FakeDataplane plane;
    Reconciler reconciler(plane);
    reconciler.reconcile(seed_model(2));
    plane.refuse_next_apply = true;
    CHECK_THROWS_AS(reconciler.reconcile(seed_model(7)), DataplaneError);
    CHECK(reconciler.current() == seed_model(2));
    // The same change is tried again next time, not forgotten.
    ModelDiff retry = reconciler.reconcile(seed_model(7));
    CHECK(retry.changed_reals.size() == 1);
    CHECK(plane.model() == seed_model(7));
}

TEST_CASE("summaries count and pluralise every kind of change", "[reconciler]") {
    ModelDiff d;
    d.added_services.resize(1);
    d.removed_reals.resize(2);
    d.changed_reals.resize(3);
    CHECK(summarize(d) == "1 service added, 2 reals removed, 3 reals changed");
}
