// diff(): the changes between two models, in a deterministic order.
#include <catch2/catch.hpp>

#include "config/config.h"
#include "model/build.h"
#include "model/diff.h"

using namespace xvs;

namespace {

Model model_of(const std::string& text, const HealthView& health = {}) {
    return build_model(parse_config_text(text, "diff-test.cf"), health);
}

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

const std::string base =
    "virtual=10.0.0.1:80\n\treal=10.0.0.2 gate 1\n\treal=10.0.0.3 gate 2\n"
    "virtual=10.0.0.1:443\n\treal=10.0.0.2 gate 1\n";

}  // namespace

TEST_CASE("identical models give an empty diff") {
    ModelDiff d = diff(model_of(base), model_of(base));
    CHECK(d.empty());
    CHECK(d.size() == 0);
    CHECK(diff(Model{}, Model{}).empty());
}

TEST_CASE("added and removed services are listed complete with their reals") {
    Model before = model_of(base);
    Model after = model_of(base + "virtual=10.0.0.1:8080\n\treal=10.0.0.4 masq 5\n");
    ModelDiff added = diff(before, after);
    REQUIRE(added.added_services.size() == 1);
    CHECK(added.size() == 1);
    CHECK(added.added_services[0].key.port == 8080);
    CHECK(added.added_services[0].reals.size() == 1);
    ModelDiff removed = diff(after, before);
    REQUIRE(removed.removed_services.size() == 1);
    CHECK(removed.size() == 1);
    CHECK(removed.removed_services[0].reals.size() == 1);
}

TEST_CASE("changed service settings are listed without touching unchanged reals") {
    ModelDiff d = diff(model_of(base), model_of(
        "virtual=10.0.0.1:80\n\treal=10.0.0.2 gate 1\n\treal=10.0.0.3 gate 2\n\tscheduler=rr\n\tpersistent=60\n"
        "virtual=10.0.0.1:443\n\treal=10.0.0.2 gate 1\n"));
    REQUIRE(d.changed_services.size() == 1);
    CHECK(d.size() == 1);
    CHECK(d.changed_services[0].before.scheduler == "wrr");
    CHECK(d.changed_services[0].after.scheduler == "rr");
    CHECK(d.changed_services[0].after.persistence.timeout == 60);
}

TEST_CASE("added, removed and changed reals in a kept service") {
    ModelDiff d = diff(model_of(base), model_of(
        "virtual=10.0.0.1:80\n\treal=10.0.0.3 masq 7\n\treal=10.0.0.5 gate 1\n"
        "virtual=10.0.0.1:443\n\treal=10.0.0.2 gate 1\n"));
    CHECK(d.size() == 3);
    REQUIRE(d.removed_reals.size() == 1);
    CHECK(d.removed_reals[0].real.key.address == ip("10.0.0.2"));
    CHECK(d.removed_reals[0].service.port == 80);
    REQUIRE(d.added_reals.size() == 1);
    CHECK(d.added_reals[0].real.key.address == ip("10.0.0.5"));
    REQUIRE(d.changed_reals.size() == 1);
    CHECK(d.changed_reals[0].before.weight == 2);
    CHECK(d.changed_reals[0].after.weight == 7);
    CHECK(d.changed_reals[0].before.method == ForwardMethod::gate);
    CHECK(d.changed_reals[0].after.method == ForwardMethod::masq);
}

TEST_CASE("a health flip with quiescent=yes is one weight change") {
    const std::string text = "quiescent=yes\n" + base;
    HealthView down;
    down.set_down(ServiceKey::tcp_udp(Protocol::tcp, ip("10.0.0.1"), 80), RealKey{ip("10.0.0.3"), 80}, true);
    ModelDiff d = diff(model_of(text), model_of(text, down));
    REQUIRE(d.size() == 1);
    REQUIRE(d.changed_reals.size() == 1);
    CHECK(d.changed_reals[0].after.weight == 0);
    CHECK(d.changed_reals[0].after.configured_weight == 2);
}

TEST_CASE("diff lists changes in key order whatever the file order") {
    Model before;
    Model after = model_of("virtual=10.0.0.9:80\n\treal=10.0.0.2 gate\n"
                           "virtual=10.0.0.1:80\n\treal=10.0.0.4 gate\n\treal=10.0.0.3 gate\n"
                           "virtual=10.0.0.5:80\n");
    ModelDiff d = diff(before, after);
    REQUIRE(d.added_services.size() == 3);
    CHECK(d.added_services[0].key.address == ip("10.0.0.1"));
    CHECK(d.added_services[1].key.address == ip("10.0.0.5"));
    CHECK(d.added_services[2].key.address == ip("10.0.0.9"));

    Model grown = model_of("virtual=10.0.0.9:80\n\treal=10.0.0.2 gate\n\treal=10.0.0.8 gate\n"
                           "virtual=10.0.0.1:80\n\treal=10.0.0.7 gate\n\treal=10.0.0.4 gate\n\treal=10.0.0.3 gate\n"
                           "virtual=10.0.0.5:80\n");
    ModelDiff reals = diff(after, grown);
    REQUIRE(reals.added_reals.size() == 2);
    CHECK(reals.added_reals[0].real.key.address == ip("10.0.0.7"));  // service 10.0.0.1 first
    CHECK(reals.added_reals[1].real.key.address == ip("10.0.0.8"));
}

TEST_CASE("applying a diff's lists to the old model gives the new one") {
    Model before = model_of(base + "virtual=10.0.0.1:25\n\treal=10.0.0.6 gate\n");
    Model after = model_of("virtual=10.0.0.1:80\n\treal=10.0.0.3 masq 7\n\treal=10.0.0.5 gate 1\n\tscheduler=lc\n"
                           "virtual=10.0.0.1:8080\n\treal=10.0.0.4 gate\n");
    ModelDiff d = diff(before, after);
    Model rebuilt = before;
    for (const auto& s : d.removed_services) rebuilt.services.erase(s.key);
    for (const auto& s : d.added_services) rebuilt.services[s.key] = s;
    for (const auto& c : d.changed_services) {
        auto reals = rebuilt.services[c.after.key].reals;
        rebuilt.services[c.after.key] = c.after;
        rebuilt.services[c.after.key].reals = reals;
    }
    for (const auto& r : d.removed_reals) rebuilt.services[r.service].reals.erase(r.real.key);
    for (const auto& r : d.added_reals) rebuilt.services[r.service].reals[r.real.key] = r.real;
    for (const auto& r : d.changed_reals) rebuilt.services[r.service].reals[r.after.key] = r.after;
    CHECK(rebuilt == after);
}

TEST_CASE("apply_diff, service_after and inverse move models along a change and back") {
    Model before = model_of(base + "virtual=10.0.0.1:8080\n\treal=10.0.0.4 masq 5\n");
    Model after = model_of(
        "virtual=10.0.0.1:80\n\tscheduler=rr\n\treal=10.0.0.2 gate 3\n\treal=10.0.0.5 gate 2\n"
        "virtual=10.0.0.1:9090\n\treal=10.0.0.6 gate 1\n");
    ModelDiff change = diff(before, after);
    Model moved = before;
    apply_diff(moved, change);
    CHECK(moved == after);
    apply_diff(moved, inverse(change));
    CHECK(moved == before);

    auto parts = split_by_service(change);
    CHECK(parts.size() == 4);  // :80 changed, :443 and :8080 removed, :9090 added
    size_t listed = 0;
    for (const auto& [key, part] : parts) {
        listed += part.size();
        CHECK(touched_services(part) == std::set<ServiceKey>{key});
        auto b = before.services.find(key);
        auto result = service_after(b == before.services.end() ? nullptr : &b->second, part);
        auto a = after.services.find(key);
        REQUIRE(result.has_value() == (a != after.services.end()));
        if (result) CHECK(*result == a->second);
    }
    CHECK(listed == change.size());
}

TEST_CASE("diff_service gives the part of diff() about one service") {
    Model before = model_of(base);
    Model after = model_of(
        "virtual=10.0.0.1:80\n\treal=10.0.0.2 gate 4\n\treal=10.0.0.3 gate 2\n"
        "virtual=10.0.0.1:443\n\treal=10.0.0.2 gate 1\n");
    ModelDiff whole = diff(before, after);
    ModelDiff one;
    for (const auto& [key, s] : before.services) diff_service(&s, &after.services.at(key), one);
    CHECK(one.size() == whole.size());
    CHECK(one.changed_reals.size() == 1);
    ModelDiff gone;
    diff_service(&before.services.begin()->second, nullptr, gone);
    CHECK(gone.removed_services.size() == 1);
    CHECK(gone.size() == 1);
    ModelDiff none;
    diff_service(nullptr, nullptr, none);
    CHECK(none.empty());
}

TEST_CASE("only_weights_change tells a weight change from anything else") {
    Model before = model_of(base);
    Model heavier = model_of(
        "virtual=10.0.0.1:80\n\treal=10.0.0.2 gate 4\n\treal=10.0.0.3 gate 2\n"
        "virtual=10.0.0.1:443\n\treal=10.0.0.2 gate 1\n");
    CHECK(only_weights_change(diff(before, heavier)));
    CHECK(only_weights_change(ModelDiff{}));
    Model masq = model_of(
        "virtual=10.0.0.1:80\n\treal=10.0.0.2 masq 1\n\treal=10.0.0.3 gate 2\n"
        "virtual=10.0.0.1:443\n\treal=10.0.0.2 gate 1\n");
    CHECK_FALSE(only_weights_change(diff(before, masq)));
    Model fewer = model_of("virtual=10.0.0.1:80\n\treal=10.0.0.2 gate 1\n"
                           "virtual=10.0.0.1:443\n\treal=10.0.0.2 gate 1\n");
    CHECK_FALSE(only_weights_change(diff(before, fewer)));
    CHECK_FALSE(only_weights_change(diff(before, Model{})));
}
