#include "prog_schedulers.h"

#include <linux/bpf.h>

#include <cstdio>
#include <iterator>
#include <stdexcept>
#include <string>
#include <utility>

#include "model/diff.h"
#include "prog_runner.h"
#include "support/packet_builder.h"

namespace xvs::bench {
namespace {

const int real_counts[] = {2, 10, 100};

// n DR reals 10.1.0.2 ... of weight 1, on 10.0.0.100:port.
VirtualService service(const std::string& scheduler, uint16_t port, int reals) {
    VirtualService s;
    s.key = ServiceKey::tcp_udp(Protocol::tcp, test::ip("10.0.0.100"), port);
    s.scheduler = scheduler;
    for (int n = 2; n < 2 + reals; ++n) {
        RealServer r;
        r.key = RealKey{test::ip("10.1.0." + std::to_string(n)), port};
        r.method = ForwardMethod::gate;
        r.weight = r.configured_weight = 1;
        s.reals[r.key] = r;
    }
    return s;
}

uint16_t port_of(const std::string& scheduler, int reals) {
    return static_cast<uint16_t>((scheduler == "wrr" ? 7000 : 8000) + reals);
}

// SYNs of `count` flows never seen, from 10.0.200.0 on (inside cli0's /16,
// clear of the addresses the rest of the suite uses), 1,000 ports each.
std::vector<std::vector<uint8_t>> new_flows(uint16_t vport, uint32_t& next_flow, int count) {
    std::vector<std::vector<uint8_t>> out;
    out.reserve(size_t(count));
    for (int i = 0; i < count; ++i, ++next_flow) {
        uint32_t host = 200 * 256 + next_flow / 1000;
        test::PacketSpec s;
        s.src = test::ip("10.0." + std::to_string((host >> 8) & 0xff) + "." + std::to_string(host & 0xff));
        s.dst = test::ip("10.0.0.100");
        s.sport = static_cast<uint16_t>(1024 + next_flow % 1000);
        s.dport = vport;
        s.tcp_flags = test::tcp_syn;
        out.push_back(test::build_packet(s));
    }
    return out;
}

Sample new_flow_cost(XdpDataplane& dp, const std::string& what, uint16_t vport, uint32_t& next_flow, int calls,
                     int warmup, int client_ifindex) {
    auto run = [&](int count) {
        auto frames = new_flows(vport, next_flow, count);
        auto before = dp.global_counters()[XVS_STAT_NEW_CONN];
        Sample s = measure_prog(dp.program_fd(), count, [&](int i) -> const std::vector<uint8_t>& { return frames[size_t(i)]; },
                                uint32_t(client_ifindex));
        auto grown = dp.global_counters()[XVS_STAT_NEW_CONN] - before;
        if (s.last_action != XDP_REDIRECT || grown != uint64_t(count))
            throw std::runtime_error(what + ": action " + std::to_string(s.last_action) + ", " + std::to_string(grown) +
                                     " new connections in " + std::to_string(count) + " calls");
        return s;
    };
    run(warmup);
    return run(calls);
}

}  // namespace

void measure_schedulers(const Netns& ns, XdpDataplane& dp, Model& model, int calls, int warmup,
                        int client_ifindex, double floor_ns, std::vector<Figure>& out) {
    // build_director_network() gives 10.1.0.2-4 neighbours; the rest here.
    for (int n = 5; n < 2 + real_counts[std::size(real_counts) - 1]; ++n) {
        char mac[18];
        std::snprintf(mac, sizeof mac, "02:00:00:00:02:%02x", n);
        ns.ip("neigh add 10.1.0." + std::to_string(n) + " lladdr " + mac + " dev rs0 nud permanent");
    }
    Model next = model;
    for (int reals : real_counts)
        for (const char* sched : {"wrr", "wlc"}) {
            auto s = service(sched, port_of(sched, reals), reals);
            next.services[s.key] = s;
        }
    dp.apply(diff(model, next));
    model = next;

    uint32_t next_flow = 0;
    for (int reals : real_counts) {
        const std::string n = std::to_string(reals);
        Sample wrr = new_flow_cost(dp, "wrr over " + n, port_of("wrr", reals), next_flow, calls, warmup, client_ifindex);
        Sample wlc = new_flow_cost(dp, "wlc over " + n, port_of("wlc", reals), next_flow, calls, warmup, client_ifindex);
        for (auto [name, s] : {std::pair{"wrr", wrr}, std::pair{"wlc", wlc}}) {
            Figure f = make_figure("prog", "new_v4_dr_" + std::string(name) + "_" + n, s.median_ns, "ns/pkt",
                                   n + " reals of weight 1");
            f.net_of_floor = s.median_ns - floor_ns;
            f.spread = std::make_pair(s.p10_ns, s.p90_ns);
            out.push_back(f);
        }
        out.push_back(make_figure("prog", "wlc_over_wrr_" + n, wlc.median_ns / wrr.median_ns, "ratio",
                                  "new-flow cost, same run"));
    }
}

}  // namespace xvs::bench
