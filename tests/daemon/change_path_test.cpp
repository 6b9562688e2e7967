// The change path from each kind of event to the change a data plane gets:
// a health result, a burst of them, an xvsadm edit, a reload. Each must give
// exactly the change the event means and nothing about other services.
#include <catch2/catch.hpp>

#include <string>

#include "config/config.h"
#include "daemon/desired_state.h"
#include "daemon/health_batch.h"
#include "daemon/health_bridge.h"
#include "daemon/reconciler.h"
#include "fake_dataplane.h"

using namespace xvs;

namespace {

IpAddress ip(const std::string& text) { return *IpAddress::parse(text); }

ServiceKey vip(int n) { return ServiceKey::tcp_udp(Protocol::tcp, ip("10.1.0." + std::to_string(n)), 80); }
RealKey rip(int n) { return RealKey{ip("10.2.0." + std::to_string(n)), 80}; }

// `services` virtuals of `reals` reals each, checked (connect), with the
// given quiescent= and an optional fallback.
std::string config_text(int services, int reals, const std::string& quiescent,
                        const std::string& fallback = "") {
    std::string text = "quiescent=" + quiescent + "\n";
    for (int v = 1; v <= services; ++v) {
        text += "virtual=10.1.0." + std::to_string(v) + ":80\n\tchecktype=connect\n" + fallback;
        for (int r = 1; r <= reals; ++r) text += "\treal=10.2.0." + std::to_string(r) + ":80 gate 3\n";
    }
    return text;
}

// A director's control plane without the daemon: desired state, health,
// reconciler and a plane that records what it is given.
struct ControlPlane {
    explicit ControlPlane(const std::string& text)
        : desired(parse_config_text(text, "change.cf")), reconciler(plane) {
        checks = health.set_plan(plan_health_checks(desired.config()));
        for (const auto& [id, spec] : checks) ids[{spec.virtual_host_arg, spec.address.to_string()}] = id;
    }
    // Every checked real up, applied as the start does (a whole model).
    void all_up() {
        std::vector<StateChange> changes;
        for (const auto& [id, spec] : checks) changes.push_back({id, true, true, true, 1, "up", 0});
        health.apply(changes);
        reconciler.reconcile(desired.model(health.view()));
    }
    StateChange result(int service, int real, bool up) {
        return {ids.at({"10.1.0." + std::to_string(service), "10.2.0." + std::to_string(real)}), up, true, false, 2,
                up ? "connected" : "connection refused", 0};
    }
    // Results through the bridge, then one change for what they touched.
    ModelDiff deliver(const std::vector<StateChange>& results) {
        std::set<ServiceKey> touched;
        health.apply(results, &touched);
        ModelDiff change = desired.change_for(touched, health.view(), reconciler);
        reconciler.apply(change);
        return change;
    }

    testing::FakeDataplane plane;
    DesiredState desired;
    HealthBridge health;
    Reconciler reconciler;
    std::vector<std::pair<SubscriberId, CheckSpec>> checks;
    std::map<std::pair<std::string, std::string>, SubscriberId> ids;
};

}  // namespace

TEST_CASE("a failed real of a quiescent virtual is one weight change to 0, nothing else", "[change]") {
    ControlPlane cp(config_text(20, 10, "yes"));
    cp.all_up();
    int applies = cp.plane.applies;
    ModelDiff change = cp.deliver({cp.result(7, 3, false)});
    REQUIRE(change.size() == 1);
    REQUIRE(change.changed_reals.size() == 1);
    CHECK(change.changed_reals[0].service == vip(7));
    CHECK(change.changed_reals[0].after.key == rip(3));
    CHECK(change.changed_reals[0].before.weight == 3);
    CHECK(change.changed_reals[0].after.weight == 0);
    CHECK(cp.plane.applies == applies + 1);
    CHECK(cp.plane.last_change_size == 1);
    CHECK(cp.plane.model() == cp.desired.model(cp.health.view()));
}

TEST_CASE("a failed real of a non-quiescent virtual is one removal, its recovery one addition", "[change]") {
    ControlPlane cp(config_text(5, 4, "no"));
    cp.all_up();
    ModelDiff gone = cp.deliver({cp.result(2, 4, false)});
    REQUIRE(gone.size() == 1);
    REQUIRE(gone.removed_reals.size() == 1);
    CHECK(gone.removed_reals[0].service == vip(2));
    CHECK(gone.removed_reals[0].real.key == rip(4));
    ModelDiff back = cp.deliver({cp.result(2, 4, true)});
    REQUIRE(back.size() == 1);
    REQUIRE(back.added_reals.size() == 1);
    CHECK(back.added_reals[0].real.weight == 3);
    CHECK(cp.plane.model() == cp.desired.model(cp.health.view()));
}

TEST_CASE("the last real failing puts the fallback in, in the same change", "[change]") {
    ControlPlane cp(config_text(3, 2, "no", "\tfallback=127.0.0.1:80 gate\n"));
    cp.all_up();
    CHECK(cp.deliver({cp.result(1, 1, false)}).size() == 1);
    ModelDiff last = cp.deliver({cp.result(1, 2, false)});
    CHECK(last.removed_reals.size() == 1);
    REQUIRE(last.added_reals.size() == 1);
    CHECK(last.added_reals[0].real.is_fallback);
    CHECK(last.size() == 2);
    CHECK(fallback_transitions(last) ==
          std::vector<std::string>{"TCP 10.1.0.1:80: fallback 127.0.0.1:80 on (no real is up)"});
}

TEST_CASE("a result that changes nothing the plane serves is no apply", "[change]") {
    ControlPlane cp(config_text(2, 2, "yes"));
    cp.all_up();
    int applies = cp.plane.applies;
    ModelDiff change = cp.deliver({cp.result(1, 1, true)});  // already up
    CHECK(change.empty());
    CHECK(cp.plane.applies == applies);
}

TEST_CASE("a burst of results across many services is one apply listing only the reals that changed",
          "[change]") {
    ControlPlane cp(config_text(50, 10, "yes"));
    cp.all_up();
    int applies = cp.plane.applies;
    // A rack: real 4 of every service, and 5 of the first ten.
    std::vector<StateChange> burst;
    for (int v = 1; v <= 50; ++v) burst.push_back(cp.result(v, 4, false));
    for (int v = 1; v <= 10; ++v) burst.push_back(cp.result(v, 5, false));
    ModelDiff change = cp.deliver(burst);
    CHECK(cp.plane.applies == applies + 1);
    CHECK(change.changed_reals.size() == 60);
    CHECK(change.size() == 60);
    CHECK(cp.plane.model() == cp.desired.model(cp.health.view()));
}

TEST_CASE("results arriving within the batch window are one batch", "[change]") {
    HealthBatch batch(std::chrono::milliseconds(20));
    auto t0 = HealthBatch::Clock::now();
    CHECK_FALSE(batch.pending());
    CHECK(batch.timeout_ms(t0) == -1);
    batch.add({}, t0);  // a result that touched nothing starts no batch
    CHECK_FALSE(batch.pending());
    batch.add({vip(1)}, t0);
    CHECK(batch.timeout_ms(t0) == 20);
    batch.add({vip(2)}, t0 + std::chrono::milliseconds(15));  // does not push the due time
    CHECK_FALSE(batch.due(t0 + std::chrono::milliseconds(19)));
    CHECK(batch.timeout_ms(t0 + std::chrono::milliseconds(15)) == 5);
    CHECK(batch.due(t0 + std::chrono::milliseconds(20)));
    CHECK(batch.timeout_ms(t0 + std::chrono::milliseconds(25)) == 0);
    CHECK(batch.take() == std::set<ServiceKey>{vip(1), vip(2)});
    CHECK_FALSE(batch.pending());
    batch.add({vip(3)}, t0 + std::chrono::milliseconds(30));
    CHECK(batch.take() == std::set<ServiceKey>{vip(3)});
}

TEST_CASE("an xvsadm edit changes only its service", "[change]") {
    ControlPlane cp(config_text(10, 3, "yes"));
    cp.all_up();
    auto& edits = cp.desired.edits();

    RealServer heavier = cp.reconciler.service(vip(4))->reals.at(rip(2));
    heavier.weight = heavier.configured_weight = 9;
    auto base = cp.desired.configured(vip(4), cp.health.view());
    edits.edit_real(&*base, vip(4), heavier);
    ModelDiff edit = cp.desired.change_for({vip(4)}, cp.health.view(), cp.reconciler);
    REQUIRE(edit.size() == 1);
    REQUIRE(edit.changed_reals.size() == 1);
    CHECK(edit.changed_reals[0].after.weight == 9);
    cp.reconciler.apply(edit);

    RealServer added;
    added.key = RealKey{ip("10.3.0.1"), 80};
    edits.add_real(&*base, vip(4), added);
    ModelDiff add = cp.desired.change_for({vip(4)}, cp.health.view(), cp.reconciler);
    REQUIRE(add.size() == 1);
    CHECK(add.added_reals.size() == 1);
    cp.reconciler.apply(add);

    control::ServiceSettings settings;
    settings.scheduler = "sh";
    edits.edit_service(&*base, vip(4), settings);
    ModelDiff edited = cp.desired.change_for({vip(4)}, cp.health.view(), cp.reconciler);
    REQUIRE(edited.size() == 1);
    CHECK(edited.changed_services.size() == 1);
    CHECK(edited.changed_services[0].after.scheduler == "sh");
    cp.reconciler.apply(edited);

    edits.delete_service(&*base, vip(4));
    ModelDiff deleted = cp.desired.change_for({vip(4)}, cp.health.view(), cp.reconciler);
    REQUIRE(deleted.size() == 1);
    CHECK(deleted.removed_services.size() == 1);
    cp.reconciler.apply(deleted);

    auto other = vip(99);
    edits.add_service(nullptr, other, settings);
    ModelDiff defined = cp.desired.change_for({other}, cp.health.view(), cp.reconciler);
    REQUIRE(defined.size() == 1);
    CHECK(defined.added_services.size() == 1);
    cp.reconciler.apply(defined);
    CHECK(cp.plane.model() == cp.desired.model(cp.health.view()));
}

TEST_CASE("an edit the plane refuses is put back with the service's own edits", "[change]") {
    ControlPlane cp(config_text(2, 2, "yes"));
    cp.all_up();
    auto& edits = cp.desired.edits();
    auto base = cp.desired.configured(vip(1), cp.health.view());
    RealServer added;
    added.key = RealKey{ip("10.3.0.1"), 80};
    edits.add_real(&*base, vip(1), added);
    cp.reconciler.apply(cp.desired.change_for({vip(1)}, cp.health.view(), cp.reconciler));

    auto saved = edits.save(vip(1));
    edits.delete_real(&*base, vip(1), added.key);
    cp.plane.refuse_next_apply = true;
    CHECK_THROWS_AS(cp.reconciler.apply(cp.desired.change_for({vip(1)}, cp.health.view(), cp.reconciler)),
                    DataplaneError);
    edits.restore(saved);
    CHECK(cp.desired.change_for({vip(1)}, cp.health.view(), cp.reconciler).empty());
    CHECK(cp.reconciler.current() == cp.desired.model(cp.health.view()));
}

TEST_CASE("a health result of a real xvsadm edited keeps following health", "[change]") {
    ControlPlane cp(config_text(2, 2, "yes"));
    cp.all_up();
    auto base = cp.desired.configured(vip(2), cp.health.view());
    RealServer heavier = base->reals.at(rip(1));
    heavier.weight = heavier.configured_weight = 8;
    cp.desired.edits().edit_real(&*base, vip(2), heavier);
    cp.reconciler.apply(cp.desired.change_for({vip(2)}, cp.health.view(), cp.reconciler));
    ModelDiff down = cp.deliver({cp.result(2, 1, false)});
    REQUIRE(down.changed_reals.size() == 1);
    CHECK(down.changed_reals[0].after.weight == 0);
    ModelDiff up = cp.deliver({cp.result(2, 1, true)});
    REQUIRE(up.changed_reals.size() == 1);
    CHECK(up.changed_reals[0].after.weight == 8);
}

TEST_CASE("one service of the edits is the same as that service of the whole model", "[change]") {
    ControlPlane cp(config_text(6, 3, "no"));
    cp.all_up();
    auto& edits = cp.desired.edits();
    control::ServiceSettings settings;
    settings.scheduler = "rr";
    edits.add_service(nullptr, vip(40), settings);
    edits.delete_service(cp.reconciler.service(vip(2)), vip(2));
    RealServer extra;
    extra.key = RealKey{ip("10.3.0.9"), 80};
    edits.add_real(cp.reconciler.service(vip(3)), vip(3), extra);
    cp.deliver({cp.result(3, 2, false)});
    Model whole = cp.desired.model(cp.health.view());
    for (int v : {1, 2, 3, 4, 5, 6, 40}) {
        auto one = cp.desired.service(vip(v), cp.health.view());
        auto it = whole.services.find(vip(v));
        CHECK(one.has_value() == (it != whole.services.end()));
        if (one && it != whole.services.end()) CHECK(*one == it->second);
    }
}

TEST_CASE("a reload's change is the whole diff", "[change]") {
    ControlPlane cp(config_text(4, 2, "yes"));
    cp.all_up();
    DesiredState next(parse_config_text(config_text(5, 2, "yes"), "change.cf"));
    ModelDiff change = cp.reconciler.reconcile(next.model(cp.health.view()));
    REQUIRE(change.added_services.size() == 1);
    CHECK(change.size() == 1);  // the new virtual's reals are unknown: quiesced inside it
}

TEST_CASE("a health result looks only at its own service", "[change]") {
    ControlPlane cp(config_text(10, 3, "yes"));
    cp.all_up();
    // Service 2 differs from what is programmed (an edit not yet applied):
    // a change built for service 7's result must not carry it.
    auto base = cp.desired.configured(vip(2), cp.health.view());
    cp.desired.edits().delete_service(&*base, vip(2));
    ModelDiff change = cp.deliver({cp.result(7, 1, false)});
    CHECK(touched_services(change) == std::set<ServiceKey>{vip(7)});
    CHECK(cp.reconciler.service(vip(2)) != nullptr);
}
