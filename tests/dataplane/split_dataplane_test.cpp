// SplitDataplane with two recording planes: which services each plane is
// given, the merged listings, and all-or-nothing apply across both.
#include <catch2/catch.hpp>
#include <set>

#include "dataplane/split/split_dataplane.h"
#include "model/diff.h"

namespace xvs {
namespace {

// Moves its model along each change it is given and records the changes;
// refuses the schedulers in `refused` and reals with connection thresholds,
// and fails apply() while `fail_apply` is set.
class RecordingPlane : public Dataplane {
   public:
    RecordingPlane(std::string name, std::set<std::string> refused)
        : name_(std::move(name)), refused_(std::move(refused)) {}

    std::string name() const override { return name_; }
    std::vector<std::string> unsupported(const Model& model) const override {
        std::vector<std::string> out;
        for (const auto& [key, svc] : model.services) {
            if (refused_.count(svc.scheduler)) out.push_back(key.to_string() + ": " + svc.scheduler);
            for (const auto& [rk, r] : svc.reals)
                if (r.upper_threshold && refused_.count("thresholds"))
                    out.push_back(key.to_string() + ": thresholds");
        }
        return out;
    }
    void apply(const ModelDiff& change) override {
        if (fail_apply) throw DataplaneError(name_ + " refused");
        // Every part of the change must be about what this plane holds.
        for (const auto& s : change.removed_services) REQUIRE(model.services.count(s.key));
        for (const auto& s : change.added_services) REQUIRE_FALSE(model.services.count(s.key));
        for (const auto& r : change.changed_reals) REQUIRE(model.services.at(r.service).reals.count(r.before.key));
        for (const auto& r : change.removed_reals) REQUIRE(model.services.at(r.service).reals.count(r.real.key));
        apply_diff(model, change);
        received.push_back(change);
        ++applies;
    }
    const VirtualService* programmed_service(const ServiceKey& key) const override {
        auto it = model.services.find(key);
        return it == model.services.end() ? nullptr : &it->second;
    }
    std::vector<ServiceStatus> status() const override {
        std::vector<ServiceStatus> out;
        for (const auto& [key, svc] : model.services) {
            ServiceStatus st;
            st.key = key;
            st.scheduler = svc.scheduler;
            out.push_back(st);
        }
        return out;
    }
    // One entry per service, read when the cursor is first driven.
    std::unique_ptr<ConnectionCursor> connection_cursor() const override {
        std::vector<ConnectionEntry> out;
        for (const auto& [key, svc] : model.services) {
            ConnectionEntry c;
            c.virtual_address = key.address;
            c.virtual_port = key.port;
            out.push_back(c);
        }
        return std::make_unique<ReadOnceCursor>([out] { return out; });
    }
    void zero_counters() override { ++zeroed; }
    void zero_service_counters(const ServiceKey& key) override { zeroed_services.push_back(key); }

    Model model;
    std::vector<ModelDiff> received;
    bool fail_apply = false;
    bool fail_timeouts = false;
    ConnectionTimeouts timeouts_now;
    void set_timeouts(const ConnectionTimeouts& change) override {
        if (fail_timeouts) throw DataplaneError(name_ + " refused the timeouts");
        timeouts_now = merge_timeouts(timeouts_now, change);
    }
    ConnectionTimeouts timeouts() const override { return timeouts_now; }
    int applies = 0;
    int zeroed = 0;
    std::vector<ServiceKey> zeroed_services;

   private:
    std::string name_;
    std::set<std::string> refused_;
};

VirtualService service(const std::string& vip, uint16_t port, const std::string& scheduler) {
    VirtualService svc;
    svc.key = ServiceKey::tcp_udp(Protocol::tcp, *IpAddress::parse(vip), port);
    svc.scheduler = scheduler;
    RealServer real;
    real.key = RealKey{*IpAddress::parse("10.0.2.11"), port};
    svc.reals.emplace(real.key, real);
    return svc;
}

Model model_of(std::initializer_list<VirtualService> services) {
    Model m;
    for (const auto& s : services) m.services.emplace(s.key, s);
    return m;
}

struct Planes {
    RecordingPlane* fast;
    RecordingPlane* fallback;
    std::vector<std::string> notes;
    std::unique_ptr<SplitDataplane> split;

    Planes() {
        auto f = std::make_unique<RecordingPlane>("xdp", std::set<std::string>{"wlc", "lc", "thresholds"});
        auto b = std::make_unique<RecordingPlane>("ipvs", std::set<std::string>{});
        fast = f.get();
        fallback = b.get();
        split = std::make_unique<SplitDataplane>(std::move(f), std::move(b), [this](const std::string& l) {
            notes.push_back(l);
        });
    }
    // What the caller (the reconciler) believes is served.
    Model current;
    void apply(const Model& next) {
        split->apply(diff(current, next));
        current = next;
    }
};

}  // namespace

TEST_CASE("a service the fast plane refuses is given to the fallback plane only") {
    Planes p;
    auto wrr = service("10.0.1.100", 80, "wrr");
    auto wlc = service("10.0.1.101", 80, "wlc");
    p.apply(model_of({wrr, wlc}));
    CHECK(p.fast->model == model_of({wrr}));
    CHECK(p.fallback->model == model_of({wlc}));
    CHECK(p.split->plane_of(wrr.key) == "xdp");
    CHECK(p.split->plane_of(wlc.key) == "ipvs");
    CHECK(p.split->name() == "xdp+ipvs");
}

TEST_CASE("each placement is reported once, with the reason for the fallback") {
    Planes p;
    auto wrr = service("10.0.1.100", 80, "wrr");
    auto wlc = service("10.0.1.101", 80, "wlc");
    p.apply(model_of({wrr, wlc}));
    REQUIRE(p.notes.size() == 2);
    CHECK(p.notes[0] == "TCP  10.0.1.100:80 served by xdp");
    CHECK(p.notes[1] == "TCP  10.0.1.101:80 served by ipvs: TCP  10.0.1.101:80: wlc");
    p.apply(model_of({wrr, wlc}));
    CHECK(p.notes.size() == 2);
}

TEST_CASE("changing a service's scheduler moves it between the planes") {
    Planes p;
    auto svc = service("10.0.1.100", 80, "wrr");
    p.apply(model_of({svc}));
    CHECK(p.split->plane_of(svc.key) == "xdp");
    auto moved = svc;
    moved.scheduler = "wlc";
    p.apply(model_of({moved}));
    CHECK(p.fast->model.services.empty());
    CHECK(p.fallback->model == model_of({moved}));
    CHECK(p.split->plane_of(svc.key) == "ipvs");
    p.apply(model_of({svc}));
    CHECK(p.fast->model == model_of({svc}));
    CHECK(p.fallback->model.services.empty());
}

TEST_CASE("when the fallback plane refuses, the fast plane is put back and the error names it") {
    Planes p;
    auto wrr = service("10.0.1.100", 80, "wrr");
    auto wlc = service("10.0.1.101", 80, "wlc");
    p.apply(model_of({wrr}));
    auto wrr2 = service("10.0.1.102", 80, "rr");
    p.fallback->fail_apply = true;
    CHECK_THROWS_WITH(p.apply(model_of({wrr, wrr2, wlc})), Catch::Contains("ipvs: ipvs refused"));
    CHECK(p.fast->model == model_of({wrr}));
    CHECK(p.fallback->model.services.empty());
    CHECK(p.split->plane_of(wrr2.key).empty());
    // The next apply starts from the state that was kept.
    p.fallback->fail_apply = false;
    p.apply(model_of({wrr, wrr2, wlc}));
    CHECK(p.fast->model == model_of({wrr, wrr2}));
    CHECK(p.fallback->model == model_of({wlc}));
}

TEST_CASE("when the fast plane refuses, the fallback plane is not touched") {
    Planes p;
    p.fast->fail_apply = true;
    CHECK_THROWS(p.apply(model_of({service("10.0.1.100", 80, "wrr"), service("10.0.1.101", 80, "wlc")})));
    CHECK(p.fallback->applies == 0);
}

TEST_CASE("status lists both planes' services in key order, connections and zeroing cover both") {
    Planes p;
    auto a = service("10.0.1.100", 80, "wlc");
    auto b = service("10.0.1.101", 80, "wrr");
    auto c = service("10.0.1.102", 80, "lc");
    p.apply(model_of({a, b, c}));
    auto st = p.split->status();
    REQUIRE(st.size() == 3);
    CHECK(st[0].key == a.key);
    CHECK(st[0].scheduler == "wlc");
    CHECK(st[1].key == b.key);
    CHECK(st[2].key == c.key);
    CHECK(p.split->connections().size() == 3);
    p.split->zero_counters();
    CHECK(p.fast->zeroed == 1);
    CHECK(p.fallback->zeroed == 1);
}

TEST_CASE("zeroing one service goes to the plane serving it, an unknown one is refused") {
    Planes p;
    auto on_fast = service("10.0.1.100", 80, "wrr");
    auto on_fallback = service("10.0.1.101", 80, "wlc");
    p.apply(model_of({on_fast, on_fallback}));
    p.split->zero_service_counters(on_fallback.key);
    CHECK(p.fast->zeroed_services.empty());
    CHECK(p.fallback->zeroed_services == std::vector<ServiceKey>{on_fallback.key});
    p.split->zero_service_counters(on_fast.key);
    CHECK(p.fast->zeroed_services == std::vector<ServiceKey>{on_fast.key});
    CHECK(p.fallback->zeroed_services.size() == 1);
    CHECK_THROWS_WITH(p.split->zero_service_counters(service("10.0.1.102", 80, "wrr").key),
                      Catch::EndsWith("No such service"));
    CHECK(p.fast->zeroed == 0);
    CHECK(p.fallback->zeroed == 0);
}

TEST_CASE("unsupported asks the fallback plane about the services the fast plane refuses") {
    auto f = std::make_unique<RecordingPlane>("xdp", std::set<std::string>{"wlc", "nosuch"});
    auto b = std::make_unique<RecordingPlane>("ipvs", std::set<std::string>{"nosuch", "wrr"});
    SplitDataplane split(std::move(f), std::move(b));
    // wrr is refused by the fallback but served by the fast plane: fine.
    CHECK(split.unsupported(model_of({service("10.0.1.100", 80, "wrr"),
                                      service("10.0.1.101", 80, "wlc")}))
              .empty());
    CHECK(split.unsupported(model_of({service("10.0.1.102", 80, "nosuch")})).size() == 1);
}

TEST_CASE("a change to a service on one plane never reaches the other") {
    Planes p;
    auto wrr = service("10.0.1.100", 80, "wrr");
    auto wlc = service("10.0.1.101", 80, "wlc");
    p.apply(model_of({wrr, wlc}));
    int fast_applies = p.fast->applies, fallback_applies = p.fallback->applies;

    auto quiesced = wlc;
    quiesced.reals.begin()->second.weight = 0;
    p.apply(model_of({wrr, quiesced}));
    CHECK(p.fast->applies == fast_applies);
    REQUIRE(p.fallback->applies == fallback_applies + 1);
    const ModelDiff& got = p.fallback->received.back();
    CHECK(got.size() == 1);
    CHECK(got.changed_reals.size() == 1);

    auto heavier = wrr;
    heavier.reals.begin()->second.weight = 5;
    p.apply(model_of({heavier, quiesced}));
    CHECK(p.fallback->applies == fallback_applies + 1);
    REQUIRE(p.fast->applies == fast_applies + 1);
    CHECK(p.fast->received.back().size() == 1);
    CHECK(p.fast->received.back().changed_reals.size() == 1);
    CHECK(p.split->placement().size() == 2);
}

TEST_CASE("a move between planes is one removal of the service as it was and one addition as it will be") {
    Planes p;
    auto svc = service("10.0.1.100", 80, "wrr");
    p.apply(model_of({svc}));
    auto moved = svc;
    moved.scheduler = "wlc";
    RealServer extra;
    extra.key = RealKey{*IpAddress::parse("10.0.2.12"), 80};
    moved.reals.emplace(extra.key, extra);
    p.apply(model_of({moved}));
    const ModelDiff& out = p.fast->received.back();
    REQUIRE(out.removed_services.size() == 1);
    CHECK(out.size() == 1);
    CHECK(out.removed_services[0] == svc);
    const ModelDiff& in = p.fallback->received.back();
    REQUIRE(in.added_services.size() == 1);
    CHECK(in.size() == 1);  // the added real travels inside the service
    CHECK(in.added_services[0] == moved);
    CHECK(p.notes.back() == "TCP  10.0.1.100:80 served by ipvs: TCP  10.0.1.100:80: wlc");
}

TEST_CASE("a real given thresholds moves its service to the plane that enforces them, and back") {
    Planes p;
    auto svc = service("10.0.1.100", 80, "wrr");
    p.apply(model_of({svc}));
    auto limited = svc;
    limited.reals.begin()->second.upper_threshold = 100;
    p.apply(model_of({limited}));
    CHECK(p.split->plane_of(svc.key) == "ipvs");
    CHECK(p.fallback->model == model_of({limited}));
    CHECK(p.fast->model.services.empty());
    p.apply(model_of({svc}));
    CHECK(p.split->plane_of(svc.key) == "xdp");
    CHECK(p.fast->model == model_of({svc}));
    CHECK(p.fallback->model.services.empty());
}


TEST_CASE("ipvsadm --set reaches both planes with the same values, when the second refuses the first is put back") {
    Planes p;
    p.split->set_timeouts({100, 0, 30});
    CHECK(p.fast->timeouts_now == ConnectionTimeouts{100, 120, 30});
    CHECK(p.fallback->timeouts_now == ConnectionTimeouts{100, 120, 30});
    CHECK(p.split->timeouts() == ConnectionTimeouts{100, 120, 30});
    p.fallback->fail_timeouts = true;
    CHECK_THROWS_WITH(p.split->set_timeouts({5, 5, 5}), "ipvs refused the timeouts");
    CHECK(p.fast->timeouts_now == ConnectionTimeouts{100, 120, 30});
    CHECK(p.fallback->timeouts_now == ConnectionTimeouts{100, 120, 30});
}

}  // namespace xvs
