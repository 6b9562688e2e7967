// XdpFixture: a TestNetwork, an XdpDataplane loaded in it (no interfaces
// attached, small tables, unique instance name) and helpers to program a
// model and send packets through the program.
#pragma once

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "bpf/pinned_cpu.h"
#include "bpf/test_network.h"
#include "dataplane/xdp/xdp_dataplane.h"
#include "model/diff.h"
#include "model/model.h"
#include "support/packet_builder.h"

namespace xvs::test {

inline RealServer make_real(const std::string& addr, uint16_t port, ForwardMethod method,
                            uint32_t weight = 1) {
    RealServer r;
    r.key = RealKey{ip(addr), port};
    r.method = method;
    r.weight = weight;
    r.configured_weight = weight;
    return r;
}

inline VirtualService make_service(Protocol proto, const std::string& vip, uint16_t port,
                                   const std::vector<RealServer>& reals,
                                   const std::string& scheduler = "wrr") {
    VirtualService s;
    s.key = ServiceKey::tcp_udp(proto, ip(vip), port);
    s.scheduler = scheduler;
    s.persistence.prefix_len = s.key.family == Family::v6 ? 128 : 32;
    for (const auto& r : reals) s.reals[r.key] = r;
    return s;
}

// A payload of n bytes that is not all one value (checksums notice a shift).
inline std::vector<uint8_t> payload(size_t n) {
    std::vector<uint8_t> p(n);
    for (size_t i = 0; i < n; ++i) p[i] = uint8_t(i * 7 + 1);
    return p;
}

// A SYN with 37 bytes of payload from the test client (10.0.0.2 / fd00::2,
// port 40000) to vip:vport.
inline PacketSpec client_packet(const std::string& vip, uint16_t vport, uint8_t proto = 6) {
    PacketSpec s;
    bool v6 = vip.find(':') != std::string::npos;
    s.src = ip(v6 ? "fd00::2" : "10.0.0.2");
    s.dst = ip(vip);
    s.proto = proto;
    s.dport = vport;
    s.payload = payload(37);
    return s;
}

// Bytes [offset, offset + length) of a UDP datagram with `size` bytes of
// payload from the test client (port 40000) to vip:vport, fragment id `id`.
inline PacketSpec udp_fragment(const std::string& vip, uint16_t offset, uint16_t length, bool more,
                               uint32_t id = 0xbeef, size_t size = 100, uint16_t vport = 53) {
    PacketSpec s = client_packet(vip, vport, 17);
    s.payload = payload(size);
    s.fragment = Fragment{id, offset, length, more};
    return s;
}

// A TCP segment with `flags` from client:sport to the test VIP 10.0.0.100:80.
inline PacketSpec tcp_segment(uint16_t sport, uint8_t flags, const std::string& client = "10.0.0.2") {
    PacketSpec s;
    s.src = ip(client);
    s.dst = ip("10.0.0.100");
    s.sport = sport;
    s.dport = 80;
    s.tcp_flags = flags;
    return s;
}

inline Model make_model(const std::vector<VirtualService>& services) {
    Model m;
    for (const auto& s : services) m.services[s.key] = s;
    return m;
}

inline XdpOptions test_options() {
    static int counter = 0;
    XdpOptions o;
    o.instance = "test-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
    o.connection_table_size = 4096;
    o.persistence_table_size = 1024;
    return o;
}

struct XdpFixture {
    // The program serves both test interfaces, as attach() would make it.
    explicit XdpFixture(XdpOptions options = test_options()) : dp(std::move(options)) {
        dp.serve_interface(net.client_ifindex);
        dp.serve_interface(net.real_ifindex);
    }

    void set(const Model& next) {
        dp.apply(diff(model, next));
        model = next;
    }
    XdpRun send(const PacketSpec& spec) { return run_xdp(dp.program_fd(), build_packet(spec), net.client_ifindex); }
    // From a real, addressed to the director's real-side interface.
    XdpRun send_from_real(PacketSpec spec) {
        spec.eth_dst = net.real_if_mac;
        return run_xdp(dp.program_fd(), build_packet(spec), net.real_ifindex);
    }
    uint64_t stat(xvs_stat s) const { return dp.global_counters()[s]; }
    // Entries in one of the program's hash maps ("xvs_conns", "xvs_nat_reverse", ...).
    size_t entries(std::string_view map) const {
        int fd = dp.map_fd(map);
        std::vector<uint8_t> key(64), next(64);
        size_t n = 0;
        for (const void* prev = nullptr; bpf_map_get_next_key(fd, prev, next.data()) == 0; prev = key.data()) {
            ++n;
            key.swap(next);
        }
        return n;
    }

    TestNetwork net;  // first: the data plane is created inside the namespace
    XdpDataplane dp;
    Model model;
};

// Moves every entry of a hash map `age_ns` into the past (entries with a
// last_seen_ns: xvs_conns, xvs_persist).
template <typename Key, typename Value>
void age_all(int fd, uint64_t age_ns) {
    Key key{}, next{};
    const void* prev = nullptr;
    while (bpf_map_get_next_key(fd, prev, &next) == 0) {
        Value v{};
        if (bpf_map_lookup_elem(fd, &next, &v) == 0) {
            v.last_seen_ns -= age_ns;
            REQUIRE(bpf_map_update_elem(fd, &next, &v, BPF_EXIST) == 0);
        }
        key = next;
        prev = &key;
    }
}

// Which of the test reals (2, 3, 4) a forwarded frame's destination MAC is; 0 if none.
inline int real_of(const XdpRun& run) {
    if (run.frame.size() < 6) return 0;
    for (int n = 2; n <= 4; ++n) {
        Mac m = TestNetwork::real_mac(n);
        if (std::equal(m.begin(), m.end(), run.frame.begin())) return n;
    }
    return 0;
}

}  // namespace xvs::test
