// PlaneWithEntries: an XdpDataplane serving TCP 10.0.0.1:80 (persistent
// 5 s, reals a and b) whose connection tables the test fills by hand, as if
// the program had made the entries (but without its counting).
#pragma once

#include <bpf/bpf.h>
#include <netinet/in.h>

#include <catch2/catch.hpp>
#include <string>

#include "dataplane/xdp/xdp_dataplane.h"
#include "dataplane/xdp/xdp_maps_io.h"
#include "model/diff.h"
#include "model/model.h"
#include "support/xdp_plane_options.h"

namespace xvs::testing {

inline IpAddress v4(const std::string& text) {
    auto a = IpAddress::parse(text);
    REQUIRE(a);
    return *a;
}

inline const RealKey real_a{IpAddress::parse("10.1.0.2").value(), 80};
inline const RealKey real_b{IpAddress::parse("10.1.0.3").value(), 80};

// TCP 10.0.0.1:80, persistent for 5 seconds, reals a and b.
inline Model web_model() {
    VirtualService svc;
    svc.key = ServiceKey::tcp_udp(Protocol::tcp, v4("10.0.0.1"), 80);
    svc.persistence.timeout = 5;
    for (const auto& key : {real_a, real_b}) {
        RealServer r;
        r.key = key;
        r.weight = r.configured_weight = 1;
        svc.reals[key] = r;
    }
    Model m;
    m.services[svc.key] = svc;
    return m;
}

struct PlaneWithEntries {
    explicit PlaneWithEntries(XdpOptions o) : dp(std::move(o)) {
        cleanup.dir = dp.pin_directory();
        model = web_model();
        dp.apply(diff(Model{}, model));
        service = *dp.service_id(model.services.begin()->first);
    }
    struct Real {
        uint32_t id, generation;
    };
    Real real(const RealKey& key) {
        uint32_t id = *dp.real_id(model.services.begin()->first, key);
        xvs_real r{};
        REQUIRE(bpf_map_lookup_elem(dp.map_fd("xvs_reals"), &id, &r) == 0);
        return {id, r.generation};
    }
    // A connection entry from client port `port` to the real, `age_ns` old.
    void connection(uint32_t port, Real real, uint8_t state, uint64_t age_ns = 0) {
        xvs_conn_key k{};
        k.src[0] = htonl(0x0a000002);
        k.dst[0] = htonl(0x0a000001);
        k.sport = htons(uint16_t(port));
        k.dport = htons(80);
        k.proto = IPPROTO_TCP;
        k.family = XVS_FAMILY_V4;
        k.pad = uint16_t(port >> 16);  // more than 65536 keys
        xvs_conn c{};
        c.last_seen_ns = monotonic_ns() - age_ns;
        c.real_id = real.id;
        c.real_generation = real.generation;
        c.service_id = service;
        c.state = state;
        REQUIRE(bpf_map_update_elem(dp.map_fd("xvs_conns"), &k, &c, BPF_ANY) == 0);
    }
    void persistence(uint32_t client, Real real, uint64_t age_ns = 0) {
        xvs_persist_key k{};
        k.client[0] = htonl(client);
        k.service_id = service;
        k.family = XVS_FAMILY_V4;
        xvs_persist t{};
        t.last_seen_ns = monotonic_ns() - age_ns;
        t.real_id = real.id;
        t.real_generation = real.generation;
        REQUIRE(bpf_map_update_elem(dp.map_fd("xvs_persist"), &k, &t, BPF_ANY) == 0);
    }
    void nat_reverse(uint16_t port) {
        xvs_conn_key k{};
        k.sport = htons(port);
        k.family = XVS_FAMILY_V4;
        xvs_nat_reverse v{};
        REQUIRE(bpf_map_update_elem(dp.map_fd("xvs_nat_reverse"), &k, &v, BPF_ANY) == 0);
    }
    RealStatus status_of(const RealKey& key) {
        auto st = dp.status();
        std::string seen;
        for (const auto& s : st)
            for (const auto& r : s.reals) {
                if (r.key == key) return r;
                seen += " " + r.key.to_string();
            }
        FAIL("no real " << key.to_string() << " among" << seen);
        return {};
    }

    PinCleanup cleanup;  // first: runs after the plane is gone
    XdpDataplane dp;
    Model model;
    uint32_t service = 0;
};

}  // namespace xvs::testing
