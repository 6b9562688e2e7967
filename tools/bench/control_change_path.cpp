// control suite, change path: from health results to the last map write,
// through the daemon's own pieces (HealthBridge, DesiredState, Reconciler)
// and a real XDP plane, alone (dataplane=xdp) and behind a SplitDataplane
// (dataplane=auto) whose fallback serves nothing here, as IPVS serves
// nothing when every service can run on XDP.
//
// Figures (CPU time of this thread, so a busy machine does not inflate them):
//   health_one_result_*          one failed real in a 1,000 x 100 model
//   health_rack_1000_results_*   one real of every service fails at once
//   *_writes, *_applies          map writes and data-plane applies it took
//   whole_model_rebuild_diff     what one result cost when every result
//                                rebuilt and diffed the whole model
//   split_over_xdp_*             auto over xdp, measured in the same run
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/config.h"
#include "daemon/desired_state.h"
#include "daemon/health_bridge.h"
#include "daemon/reconciler.h"
#include "dataplane/split/split_dataplane.h"
#include "dataplane/xdp/xdp_dataplane.h"
#include "model/build.h"
#include "model/diff.h"
#include "suites.h"

namespace xvs::bench {
namespace {

double thread_cpu_ms() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

Figure figure(const std::string& name, double value, const std::string& unit, std::string note = {}) {
    return make_figure("control", name, value, unit, std::move(note));
}

// The fallback of the split plane in this suite: it is given nothing, since
// every service here can run on XDP (the kernel here has no IPVS). A
// stand-in named as such, not a model of IPVS.
class EmptyFallbackPlane : public Dataplane {
   public:
    std::string name() const override { return "empty-fallback"; }
    std::vector<std::string> unsupported(const Model&) const override { return {}; }
    void apply(const ModelDiff& change) override {
        if (!change.empty()) throw DataplaneError("the bench's fallback plane was given a change");
    }
    const VirtualService* programmed_service(const ServiceKey&) const override { return nullptr; }
    std::vector<ServiceStatus> status() const override { return {}; }
    std::unique_ptr<ConnectionCursor> connection_cursor() const override {
        return std::make_unique<ReadOnceCursor>([] { return std::vector<ConnectionEntry>{}; });
    }
    void zero_counters() override {}
    void zero_service_counters(const ServiceKey& s) override {
        throw DataplaneError(s.to_string() + ": No such service");
    }
};

std::string checked_config(int virtuals, int reals) {
    std::string out = "quiescent=yes\n";
    for (int v = 0; v < virtuals; ++v) {
        out += "virtual=10.10." + std::to_string(v / 250) + "." + std::to_string(v % 250 + 1) +
               ":80\n\tprotocol=tcp\n\tscheduler=wrr\n\tchecktype=connect\n";
        for (int r = 0; r < reals; ++r)
            out += "\treal=10.20." + std::to_string(r / 250) + "." + std::to_string(r % 250 + 1) + ":80 gate " +
                   std::to_string(r % 5 + 1) + "\n";
    }
    return out;
}

struct Director {
    Director(const Config& config, Dataplane& plane, XdpDataplane& xdp)
        : desired(config), reconciler(plane), xdp(xdp) {
        checks = health.set_plan(plan_health_checks(desired.config()));
        std::vector<StateChange> up;
        for (const auto& [id, spec] : checks) up.push_back({id, true, true, true, 1, "up", 0});
        health.apply(up);
        reconciler.reconcile(desired.model(health.view()));
    }
    struct Cost {
        double cpu_ms = 0;
        size_t writes = 0;
        uint64_t applies = 0;
        size_t listed = 0;
    };
    // What the daemon does with one batch of results (Daemon::apply_health).
    Cost deliver(const std::vector<StateChange>& results) {
        uint64_t applies = reconciler.applies();
        double start = thread_cpu_ms();
        std::set<ServiceKey> touched;
        health.apply(results, &touched);
        ModelDiff change = desired.change_for(touched, health.view(), reconciler);
        reconciler.apply(change);
        Cost cost;
        cost.cpu_ms = thread_cpu_ms() - start;
        cost.writes = xdp.last_apply_writes();
        cost.applies = reconciler.applies() - applies;
        cost.listed = change.size();
        return cost;
    }
    // Results for real `real` of the first `services` virtuals (check ids are
    // handed out virtual by virtual, real by real).
    std::vector<StateChange> results(int services, int reals, int real, bool up) const {
        std::vector<StateChange> out;
        for (int v = 0; v < services; ++v)
            out.push_back({checks.at(size_t(v) * reals + real).first, up, true, false, 2, up ? "up" : "down", 0});
        return out;
    }

    DesiredState desired;
    HealthBridge health;
    Reconciler reconciler;
    XdpDataplane& xdp;
    std::vector<std::pair<SubscriberId, CheckSpec>> checks;
};

XdpOptions plane_options(const std::string& tag, uint32_t reals) {
    XdpOptions o;
    o.instance = "bench-change-" + tag + "-" + std::to_string(getpid());
    // The connection tables play no part here; small ones load faster.
    o.connection_table_size = o.persistence_table_size = 4096;
    o.max_reals = std::max<uint32_t>(XVS_MAX_REALS, reals);
    return o;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

void check_cost(const char* what, const Director::Cost& c, size_t listed) {
    if (c.applies != 1 || c.listed != listed || c.writes == 0)
        throw std::runtime_error(std::string("control suite: ") + what + " took " + std::to_string(c.applies) +
                                 " applies listing " + std::to_string(c.listed) + " changes (" +
                                 std::to_string(listed) + " expected) and " + std::to_string(c.writes) +
                                 " map writes");
}

}  // namespace

void run_control_change_path(const SuiteOptions& options, std::vector<Figure>& out) {
    const int virtuals = options.smoke ? 20 : 1000;
    const int reals = options.smoke ? 10 : 100;
    const std::string size = std::to_string(virtuals) + "x" + std::to_string(reals);
    ParseOptions parse_options;
    parse_options.resolve_names = false;
    Config config = parse_config_text(checked_config(virtuals, reals), "bench-change.cf", parse_options);
    const uint32_t real_count = uint32_t(virtuals) * reals;

    XdpDataplane alone(plane_options("xdp", real_count));
    Director xdp(config, alone, alone);
    auto fast = std::make_unique<XdpDataplane>(plane_options("auto", real_count));
    XdpDataplane& fast_ref = *fast;
    SplitDataplane split(std::move(fast), std::make_unique<EmptyFallbackPlane>());
    Director autom(config, split, fast_ref);

    // The old path, for scale: every result rebuilt and diffed the whole model.
    double start = thread_cpu_ms();
    Model whole = xdp.desired.model(xdp.health.view());
    ModelDiff none = diff(xdp.reconciler.current(), whole);
    out.push_back(figure("whole_model_rebuild_diff_" + size, thread_cpu_ms() - start, "ms CPU",
                         "build_model + diff, once (none of it is on the path now)"));
    if (!none.empty()) throw std::runtime_error("control suite: the model moved on its own");

    // Alternating the two planes, a few rounds: ratios of the same run.
    const int rounds = options.smoke ? 1 : 7;
    std::vector<double> one_xdp, one_auto, rack_xdp, rack_auto;
    Director::Cost last_one, last_rack;
    // Single results first, on a steady director; then the racks (a rack
    // frees and allocates enough that the allocator's tidying would land on
    // a single result measured right after it).
    for (int round = 0; round < rounds; ++round)
        for (Director* d : {&xdp, &autom}) {
            auto down = d->deliver(d->results(1, reals, round % reals, false));
            check_cost("one result", down, 1);
            d->deliver(d->results(1, reals, round % reals, true));
            (d == &xdp ? one_xdp : one_auto).push_back(down.cpu_ms);
            last_one = down;
        }
    for (int round = 0; round < rounds; ++round)
        for (Director* d : {&xdp, &autom}) {
            auto rack = d->deliver(d->results(virtuals, reals, round % reals, false));
            check_cost("a rack of results", rack, size_t(virtuals));
            d->deliver(d->results(virtuals, reals, round % reals, true));
            (d == &xdp ? rack_xdp : rack_auto).push_back(rack.cpu_ms);
            last_rack = rack;
        }
    // Medians: one round's figure can carry the allocator tidying up after
    // the rack before it.
    const double m_one_xdp = median(one_xdp), m_one_auto = median(one_auto);
    const double m_rack_xdp = median(rack_xdp), m_rack_auto = median(rack_auto);
    const std::string of_rounds = "median of " + std::to_string(rounds) + " rounds";
    out.push_back(figure("health_one_result_xdp", m_one_xdp, "ms CPU", "result to last map write, " + of_rounds));
    out.push_back(figure("health_one_result_auto", m_one_auto, "ms CPU", "the same through SplitDataplane"));
    out.push_back(figure("health_one_result_writes", double(last_one.writes), "writes", "quiesced real + its table"));
    out.push_back(figure("health_rack_" + std::to_string(virtuals) + "_results_xdp", m_rack_xdp, "ms CPU",
                         "one real of every virtual fails at once, " + of_rounds));
    out.push_back(figure("health_rack_" + std::to_string(virtuals) + "_results_auto", m_rack_auto, "ms CPU",
                         "the same through SplitDataplane"));
    out.push_back(figure("health_rack_writes", double(last_rack.writes), "writes",
                         std::to_string(last_rack.applies) + " apply"));
    out.push_back(figure("split_over_xdp_one_result", m_one_auto / std::max(m_one_xdp, 1e-6), "ratio"));
    out.push_back(figure("split_over_xdp_rack", m_rack_auto / std::max(m_rack_xdp, 1e-6), "ratio"));
}

}  // namespace xvs::bench
