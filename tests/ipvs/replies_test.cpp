// Parsing of IPVS replies built by hand, as the kernel would send them, and
// malformed ones: each must give a clear error, never a crash.
#include <arpa/inet.h>
#include <linux/ip_vs.h>
#include <netinet/in.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include <catch2/catch.hpp>
#include <functional>

#include "dataplane/ipvs/ipvs_error.h"
#include "dataplane/ipvs/ipvs_messages.h"

using namespace xvs;

namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

// Builds one reply: a genl header for `cmd` and attributes written by `fill`.
NlMsgPtr reply(uint8_t cmd, const std::function<void(nl_msg*)>& fill) {
    NlMsgPtr m(nlmsg_alloc());
    REQUIRE(genlmsg_put(m.get(), 0, 0, 0x1d, 0, NLM_F_MULTI, cmd, IPVS_GENL_VERSION));
    fill(m.get());
    return m;
}

void nested(nl_msg* m, int type, const std::function<void(nl_msg*)>& fill) {
    nlattr* n = nla_nest_start(m, type);
    fill(m);
    nla_nest_end(m, n);
}

void put_stats64(nl_msg* m, int type, uint64_t base) {
    nested(m, type, [&](nl_msg* s) {
        nla_put_u64(s, IPVS_STATS_ATTR_CONNS, base + 1);
        nla_put_u64(s, IPVS_STATS_ATTR_INPKTS, base + 2);
        nla_put_u64(s, IPVS_STATS_ATTR_OUTPKTS, base + 3);
        nla_put_u64(s, IPVS_STATS_ATTR_INBYTES, base + 4);
        nla_put_u64(s, IPVS_STATS_ATTR_OUTBYTES, base + 5);
    });
}

struct ServiceAttrs {
    bool af = true, sched = true, flags = true, timeout = true, netmask = true;
    bool short_port = false;
    const char* pe = nullptr;  // IPVS_SVC_ATTR_PE_NAME
};

NlMsgPtr tcp_service_reply(ServiceAttrs want = {}) {
    return reply(IPVS_CMD_NEW_SERVICE, [&](nl_msg* m) {
        nested(m, IPVS_CMD_ATTR_SERVICE, [&](nl_msg* s) {
            if (want.af) nla_put_u16(s, IPVS_SVC_ATTR_AF, AF_INET);
            nla_put_u16(s, IPVS_SVC_ATTR_PROTOCOL, IPPROTO_TCP);
            auto a = ip("10.0.0.1");
            nla_put(s, IPVS_SVC_ATTR_ADDR, 16, a.bytes.data());
            if (want.short_port) {
                uint8_t one = 0;
                nla_put(s, IPVS_SVC_ATTR_PORT, 1, &one);
            } else {
                nla_put_u16(s, IPVS_SVC_ATTR_PORT, htons(80));
            }
            if (want.sched) nla_put_string(s, IPVS_SVC_ATTR_SCHED_NAME, "wlc");
            ip_vs_flags f{IP_VS_SVC_F_PERSISTENT | IP_VS_SVC_F_HASHED | IP_VS_SVC_F_ONEPACKET, ~0u};
            if (want.flags) nla_put(s, IPVS_SVC_ATTR_FLAGS, sizeof f, &f);
            if (want.timeout) nla_put_u32(s, IPVS_SVC_ATTR_TIMEOUT, 300);
            if (want.netmask) nla_put_u32(s, IPVS_SVC_ATTR_NETMASK, htonl(0xffffff00u));
            if (want.pe) nla_put_string(s, IPVS_SVC_ATTR_PE_NAME, want.pe);
            put_stats64(s, IPVS_SVC_ATTR_STATS64, 100);
        });
    });
}

}  // namespace

TEST_CASE("a TCP service reply becomes a ServiceStatus with settings and 64-bit counters") {
    auto m = tcp_service_reply();
    ServiceStatus s = parse_service_reply(nlmsg_hdr(m.get()));
    CHECK(s.key == ServiceKey::tcp_udp(Protocol::tcp, ip("10.0.0.1"), 80));
    CHECK(s.scheduler == "wlc");
    CHECK(s.scheduler_flags.empty());
    CHECK(s.one_packet);
    CHECK(s.persistence.timeout == 300);
    CHECK(s.persistence.prefix_len == 24);
    CHECK(s.counters.connections == 101);
    CHECK(s.counters.packets_in == 102);
    CHECK(s.counters.packets_out == 103);
    CHECK(s.counters.bytes_in == 104);
    CHECK(s.counters.bytes_out == 105);
    CHECK(s.reals.empty());
}

TEST_CASE("a fwmark service reply keys on the mark and family, and a timeout without the flag is not persistence") {
    auto m = reply(IPVS_CMD_NEW_SERVICE, [](nl_msg* msg) {
        nested(msg, IPVS_CMD_ATTR_SERVICE, [](nl_msg* s) {
            nla_put_u16(s, IPVS_SVC_ATTR_AF, AF_INET6);
            nla_put_u32(s, IPVS_SVC_ATTR_FWMARK, 100);
            nla_put_string(s, IPVS_SVC_ATTR_SCHED_NAME, "sh");
            ip_vs_flags f{IP_VS_SVC_F_SCHED_SH_PORT, ~0u};
            nla_put(s, IPVS_SVC_ATTR_FLAGS, sizeof f, &f);
            nla_put_u32(s, IPVS_SVC_ATTR_TIMEOUT, 300);
            nla_put_u32(s, IPVS_SVC_ATTR_NETMASK, 128);
            // Only the old 32-bit statistics.
            nested(s, IPVS_SVC_ATTR_STATS, [](nl_msg* st) {
                nla_put_u32(st, IPVS_STATS_ATTR_CONNS, 7);
                nla_put_u32(st, IPVS_STATS_ATTR_INPKTS, 8);
                nla_put_u32(st, IPVS_STATS_ATTR_OUTPKTS, 9);
                nla_put_u64(st, IPVS_STATS_ATTR_INBYTES, 10);
                nla_put_u64(st, IPVS_STATS_ATTR_OUTBYTES, 11);
            });
        });
    });
    ServiceStatus s = parse_service_reply(nlmsg_hdr(m.get()));
    CHECK(s.key == ServiceKey::mark(100, Family::v6));
    CHECK(s.scheduler_flags == std::vector<std::string>{"sh-port"});
    CHECK(s.persistence.timeout == 0);
    CHECK(s.persistence.prefix_len == 128);
    CHECK_FALSE(s.one_packet);
    CHECK(s.counters.connections == 7);
    CHECK(s.counters.packets_out == 9);
    CHECK(s.counters.bytes_out == 11);
}

TEST_CASE("a destination reply becomes a RealStatus with connections and counters") {
    auto m = reply(IPVS_CMD_NEW_DEST, [](nl_msg* msg) {
        nested(msg, IPVS_CMD_ATTR_DEST, [](nl_msg* d) {
            auto a = ip("192.168.239.133");
            nla_put(d, IPVS_DEST_ATTR_ADDR, 16, a.bytes.data());
            nla_put_u16(d, IPVS_DEST_ATTR_PORT, htons(8080));
            nla_put_u32(d, IPVS_DEST_ATTR_FWD_METHOD, IP_VS_CONN_F_MASQ);
            nla_put_u32(d, IPVS_DEST_ATTR_WEIGHT, 2);
            nla_put_u8(d, IPVS_DEST_ATTR_TUN_TYPE, 0);
            nla_put_u32(d, IPVS_DEST_ATTR_U_THRESH, 50);
            nla_put_u32(d, IPVS_DEST_ATTR_L_THRESH, 5);
            nla_put_u32(d, IPVS_DEST_ATTR_ACTIVE_CONNS, 3);
            nla_put_u32(d, IPVS_DEST_ATTR_INACT_CONNS, 4);
            nla_put_u32(d, IPVS_DEST_ATTR_PERSIST_CONNS, 6);
            nla_put_u16(d, IPVS_DEST_ATTR_ADDR_FAMILY, AF_INET);
            put_stats64(d, IPVS_DEST_ATTR_STATS64, 1000);
        });
    });
    RealStatus r = parse_dest_reply(nlmsg_hdr(m.get()));
    CHECK(r.key.address == ip("192.168.239.133"));
    CHECK(r.key.port == 8080);
    CHECK(r.method == ForwardMethod::masq);
    CHECK(r.weight == 2);
    CHECK(r.upper_threshold == 50);
    CHECK(r.lower_threshold == 5);
    CHECK(r.active_connections == 3);
    CHECK(r.inactive_connections == 4);
    CHECK(r.persistent_connections == 6);
    CHECK(r.counters.connections == 1001);
    CHECK(r.counters.bytes_in == 1004);
}

TEST_CASE("destination methods map back: route, tunnel, and a local node as masq") {
    auto with_method = [](uint32_t method) {
        auto m = reply(IPVS_CMD_NEW_DEST, [&](nl_msg* msg) {
            nested(msg, IPVS_CMD_ATTR_DEST, [&](nl_msg* d) {
                auto a = ip("2001:db8::7");
                nla_put(d, IPVS_DEST_ATTR_ADDR, 16, a.bytes.data());
                nla_put_u16(d, IPVS_DEST_ATTR_PORT, htons(80));
                nla_put_u32(d, IPVS_DEST_ATTR_FWD_METHOD, method);
                nla_put_u32(d, IPVS_DEST_ATTR_WEIGHT, 1);
            });
        });
        return parse_dest_reply(nlmsg_hdr(m.get()));
    };
    CHECK(with_method(IP_VS_CONN_F_DROUTE).method == ForwardMethod::gate);
    CHECK(with_method(IP_VS_CONN_F_TUNNEL).method == ForwardMethod::ipip);
    CHECK(with_method(IP_VS_CONN_F_LOCALNODE).method == ForwardMethod::masq);
    // Without ADDR_FAMILY the family comes from the address bytes.
    CHECK(with_method(IP_VS_CONN_F_DROUTE).key.address == ip("2001:db8::7"));
    CHECK_THROWS_WITH(with_method(7), "malformed IPVS destination reply: unknown forwarding method");
}

TEST_CASE("an info reply gives the version as ipvsadm prints it and the table size") {
    auto m = reply(IPVS_CMD_SET_INFO, [](nl_msg* msg) {
        nla_put_u32(msg, IPVS_INFO_ATTR_VERSION, 0x010201);
        nla_put_u32(msg, IPVS_INFO_ATTR_CONN_TAB_SIZE, 4096);
    });
    IpvsInfo info = parse_info_reply(nlmsg_hdr(m.get()));
    CHECK(info.version_text() == "1.2.1");
    CHECK(info.connection_table_size == 4096);
}

TEST_CASE("malformed service replies name what is wrong") {
    ServiceAttrs no_af;
    no_af.af = false;
    CHECK_THROWS_WITH(parse_service_reply(nlmsg_hdr(tcp_service_reply(no_af).get())),
                      "malformed IPVS service reply: no address family attribute");
    ServiceAttrs no_sched;
    no_sched.sched = false;
    CHECK_THROWS_WITH(parse_service_reply(nlmsg_hdr(tcp_service_reply(no_sched).get())),
                      "malformed IPVS service reply: no scheduler name attribute");
    ServiceAttrs no_netmask;
    no_netmask.netmask = false;
    CHECK_THROWS_WITH(parse_service_reply(nlmsg_hdr(tcp_service_reply(no_netmask).get())),
                      "malformed IPVS service reply: no netmask attribute");
    ServiceAttrs short_port;
    short_port.short_port = true;
    CHECK_THROWS_WITH(parse_service_reply(nlmsg_hdr(tcp_service_reply(short_port).get())),
                      "malformed IPVS service reply: port attribute has 1 bytes, expected 2");
}

TEST_CASE("a reply without the nested object, or with a string lacking its NUL, is refused") {
    auto empty = reply(IPVS_CMD_NEW_SERVICE, [](nl_msg*) {});
    CHECK_THROWS_WITH(parse_service_reply(nlmsg_hdr(empty.get())),
                      "malformed IPVS service reply: no service attribute");
    CHECK_THROWS_WITH(parse_dest_reply(nlmsg_hdr(empty.get())),
                      "malformed IPVS destination reply: no destination attribute");
    CHECK_THROWS_WITH(parse_info_reply(nlmsg_hdr(empty.get())),
                      "malformed IPVS info reply: no version attribute");
    auto unterminated = reply(IPVS_CMD_NEW_SERVICE, [](nl_msg* msg) {
        nested(msg, IPVS_CMD_ATTR_SERVICE, [](nl_msg* s) {
            nla_put_u16(s, IPVS_SVC_ATTR_AF, AF_INET);
            nla_put_u32(s, IPVS_SVC_ATTR_FWMARK, 1);
            nla_put(s, IPVS_SVC_ATTR_SCHED_NAME, 3, "wrr");
        });
    });
    CHECK_THROWS_WITH(parse_service_reply(nlmsg_hdr(unterminated.get())),
                      "malformed IPVS service reply: scheduler name attribute is not NUL-terminated");
}

TEST_CASE("a destination reply with a short address or truncated stats is refused") {
    auto short_addr = reply(IPVS_CMD_NEW_DEST, [](nl_msg* msg) {
        nested(msg, IPVS_CMD_ATTR_DEST, [](nl_msg* d) {
            uint32_t v4 = htonl(0x0a000002);
            nla_put(d, IPVS_DEST_ATTR_ADDR, 4, &v4);
        });
    });
    CHECK_THROWS_WITH(parse_dest_reply(nlmsg_hdr(short_addr.get())),
                      "malformed IPVS destination reply: address attribute has 4 bytes, expected 16");
    auto short_stats = reply(IPVS_CMD_NEW_DEST, [](nl_msg* msg) {
        nested(msg, IPVS_CMD_ATTR_DEST, [](nl_msg* d) {
            auto a = ip("10.0.0.2");
            nla_put(d, IPVS_DEST_ATTR_ADDR, 16, a.bytes.data());
            nla_put_u16(d, IPVS_DEST_ATTR_PORT, htons(80));
            nla_put_u32(d, IPVS_DEST_ATTR_FWD_METHOD, IP_VS_CONN_F_DROUTE);
            nla_put_u32(d, IPVS_DEST_ATTR_WEIGHT, 1);
            nested(d, IPVS_DEST_ATTR_STATS64, [](nl_msg* s) { nla_put_u32(s, IPVS_STATS_ATTR_CONNS, 1); });
        });
    });
    CHECK_THROWS_WITH(parse_dest_reply(nlmsg_hdr(short_stats.get())),
                      "malformed IPVS destination reply: stats64 conns attribute has 4 bytes, expected 8");
}

TEST_CASE("a message cut short inside its attributes is refused, not read past") {
    auto m = tcp_service_reply();
    nlmsghdr* h = nlmsg_hdr(m.get());
    // Claim the message ends in the middle of the nested service attribute.
    std::vector<uint8_t> copy(reinterpret_cast<uint8_t*>(h), reinterpret_cast<uint8_t*>(h) + h->nlmsg_len);
    auto* cut = reinterpret_cast<nlmsghdr*>(copy.data());
    cut->nlmsg_len = NLMSG_HDRLEN + GENL_HDRLEN + 20;
    CHECK_THROWS_AS(parse_service_reply(cut), IpvsError);
    cut->nlmsg_len = NLMSG_HDRLEN + 2;  // not even a genl header
    CHECK_THROWS_WITH(parse_service_reply(cut), "malformed IPVS service reply: truncated message");
}

TEST_CASE("a config reply gives ipvsadm --timeout's three values, one missing is refused") {
    auto m = reply(IPVS_CMD_SET_CONFIG, [](nl_msg* msg) {
        nla_put_u32(msg, IPVS_CMD_ATTR_TIMEOUT_TCP, 900);
        nla_put_u32(msg, IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, 120);
        nla_put_u32(msg, IPVS_CMD_ATTR_TIMEOUT_UDP, 300);
    });
    CHECK(parse_timeouts_reply(nlmsg_hdr(m.get())) == ConnectionTimeouts{900, 120, 300});
    auto partial = reply(IPVS_CMD_SET_CONFIG, [](nl_msg* msg) { nla_put_u32(msg, IPVS_CMD_ATTR_TIMEOUT_TCP, 900); });
    CHECK_THROWS_WITH(parse_timeouts_reply(nlmsg_hdr(partial.get())),
                      Catch::Contains("malformed IPVS timeouts reply") && Catch::Contains("tcp fin timeout"));
}

TEST_CASE("a service reply with IPVS_SVC_ATTR_PE_NAME names its persistence engine") {
    ServiceAttrs with_pe;
    with_pe.pe = "sip";
    auto m = tcp_service_reply(with_pe);
    CHECK(parse_service_reply(nlmsg_hdr(m.get())).persistence.engine == "sip");
    auto without = tcp_service_reply();
    CHECK(parse_service_reply(nlmsg_hdr(without.get())).persistence.engine.empty());
}

TEST_CASE("a tunnel destination reply gives its type, port and checksum") {
    auto with_tunnel = [](uint8_t type, uint16_t port, uint16_t flags) {
        auto m = reply(IPVS_CMD_NEW_DEST, [&](nl_msg* msg) {
            nested(msg, IPVS_CMD_ATTR_DEST, [&](nl_msg* d) {
                auto a = ip("10.1.0.2");
                nla_put(d, IPVS_DEST_ATTR_ADDR, 16, a.bytes.data());
                nla_put_u16(d, IPVS_DEST_ATTR_PORT, htons(80));
                nla_put_u32(d, IPVS_DEST_ATTR_FWD_METHOD, IP_VS_CONN_F_TUNNEL);
                nla_put_u32(d, IPVS_DEST_ATTR_WEIGHT, 1);
                nla_put_u16(d, IPVS_DEST_ATTR_ADDR_FAMILY, AF_INET);
                nla_put_u8(d, IPVS_DEST_ATTR_TUN_TYPE, type);
                nla_put_u16(d, IPVS_DEST_ATTR_TUN_PORT, htons(port));
                nla_put_u16(d, IPVS_DEST_ATTR_TUN_FLAGS, flags);
            });
        });
        return parse_dest_reply(nlmsg_hdr(m.get()));
    };
    CHECK(with_tunnel(IP_VS_CONN_F_TUNNEL_TYPE_GUE, 6080, IP_VS_TUNNEL_ENCAP_FLAG_CSUM).tunnel ==
          Tunnel{TunnelType::gue, 6080, TunnelChecksum::csum});
    CHECK(with_tunnel(IP_VS_CONN_F_TUNNEL_TYPE_GRE, 0, IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM).tunnel ==
          Tunnel{TunnelType::gre, 0, TunnelChecksum::none});
    CHECK(with_tunnel(IP_VS_CONN_F_TUNNEL_TYPE_GUE, 1, IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM).tunnel ==
          Tunnel{TunnelType::gue, 1, TunnelChecksum::remcsum});
    CHECK(with_tunnel(IP_VS_CONN_F_TUNNEL_TYPE_IPIP, 0, 0).tunnel == Tunnel{});
    CHECK_THROWS_WITH(with_tunnel(9, 0, 0), "malformed IPVS destination reply: unknown tunnel type 9");
}
