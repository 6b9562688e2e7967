// flood suite: the connection table under a SYN flood of distinct sources.
//
// A table of N entries holds E established flows of one client; then 4N SYNs
// from distinct sources arrive. Half of the established flows keep sending
// (each flow one ACK per N/4 flood packets, far slower than any real flow,
// so the table turns over four times between two packets of a flow), half stay
// idle. Afterwards: how many entries the table holds, how many were evicted,
// and the fraction of established flows of each half still sent to the real
// they had (an evicted flow is scheduled again and may land elsewhere).
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "dataplane/xdp/xdp_dataplane.h"
#include "director_network.h"
#include "model/diff.h"
#include "prog_runner.h"
#include "suites.h"
#include "support/packet_builder.h"

namespace xvs::bench {
namespace {

using test::build_packet;
using test::ip;
using test::PacketSpec;

Model flood_model() {
    VirtualService s;
    s.key = ServiceKey::tcp_udp(Protocol::tcp, ip("10.0.0.100"), 80);
    s.scheduler = "wrr";
    for (int n = 2; n <= 4; ++n) {
        RealServer r;
        r.key = RealKey{ip("10.1.0." + std::to_string(n)), 80};
        r.method = ForwardMethod::gate;
        r.weight = r.configured_weight = 1;
        s.reals[r.key] = r;
    }
    Model m;
    m.services[s.key] = s;
    return m;
}

PacketSpec to_vip(const IpAddress& src, uint16_t sport, uint8_t flags) {
    PacketSpec s;
    s.src = src;
    s.dst = ip("10.0.0.100");
    s.sport = sport;
    s.dport = 80;
    s.tcp_flags = flags;
    return s;
}

// Flood source i: 172.16.0.0/12 is routed through the default route in no
// way that matters; DR only looks up the real.
IpAddress flood_source(uint32_t i) {
    uint32_t host = 0xac100000u + (i >> 4);
    return ip(std::to_string(host >> 24) + "." + std::to_string((host >> 16) & 0xff) + "." +
              std::to_string((host >> 8) & 0xff) + "." + std::to_string(host & 0xff));
}

size_t count_entries(int map_fd) {
    xvs_conn_key key{}, next{};
    size_t n = 0;
    void* prev = nullptr;
    while (bpf_map_get_next_key(map_fd, prev, &next) == 0) {
        ++n;
        key = next;
        prev = &key;
    }
    return n;
}

Figure figure(const std::string& name, double value, const std::string& unit, std::string note = {}) {
    return make_figure("flood", name, value, unit, std::move(note));
}

}  // namespace

void run_flood_suite(const SuiteOptions& options, std::vector<Figure>& out) {
    pin_to_cpu(options.cpu);
    const uint32_t table = options.smoke ? 2048 : 65536;
    const uint32_t established = table / 16;
    const uint32_t flood = table * 4;
    // One ACK of the next active flow every this many packets: each active
    // flow sends once per table/4 packets.
    const uint32_t keepalive_every = (table / 4) / (established / 2);

    Netns ns("xvs-bench-flood");
    build_director_network(ns);
    NetnsEntry inside(ns);
    const auto cli = uint32_t(if_nametoindex("cli0"));
    if (!cli) throw std::runtime_error("flood suite: cli0 missing");

    XdpOptions xo;
    xo.instance = "bench-flood-" + std::to_string(getpid());
    xo.connection_table_size = table;
    XdpDataplane dp(xo);
    dp.serve_interface(int(cli));
    Model model = flood_model();
    dp.apply(diff(Model{}, model));

    // The established flows and the real (destination MAC) each got.
    const IpAddress client = ip("10.0.0.2");
    std::vector<std::vector<uint8_t>> acks;
    std::vector<std::vector<uint8_t>> real_of;
    for (uint32_t i = 0; i < established; ++i) {
        auto sport = uint16_t(20000 + i);
        auto syn = run_once(dp.program_fd(), build_packet(to_vip(client, sport, test::tcp_syn)), cli);
        acks.push_back(build_packet(to_vip(client, sport, test::tcp_ack)));
        auto ack = run_once(dp.program_fd(), acks.back(), cli);
        if (syn.action != XDP_REDIRECT || ack.action != XDP_REDIRECT)
            throw std::runtime_error("flood suite: an established flow was not forwarded");
        real_of.emplace_back(ack.frame.begin(), ack.frame.begin() + 6);
    }
    const auto new_before = dp.global_counters()[XVS_STAT_NEW_CONN];

    // The flood, with the active half's keep-alives interleaved.
    std::vector<uint8_t> frame;
    uint32_t next_active = 0;
    auto next_packet = [&](int i) -> const std::vector<uint8_t>& {
        if (i % int(keepalive_every) == 0 && established >= 2) {
            frame = acks[next_active];
            next_active = (next_active + 1) % (established / 2);
        } else {
            frame = build_packet(to_vip(flood_source(uint32_t(i)), uint16_t(1024 + (i & 15)), test::tcp_syn));
        }
        return frame;
    };
    Sample s = measure_prog(dp.program_fd(), int(flood), next_packet, cli);
    const auto scheduled = dp.global_counters()[XVS_STAT_NEW_CONN] - new_before;
    Figure cost = figure("syn_flood_cost", s.median_ns, "ns/pkt", "SYN of a new source into a full table");
    cost.spread = std::make_pair(s.p10_ns, s.p90_ns);
    out.push_back(cost);

    const size_t entries = count_entries(dp.map_fd("xvs_conns"));
    const double inserted = double(established) + double(scheduled);
    out.push_back(figure("table_size", table, "entries"));
    out.push_back(figure("flood_syns", flood, "packets"));
    out.push_back(figure("entries_after_flood", double(entries), "entries"));
    out.push_back(figure("evictions", inserted - double(entries), "entries",
                         "flows scheduled minus entries left"));
    if (entries == 0 || entries > table)
        throw std::runtime_error("flood suite: " + std::to_string(entries) + " entries in a table of " +
                                 std::to_string(table));

    // Which established flows still have their entry (looked up before any
    // packet of theirs could recreate it), and which still reach their real.
    uint32_t alive_active = 0, alive_idle = 0;
    for (uint32_t i = 0; i < established; ++i) {
        xvs_conn_key key{};
        key.src[0] = htonl(0x0a000002);  // 10.0.0.2
        key.dst[0] = htonl(0x0a000064);  // 10.0.0.100
        key.sport = htons(uint16_t(20000 + i));
        key.dport = htons(80);
        key.proto = IPPROTO_TCP;
        key.family = XVS_FAMILY_V4;
        xvs_conn value{};
        bool alive = bpf_map_lookup_elem(dp.map_fd("xvs_conns"), &key, &value) == 0;
        (i < established / 2 ? alive_active : alive_idle) += alive;
    }
    out.push_back(figure("entry_survived_active", double(alive_active) / (established / 2), "fraction",
                         "flows sending during the flood"));
    out.push_back(figure("entry_survived_idle", double(alive_idle) / (established - established / 2),
                         "fraction", "idle flows"));
    if (alive_active == 0)
        throw std::runtime_error("flood suite: no entry of an active flow found (key layout?)");
    uint32_t kept_active = 0, kept_idle = 0;
    for (uint32_t i = 0; i < established; ++i) {
        auto r = run_once(dp.program_fd(), acks[i], cli);
        bool same = r.action == XDP_REDIRECT && std::equal(real_of[i].begin(), real_of[i].end(), r.frame.begin());
        (i < established / 2 ? kept_active : kept_idle) += same;
    }
    out.push_back(figure("kept_real_active", double(kept_active) / (established / 2), "fraction",
                         "flows sending during the flood"));
    out.push_back(figure("kept_real_idle", double(kept_idle) / (established - established / 2), "fraction",
                         "idle flows; an evicted one keeps its real only by chance"));
}

}  // namespace xvs::bench
