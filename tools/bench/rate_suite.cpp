// rate suite: packets per second end to end through a director in namespaces.
//
//   gen ns: g0 10.0.0.2 ──veth── d0 10.0.0.1   dir ns   d1 10.1.0.1 ──veth── s0 10.1.0.2  sink ns
//
// The generator runs bench_trafficgen with BPF_F_TEST_XDP_LIVE_FRAMES on g0:
// every XDP_TX is a real frame into the director (UDP to VIP 10.0.0.100:80,
// `flows` distinct source ports). The sink's XDP program counts and drops.
// Three directors, one at a time on the same topology and alternated round
// by round: xvs DR, xvs NAT (XDP on d0, redirect to d1), and the kernel's own
// forwarding with an nftables DNAT rule (the baseline; d0 runs an XDP_PASS
// program because a veth drops XDP_TX'd frames unless its receiving side
// runs XDP). Each figure is the median round. The figure is frames
// counted at the sink per second of the generator call; the generator,
// director and sink all run on the pinned CPU, so each figure is the rate
// of the whole chain and only the ratios between directors mean anything.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <unistd.h>

#include <chrono>
#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>

#include "bench_sink.skel.h"
#include "bench_trafficgen.skel.h"
#include "common/errno_text.h"
#include "dataplane/xdp/xdp_dataplane.h"
#include "model/diff.h"
#include "netns.h"
#include "prog_runner.h"
#include "suites.h"
#include "support/packet_builder.h"

namespace xvs::bench {
namespace {

struct SinkDeleter {
    void operator()(bench_sink* s) const { bench_sink__destroy(s); }
};
struct GenDeleter {
    void operator()(bench_trafficgen* s) const { bench_trafficgen__destroy(s); }
};

const char* vip_address = "10.0.0.100";
const char* real_address = "10.1.0.2";

struct Topology {
    Topology() : gen("xvs-bench-gen"), dir("xvs-bench-dir"), sink("xvs-bench-sink") {
        run_command("ip -n " + gen.name() + " link add g0 address 02:00:00:00:0a:01 type veth peer name d0 netns " +
                    dir.name());
        run_command("ip -n " + dir.name() + " link add d1 address 02:00:00:00:0b:01 type veth peer name s0 netns " +
                    sink.name());
        dir.ip("link set d0 address 02:00:00:00:0a:02");
        sink.ip("link set s0 address 02:00:00:00:0b:02");
        gen.ip("link set g0 up");
        dir.ip("link set d0 up");
        dir.ip("link set d1 up");
        sink.ip("link set s0 up");
        gen.ip("addr add 10.0.0.2/24 dev g0");
        dir.ip("addr add 10.0.0.1/24 dev d0");
        dir.ip("addr add 10.1.0.1/24 dev d1");
        sink.ip("addr add 10.1.0.2/24 dev s0");
        dir.ip("neigh add 10.0.0.2 lladdr 02:00:00:00:0a:01 dev d0 nud permanent");
        dir.ip(std::string("neigh add ") + real_address + " lladdr 02:00:00:00:0b:02 dev d1 nud permanent");
        dir.exec("sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 "
                 "net.ipv4.conf.default.rp_filter=0 net.ipv4.conf.d0.rp_filter=0");
    }
    // Declared first: destroyed last, after every program and data plane.
    Netns gen, dir, sink;
};

Figure figure(const std::string& name, double value, const std::string& unit, std::string note = {}) {
    return make_figure("rate", name, value, unit, std::move(note));
}

uint64_t sink_count(const bench_sink& sink) {
    int cpus = libbpf_num_possible_cpus();
    if (cpus <= 0) throw std::runtime_error("libbpf_num_possible_cpus failed");
    std::vector<uint64_t> values(size_t(cpus), 0);
    uint32_t zero = 0;
    if (bpf_map_lookup_elem(bpf_map__fd(sink.maps.received), &zero, values.data()) != 0)
        throw std::runtime_error(std::string("reading the sink counter: ") + errno_text(errno));
    uint64_t sum = 0;
    for (auto v : values) sum += v;
    return sum;
}

void attach(const Netns& ns, const char* ifname, int prog_fd) {
    NetnsEntry inside(ns);
    int ifindex = int(if_nametoindex(ifname));
    if (!ifindex) throw std::runtime_error(std::string(ifname) + " missing in " + ns.name());
    if (int err = bpf_xdp_attach(ifindex, prog_fd, XDP_FLAGS_DRV_MODE, nullptr); err != 0)
        throw std::runtime_error(std::string("attaching XDP to ") + ifname + ": " + errno_text(-err));
}

class Generator {
   public:
    Generator(const Netns& gen, uint32_t flows) : gen_(gen) {
        skel_.reset(bench_trafficgen__open());
        if (!skel_) throw std::runtime_error("cannot open the traffic generator");
        test::PacketSpec s;
        s.eth_src = test::mac("02:00:00:00:0a:01");
        s.eth_dst = test::mac("02:00:00:00:0a:02");
        s.src = test::ip("10.0.0.2");
        s.dst = test::ip(vip_address);
        s.proto = 17;
        s.dport = 80;
        s.udp_zero_checksum = true;
        s.payload.assign(18, 0x5a);  // a 64-byte frame on the wire
        frame_ = test::build_packet(s);
        auto& headers = skel_->bss->headers;
        if (frame_.size() < sizeof headers) throw std::runtime_error("generator frame too short");
        std::memcpy(headers, frame_.data(), sizeof headers);
        skel_->rodata->flow_count = flows;
        if (bench_trafficgen__load(skel_.get()) != 0) throw std::runtime_error("cannot load the traffic generator");
    }

    // Sends `frames` frames out of g0; returns the seconds the call took.
    double send(uint32_t frames) {
        NetnsEntry inside(gen_);
        xdp_md ctx{};
        ctx.data_end = uint32_t(frame_.size());
        ctx.ingress_ifindex = if_nametoindex("g0");
        LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame_.data(),
                    .data_size_in = uint32_t(frame_.size()), .ctx_in = &ctx, .ctx_size_in = sizeof ctx,
                    .repeat = int(frames), .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = 64);
        auto start = std::chrono::steady_clock::now();
        if (bpf_prog_test_run_opts(bpf_program__fd(skel_->progs.bench_trafficgen), &opts) != 0)
            throw std::runtime_error(std::string("generator (BPF_F_TEST_XDP_LIVE_FRAMES): ") + errno_text(errno));
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }

   private:
    const Netns& gen_;
    std::unique_ptr<bench_trafficgen, GenDeleter> skel_;
    std::vector<uint8_t> frame_;
};

// One run of `frames` frames: frames counted at the sink per second.
double measure_rate(Generator& gen, const bench_sink& sink, uint32_t frames, const std::string& what) {
    uint64_t before = sink_count(sink);
    double seconds = gen.send(frames);
    uint64_t got = sink_count(sink) - before;
    if (got == 0) throw std::runtime_error(what + ": no frame reached the sink");
    return double(got) / seconds;
}

Model rate_model(ForwardMethod method) {
    VirtualService s;
    s.key = ServiceKey::tcp_udp(Protocol::udp, test::ip(vip_address), 80);
    s.scheduler = "wrr";
    RealServer r;
    r.key = RealKey{test::ip(real_address), 80};
    r.method = method;
    s.reals[r.key] = r;
    Model m;
    m.services[s.key] = s;
    return m;
}

}  // namespace

void run_rate_suite(const SuiteOptions& options, std::vector<Figure>& out) {
    pin_to_cpu(options.cpu);
    const uint32_t frames = options.smoke ? 20000 : 1000000;
    const int rounds = options.smoke ? 1 : 5;
    const uint32_t flows = 1024;
    const std::string note = "UDP, " + std::to_string(flows) + " flows, 64-byte frames, one CPU";

    Topology topo;
    std::unique_ptr<bench_sink, SinkDeleter> sink(bench_sink__open_and_load());
    if (!sink) throw std::runtime_error("cannot load the sink program");
    attach(topo.sink, "s0", bpf_program__fd(sink->progs.bench_sink));
    Generator gen(topo.gen, flows);

    // The two xvs data planes are loaded side by side, not attached: the
    // suite attaches one director at a time to d0 and alternates them round
    // by round, so background load on the machine hits all three alike.
    NetnsEntry inside(topo.dir);
    auto xvs_plane = [&](ForwardMethod method, const char* name) {
        XdpOptions xo;
        xo.instance = "bench-rate-" + std::string(name) + "-" + std::to_string(getpid());
        auto dp = std::make_unique<XdpDataplane>(xo);
        // Attached below by hand, not by the plane: tell it the interface.
        dp->serve_interface(int(if_nametoindex("d0")));
        Model model = rate_model(method);
        dp->apply(diff(Model{}, model));
        return dp;
    };
    auto dr = xvs_plane(ForwardMethod::gate, "dr");
    auto nat = xvs_plane(ForwardMethod::masq, "nat");
    // Baseline: the kernel forwards, nftables does the DNAT. The rule stays
    // in place while xvs runs: XDP redirects VIP frames before netfilter.
    topo.dir.exec("nft add table ip xvsbench");
    topo.dir.exec("nft 'add chain ip xvsbench pre { type nat hook prerouting priority -100; }'");
    topo.dir.exec(std::string("nft add rule ip xvsbench pre ip daddr ") + vip_address + " udp dport 80 dnat to " + real_address +
                  ":80");
    std::unique_ptr<bench_sink, SinkDeleter> pass(bench_sink__open_and_load());
    if (!pass) throw std::runtime_error("cannot load the pass program");

    struct Director {
        const char* name;
        int prog_fd;
        std::vector<double> rates;
    };
    std::vector<Director> directors = {{"xvs_dr", dr->program_fd(), {}},
                                       {"xvs_nat", nat->program_fd(), {}},
                                       {"nft_dnat", bpf_program__fd(pass->progs.bench_pass), {}}};
    const int d0 = int(if_nametoindex("d0"));
    if (!d0) throw std::runtime_error("d0 missing");
    for (int round = 0; round < rounds; ++round) {
        for (size_t k = 0; k < directors.size(); ++k) {
            auto& d = directors[(k + size_t(round)) % directors.size()];
            if (int err = bpf_xdp_attach(d0, d.prog_fd, XDP_FLAGS_DRV_MODE, nullptr); err != 0)
                throw std::runtime_error(std::string("attaching ") + d.name + " to d0: " + errno_text(-err));
            gen.send(frames / 10);  // warm-up: conntrack entries, connection table
            d.rates.push_back(measure_rate(gen, *sink, frames, d.name));
        }
    }
    if (int err = bpf_xdp_detach(d0, XDP_FLAGS_DRV_MODE, nullptr); err != 0)
        throw std::runtime_error(std::string("detaching from d0: ") + errno_text(-err));
    if (dr->global_counters()[XVS_STAT_REDIRECT] == 0 || nat->global_counters()[XVS_STAT_REDIRECT] == 0)
        throw std::runtime_error("an xvs director redirected nothing");

    // The median round of each director.
    std::map<std::string, double> rate;
    for (auto& d : directors) {
        std::sort(d.rates.begin(), d.rates.end());
        rate[d.name] = d.rates[d.rates.size() / 2];
        out.push_back(figure(d.name, rate[d.name], "pps", note));
    }
    out.push_back(figure("ratio_xvs_dr_to_nft", rate["xvs_dr"] / rate["nft_dnat"], "ratio"));
    out.push_back(figure("ratio_xvs_nat_to_nft", rate["xvs_nat"] / rate["nft_dnat"], "ratio"));
}

}  // namespace xvs::bench
