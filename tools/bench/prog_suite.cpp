// prog suite: ns/packet of the XDP program for each path, net of the floor.
//
// The program runs in a throw-away namespace where the reals and the client
// have permanent neighbour entries, so bpf_fib_lookup succeeds and every VIP
// path ends in a real forward (XDP_REDIRECT), as on a director. Each path is
// checked, not only timed: the action and the global counters must say that
// the intended path ran (a new flow counted as new, an established flow not).
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <net/if.h>

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include "bench_floor.skel.h"
#include "dataplane/xdp/xdp_dataplane.h"
#include "model/diff.h"
#include "director_network.h"
#include "netns.h"
#include "prog_parts.h"
#include "prog_runner.h"
#include "prog_schedulers.h"
#include "suites.h"
#include "support/packet_builder.h"

namespace xvs::bench {
namespace {

using test::build_packet;
using test::ip;
using test::mac;
using test::PacketSpec;

struct FloorDeleter {
    void operator()(bench_floor* s) const { bench_floor__destroy(s); }
};

const test::Mac real_if_mac = mac("02:00:00:00:01:01");

struct Method {
    const char* name;  // as in figure names
    ForwardMethod method;
    uint16_t vport;
    uint16_t rport;
};
const Method methods[] = {{"dr", ForwardMethod::gate, 80, 80},
                           {"tun", ForwardMethod::ipip, 81, 81},
                           {"nat", ForwardMethod::masq, 82, 8080}};
const uint16_t persist_port = 443;

std::string vip(bool v6) { return v6 ? "fd00::100" : "10.0.0.100"; }
std::string real_addr(bool v6, int n) {
    return v6 ? "fd00:1::" + std::to_string(n) : "10.1.0." + std::to_string(n);
}

// Three reals per service with weights 1..3: the wrr table has six slots.
VirtualService service(bool v6, uint16_t vport, ForwardMethod method, uint16_t rport,
                       uint32_t persist_s = 0) {
    VirtualService s;
    s.key = ServiceKey::tcp_udp(Protocol::tcp, ip(vip(v6)), vport);
    s.scheduler = "wrr";
    s.persistence.timeout = persist_s;
    s.persistence.prefix_len = v6 ? 128 : 32;
    for (int n = 2; n <= 4; ++n) {
        RealServer r;
        r.key = RealKey{ip(real_addr(v6, n)), rport};
        r.method = method;
        r.weight = r.configured_weight = static_cast<uint32_t>(n - 1);
        s.reals[r.key] = r;
    }
    return s;
}

Model bench_model() {
    Model m;
    for (bool v6 : {false, true}) {
        for (const auto& meth : methods) {
            auto s = service(v6, meth.vport, meth.method, meth.rport);
            m.services[s.key] = s;
        }
        auto p = service(v6, persist_port, ForwardMethod::gate, persist_port, 300);
        m.services[p.key] = p;
    }
    return m;
}

// The client packet of flow i. Flow 0 is the client with a neighbour entry
// (10.0.0.2 / fd00::2, needed where a reply is routed back to it); the
// others differ in source address (1000 ports each) and are never answered.
PacketSpec client_packet(bool v6, uint16_t vport, uint32_t flow, uint8_t flags) {
    PacketSpec s;
    // 10.0.1.0 ...: inside 10.0/16, cli0's subnet, and clear of 10.0.0.0/24,
    // where the VIP (10.0.0.100) would be reached after 83,000 flows: a NAT
    // service does not schedule packets from its own VIP.
    uint32_t host = 256 + flow / 1000;
    if (flow == 0)
        s.src = ip(v6 ? "fd00::2" : "10.0.0.2");
    else if (v6)
        s.src = ip("fd00::2:0:" + std::to_string(host >> 16) + ":" + std::to_string(host & 0xffff));
    else
        s.src = ip("10.0." + std::to_string((host >> 8) & 0xff) + "." + std::to_string(host & 0xff));
    s.dst = ip(vip(v6));
    s.sport = static_cast<uint16_t>(flow == 0 ? 40000 : 1024 + flow % 1000);
    s.dport = vport;
    s.tcp_flags = flags;
    return s;
}

// Flow 0's packet from another source port (persistence, established sets).
std::vector<uint8_t> client_port_packet(bool v6, uint16_t vport, uint16_t sport, uint8_t flags) {
    PacketSpec s = client_packet(v6, vport, 0, flags);
    s.sport = sport;
    return build_packet(s);
}

Figure prog_figure(const std::string& name, const Sample& s, double floor_ns) {
    Figure f;
    f.suite = "prog";
    f.name = name;
    f.value = s.median_ns;
    f.unit = "ns/pkt";
    f.net_of_floor = s.median_ns - floor_ns;
    f.spread = std::make_pair(s.p10_ns, s.p90_ns);
    return f;
}

class ProgBench {
   public:
    ProgBench(int calls, XdpDataplane& dp, int client_ifindex, int real_ifindex)
        : calls_(calls), dp_(dp), client_ifindex_(client_ifindex), real_ifindex_(real_ifindex) {}

    // Runs frames[i % size] for `calls` calls after a warm-up of the same
    // kind, checks the action and that `stat` grew by `stat_growth` per call.
    Sample measure(const std::string& what, const std::vector<std::vector<uint8_t>>& frames,
                   bool from_real, uint32_t expected_action, xvs_stat stat, uint64_t stat_growth) {
        auto before = dp_.global_counters()[stat];
        auto next = [&](int i) -> const std::vector<uint8_t>& { return frames[size_t(i) % frames.size()]; };
        Sample s = measure_prog(dp_.program_fd(), calls_, next, from_real ? real_ifindex_ : client_ifindex_);
        auto grown = dp_.global_counters()[stat] - before;
        if (s.last_action != expected_action)
            throw std::runtime_error(what + ": XDP action " + std::to_string(s.last_action) +
                                     ", expected " + std::to_string(expected_action));
        if (grown != stat_growth * uint64_t(calls_))
            throw std::runtime_error(what + ": counter " + std::to_string(stat) + " grew by " +
                                     std::to_string(grown) + " in " + std::to_string(calls_) + " calls");
        return s;
    }
    int calls() const { return calls_; }

   private:
    int calls_;
    XdpDataplane& dp_;
    int client_ifindex_, real_ifindex_;
};

std::vector<std::vector<uint8_t>> flows(bool v6, uint16_t vport, uint32_t first, uint32_t count,
                                        uint8_t flags) {
    std::vector<std::vector<uint8_t>> out;
    out.reserve(count);
    for (uint32_t i = 0; i < count; ++i) out.push_back(build_packet(client_packet(v6, vport, first + i, flags)));
    return out;
}

}  // namespace

void run_prog_suite(const SuiteOptions& options, std::vector<Figure>& out) {
    pin_to_cpu(options.cpu);
    const int calls = options.smoke ? 200 : 20000;
    const int warmup = options.smoke ? 20 : 2000;

    Netns ns("xvs-bench-prog");
    build_director_network(ns);
    NetnsEntry inside(ns);
    const int cli = static_cast<int>(if_nametoindex("cli0"));
    const int rs = static_cast<int>(if_nametoindex("rs0"));
    if (!cli || !rs) throw std::runtime_error("prog suite: test interfaces missing");

    std::unique_ptr<bench_floor, FloorDeleter> floor(bench_floor__open_and_load());
    if (!floor) throw std::runtime_error("prog suite: cannot load the floor program");

    XdpOptions xo;
    xo.instance = "bench-prog-" + std::to_string(getpid());
    // Large enough that no measured insert evicts (the flood suite measures that).
    xo.connection_table_size = options.smoke ? 1u << 14 : 1u << 19;
    xo.persistence_table_size = 1u << 16;
    xo.tunnel_source_v4 = ip("10.1.0.1");
    xo.tunnel_source_v6 = ip("fd00:1::1");
    XdpDataplane dp(xo);
    dp.serve_interface(cli);
    dp.serve_interface(rs);
    Model model = bench_model();
    dp.apply(diff(Model{}, model));
    ProgBench bench(calls, dp, cli, rs);

    const int floor_fd = bpf_program__fd(floor->progs.bench_floor);
    uint32_t next_flow = 1;
    for (bool v6 : {false, true}) {
        const std::string family = v6 ? "v6" : "v4";
        // Floor and non-VIP traffic: the same SYN to an address that is no
        // VIP (the director's own, say); pass_vip_port: to the VIP on a port
        // no service has, which costs the full lookups.
        PacketSpec other = client_packet(v6, 22, 0, test::tcp_syn);
        other.dst = ip(v6 ? "fd00::1" : "10.0.0.1");
        auto non_vip = build_packet(other);
        auto vip_port = build_packet(client_packet(v6, 22, 0, test::tcp_syn));
        auto same = [&](int) -> const std::vector<uint8_t>& { return non_vip; };
        measure_prog(floor_fd, warmup, same, cli);
        Sample floor_s = measure_prog(floor_fd, calls, same, cli);
        if (floor_s.last_action != XDP_TX) throw std::runtime_error("floor program did not XDP_TX");
        const double floor_ns = floor_s.median_ns;
        out.push_back(prog_figure("floor_" + family, floor_s, floor_ns));
        if (!v6) {
            measure_parts(calls, cli, floor_ns, out);
            measure_schedulers(ns, dp, model, calls, warmup, cli, floor_ns, out);
        }
        std::vector<std::vector<uint8_t>> pass_frames{non_vip};
        bench.measure("pass warm-up", pass_frames, false, XDP_PASS, XVS_STAT_PASS, 1);
        out.push_back(prog_figure("pass_" + family,
                                  bench.measure("pass_" + family, pass_frames, false, XDP_PASS, XVS_STAT_PASS, 1),
                                  floor_ns));
        std::vector<std::vector<uint8_t>> vip_port_frames{vip_port};
        out.push_back(prog_figure("pass_vip_port_" + family,
                                  bench.measure("pass_vip_port_" + family, vip_port_frames, false,
                                                XDP_PASS, XVS_STAT_PASS, 1),
                                  floor_ns));

        for (const auto& meth : methods) {
            const std::string suffix = family + "_" + meth.name;
            // New flows: every call a SYN of a 5-tuple never seen.
            bench.measure("new warm-up", flows(v6, meth.vport, next_flow, uint32_t(calls), test::tcp_syn),
                          false, XDP_REDIRECT, XVS_STAT_NEW_CONN, 1);
            next_flow += uint32_t(calls);
            auto fresh = flows(v6, meth.vport, next_flow, uint32_t(calls), test::tcp_syn);
            next_flow += uint32_t(calls);
            out.push_back(prog_figure("new_" + suffix,
                                      bench.measure("new_" + suffix, fresh, false, XDP_REDIRECT,
                                                    XVS_STAT_NEW_CONN, 1),
                                      floor_ns));
            // Established: ACKs of 64 flows of the client, created first.
            const uint16_t first_port = 30000;
            const int established_flows = 64;
            std::vector<std::vector<uint8_t>> syns, acks;
            for (int i = 0; i < established_flows; ++i) {
                syns.push_back(client_port_packet(v6, meth.vport, uint16_t(first_port + i), test::tcp_syn));
                acks.push_back(client_port_packet(v6, meth.vport, uint16_t(first_port + i), test::tcp_ack));
            }
            ProgBench(established_flows, dp, cli, rs)
                .measure("established set-up", syns, false, XDP_REDIRECT, XVS_STAT_NEW_CONN, 1);
            bench.measure("established warm-up", acks, false, XDP_REDIRECT, XVS_STAT_NEW_CONN, 0);
            out.push_back(prog_figure("established_" + suffix,
                                      bench.measure("established_" + suffix, acks, false,
                                                    XDP_REDIRECT, XVS_STAT_NEW_CONN, 0),
                                      floor_ns));
            if (meth.method != ForwardMethod::masq) continue;
            // NAT replies of those flows, from the real each was sent to.
            std::vector<std::vector<uint8_t>> replies;
            for (const auto& ack : acks) {
                auto forwarded = run_once(dp.program_fd(), ack, uint32_t(cli));
                auto parsed = test::parse_frame(forwarded.frame);
                if (forwarded.action != XDP_REDIRECT || !parsed || !parsed->ip)
                    throw std::runtime_error("NAT flow did not forward");
                PacketSpec r;
                r.eth_src = parsed->dst;
                r.eth_dst = real_if_mac;
                r.src = parsed->ip->dst;
                r.dst = parsed->ip->src;
                r.sport = parsed->ip->dport;
                r.dport = parsed->ip->sport;
                r.tcp_flags = test::tcp_ack;
                replies.push_back(build_packet(r));
            }
            bench.measure("nat reply warm-up", replies, true, XDP_REDIRECT, XVS_STAT_NAT_REPLY, 1);
            out.push_back(prog_figure("nat_reply_" + suffix,
                                      bench.measure("nat_reply_" + suffix, replies, true,
                                                    XDP_REDIRECT, XVS_STAT_NAT_REPLY, 1),
                                      floor_ns));
        }
        // Persistence hits: new ports of a client the template already knows.
        ProgBench(1, dp, cli, rs)
            .measure("persist template", {client_port_packet(v6, persist_port, 1999, test::tcp_syn)},
                     false, XDP_REDIRECT, XVS_STAT_NEW_CONN, 1);
        std::vector<std::vector<uint8_t>> persist_frames;
        for (int i = 0; i < 2 * calls; ++i)
            persist_frames.push_back(client_port_packet(v6, persist_port, uint16_t(2000 + i), test::tcp_syn));
        std::vector<std::vector<uint8_t>> warm(persist_frames.begin(), persist_frames.begin() + calls);
        std::vector<std::vector<uint8_t>> measured(persist_frames.begin() + calls, persist_frames.end());
        bench.measure("persist warm-up", warm, false, XDP_REDIRECT, XVS_STAT_PERSIST_HIT, 1);
        out.push_back(prog_figure("persist_" + family + "_dr",
                                  bench.measure("persist_" + family + "_dr", measured, false,
                                                XDP_REDIRECT, XVS_STAT_PERSIST_HIT, 1),
                                  floor_ns));
    }
}

}  // namespace xvs::bench
