// FlowScript: TCP connections to 10.0.0.100:80 (from 10.0.0.2 unless told),
// opened, held, closed and forgotten one by one through the XDP program, for
// tests that follow which real each new connection gets as the counts change.
// Ports name connections: a test gives each its own.
#pragma once

#include <arpa/inet.h>
#include <bpf/bpf.h>

#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

#include "bpf/xdp_fixture.h"

namespace xvs::test {

// Real 10.1.0.n:80 (n = 2, 3, 4: the test network's reals) for DR.
inline RealServer test_real(int n, uint32_t weight, uint32_t upper = 0, uint32_t lower = 0) {
    RealServer r = make_real("10.1.0." + std::to_string(n), 80, ForwardMethod::gate, weight);
    r.upper_threshold = upper;
    r.lower_threshold = lower;
    return r;
}

// The service 10.0.0.100:80 with these reals. Its reals are added in map
// order (10.1.0.2 first), so IPVS, which puts each new one at the head of its
// list, lists them 10.1.0.4, .3, .2: that order breaks ties.
inline VirtualService test_service(const std::string& scheduler, const std::vector<RealServer>& reals) {
    return make_service(Protocol::tcp, "10.0.0.100", 80, reals, scheduler);
}

class FlowScript {
   public:
    explicit FlowScript(XdpFixture& f) : f_(f) {}

    // A new connection from client port `port`: its SYN is scheduled, its
    // ACK establishes it (ActiveConn). Returns the real (2, 3, 4), 0 if the
    // SYN was not forwarded.
    int open(uint16_t port, const std::string& client = "10.0.0.2") {
        int real = real_of(f_.send(tcp_segment(port, tcp_syn, client)));
        if (real) CHECK(real_of(f_.send(tcp_segment(port, tcp_ack, client))) == real);
        return real;
    }
    // Only the SYN (InActConn until an ACK comes).
    int open_half(uint16_t port) { return real_of(f_.send(tcp_segment(port, tcp_syn, "10.0.0.2"))); }
    // The client's FIN: the entry stays, inactive, until it expires.
    void close(uint16_t port) { f_.send(tcp_segment(port, tcp_fin | tcp_ack, "10.0.0.2")); }
    // The entries of these ports expire and the sweeper deletes them.
    void forget(const std::set<uint16_t>& ports) {
        int fd = f_.dp.map_fd("xvs_conns");
        std::vector<xvs_conn_key> keys;
        xvs_conn_key key{}, next{};
        const void* prev = nullptr;
        while (bpf_map_get_next_key(fd, prev, &next) == 0) {
            if (ports.count(ntohs(next.sport))) keys.push_back(next);
            key = next;
            prev = &key;
        }
        REQUIRE(keys.size() == ports.size());
        for (const auto& k : keys) {
            xvs_conn c{};
            REQUIRE(bpf_map_lookup_elem(fd, &k, &c) == 0);
            c.last_seen_ns -= XVS_TIMEOUT_TCP_ESTABLISHED + XVS_NS_PER_SEC;
            REQUIRE(bpf_map_update_elem(fd, &k, &c, BPF_EXIST) == 0);
        }
        f_.dp.census_now();
    }
    // Which real each of `ports` is opened to, in turn.
    std::vector<int> open_each(uint16_t first, int count) {
        std::vector<int> reals;
        for (int i = 0; i < count; ++i) reals.push_back(open(uint16_t(first + i)));
        return reals;
    }

   private:
    XdpFixture& f_;
};

}  // namespace xvs::test
