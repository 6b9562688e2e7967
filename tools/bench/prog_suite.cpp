// prog suite: ns/packet of the XDP program for each path, net of the floor.
#include <arpa/inet.h>
#include <linux/if_ether.h>

#include <cstring>
#include <memory>
#include <stdexcept>

#include "bench_floor.skel.h"
#include "prog_runner.h"
#include "suites.h"
#include "xvs_xdp.skel.h"

namespace xvs::bench {
namespace {

template <typename Skel, void (*Destroy)(Skel*)>
struct SkelDeleter {
    void operator()(Skel* s) const { Destroy(s); }
};
using FloorSkel = std::unique_ptr<bench_floor, SkelDeleter<bench_floor, bench_floor__destroy>>;
using XdpSkel = std::unique_ptr<xvs_xdp, SkelDeleter<xvs_xdp, xvs_xdp__destroy>>;

// Ethernet + IPv4 + TCP SYN, enough for paths that stop at the service lookup.
std::vector<uint8_t> tcp_syn_v4(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport) {
    std::vector<uint8_t> f(14 + 20 + 20, 0);
    const uint8_t dmac[6] = {0x02, 0, 0, 0, 0, 1}, smac[6] = {0x02, 0, 0, 0, 0, 2};
    std::memcpy(&f[0], dmac, 6);
    std::memcpy(&f[6], smac, 6);
    f[12] = ETH_P_IP >> 8;
    f[13] = ETH_P_IP & 0xff;
    uint8_t* ip = &f[14];
    ip[0] = 0x45;
    ip[2] = 0;
    ip[3] = 40;
    ip[8] = 64;
    ip[9] = 6;
    uint32_t s = htonl(src), d = htonl(dst);
    std::memcpy(ip + 12, &s, 4);
    std::memcpy(ip + 16, &d, 4);
    uint8_t* tcp = ip + 20;
    uint16_t sp = htons(sport), dp = htons(dport);
    std::memcpy(tcp, &sp, 2);
    std::memcpy(tcp + 2, &dp, 2);
    tcp[12] = 5 << 4;
    tcp[13] = 0x02;  // SYN
    return f;
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

}  // namespace

void run_prog_suite(const SuiteOptions& options, std::vector<Figure>& out) {
    pin_to_cpu(options.cpu);
    const int calls = options.smoke ? 200 : 20000;

    FloorSkel floor(bench_floor__open_and_load());
    if (!floor) throw std::runtime_error("prog suite: cannot load the floor program");
    XdpSkel xdp(xvs_xdp__open_and_load());
    if (!xdp) throw std::runtime_error("prog suite: cannot load the xvs XDP program");

    const auto non_vip = tcp_syn_v4(0x0a000001, 0x0a0000fe, 40000, 22);
    auto same = [&](int) -> const std::vector<uint8_t>& { return non_vip; };

    Sample floor_sample = measure_prog(bpf_program__fd(floor->progs.bench_floor), calls, same);
    out.push_back(prog_figure("floor_v4", floor_sample, floor_sample.median_ns));
    Sample pass = measure_prog(bpf_program__fd(xdp->progs.xvs_xdp_main), calls, same);
    out.push_back(prog_figure("pass_v4", pass, floor_sample.median_ns));
}

}  // namespace xvs::bench
