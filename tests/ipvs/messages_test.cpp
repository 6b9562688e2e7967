// Encoding of IPVS requests: every attribute of what IpvsClient would send.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <catch2/catch.hpp>

#include "dataplane/ipvs/ipvs_error.h"
#include "ipvs/netlink_decode.h"
#include "model/schedulers.h"

using namespace xvs;
using xvs::test::bytes_of;
using xvs::test::decode;

namespace {

constexpr int genl_family_id = 0x1d;

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

VirtualService seed_fwmark_service() {
    VirtualService s;
    s.key = ServiceKey::mark(100, Family::v4);
    s.scheduler = "wrr";
    s.persistence.timeout = 600;
    s.persistence.prefix_len = 32;
    return s;
}

RealServer real(const char* addr, uint16_t port, ForwardMethod m, uint32_t weight) {
    RealServer r;
    r.key = {ip(addr), port};
    r.method = m;
    r.weight = weight;
    return r;
}

std::vector<uint8_t> addr16(const char* text) {
    auto a = ip(text);
    return {a.bytes.begin(), a.bytes.end()};
}

}  // namespace

TEST_CASE("a new fwmark service carries af, mark, scheduler, persistent flag, timeout and full mask") {
    auto msg = build_service_message(genl_family_id, IpvsCommand::new_service, seed_fwmark_service());
    auto d = decode(std::move(msg));
    CHECK(d.family_id == genl_family_id);
    CHECK(d.cmd == IPVS_CMD_NEW_SERVICE);
    CHECK((d.nlmsg_flags & NLM_F_DUMP) == 0);
    REQUIRE(d.has_svc);
    CHECK_FALSE(d.has_dest);
    CHECK(nla_get_u16(d.svc[IPVS_SVC_ATTR_AF]) == AF_INET);
    CHECK(nla_get_u32(d.svc[IPVS_SVC_ATTR_FWMARK]) == 100);
    CHECK(d.svc[IPVS_SVC_ATTR_PROTOCOL] == nullptr);
    CHECK(d.svc[IPVS_SVC_ATTR_ADDR] == nullptr);
    CHECK(d.svc[IPVS_SVC_ATTR_PORT] == nullptr);
    CHECK(std::string(nla_get_string(d.svc[IPVS_SVC_ATTR_SCHED_NAME])) == "wrr");
    REQUIRE(nla_len(d.svc[IPVS_SVC_ATTR_FLAGS]) == sizeof(ip_vs_flags));
    ip_vs_flags flags;
    std::memcpy(&flags, nla_data(d.svc[IPVS_SVC_ATTR_FLAGS]), sizeof flags);
    CHECK(flags.flags == IP_VS_SVC_F_PERSISTENT);
    CHECK(flags.mask == 0xffffffffu);
    CHECK(nla_get_u32(d.svc[IPVS_SVC_ATTR_TIMEOUT]) == 600);
    CHECK(nla_get_u32(d.svc[IPVS_SVC_ATTR_NETMASK]) == htonl(0xffffffffu));
}

TEST_CASE("a TCP service carries protocol, 16-byte address and port in network order") {
    VirtualService s;
    s.key = ServiceKey::tcp_udp(Protocol::tcp, ip("192.168.0.105"), 8080);
    s.scheduler = "rr";
    auto d = decode(build_service_message(genl_family_id, IpvsCommand::set_service, s));
    CHECK(d.cmd == IPVS_CMD_SET_SERVICE);
    CHECK(nla_get_u16(d.svc[IPVS_SVC_ATTR_AF]) == AF_INET);
    CHECK(nla_get_u16(d.svc[IPVS_SVC_ATTR_PROTOCOL]) == IPPROTO_TCP);
    CHECK(bytes_of(d.svc[IPVS_SVC_ATTR_ADDR]) == addr16("192.168.0.105"));
    CHECK(nla_get_u16(d.svc[IPVS_SVC_ATTR_PORT]) == htons(8080));
    CHECK(d.svc[IPVS_SVC_ATTR_FWMARK] == nullptr);
    ip_vs_flags flags;
    std::memcpy(&flags, nla_data(d.svc[IPVS_SVC_ATTR_FLAGS]), sizeof flags);
    CHECK(flags.flags == 0);
    CHECK(nla_get_u32(d.svc[IPVS_SVC_ATTR_TIMEOUT]) == 0);
}

TEST_CASE("an IPv6 UDP service with one-packet scheduling and a /64 persistence prefix") {
    VirtualService s;
    s.key = ServiceKey::tcp_udp(Protocol::udp, ip("2001:db8::1"), 53);
    s.scheduler = "sh";
    s.scheduler_flags = {"sh-port", "sh-fallback"};
    s.one_packet = true;
    s.persistence.timeout = 30;
    s.persistence.prefix_len = 64;
    auto d = decode(build_service_message(genl_family_id, IpvsCommand::new_service, s));
    CHECK(nla_get_u16(d.svc[IPVS_SVC_ATTR_AF]) == AF_INET6);
    CHECK(nla_get_u16(d.svc[IPVS_SVC_ATTR_PROTOCOL]) == IPPROTO_UDP);
    CHECK(bytes_of(d.svc[IPVS_SVC_ATTR_ADDR]) == addr16("2001:db8::1"));
    ip_vs_flags flags;
    std::memcpy(&flags, nla_data(d.svc[IPVS_SVC_ATTR_FLAGS]), sizeof flags);
    CHECK(flags.flags == (IP_VS_SVC_F_PERSISTENT | IP_VS_SVC_F_ONEPACKET | IP_VS_SVC_F_SCHED_SH_PORT |
                          IP_VS_SVC_F_SCHED_SH_FALLBACK));
    CHECK(nla_get_u32(d.svc[IPVS_SVC_ATTR_NETMASK]) == 64);
}

TEST_CASE("an IPv4 persistence prefix becomes a dotted mask in network order") {
    CHECK(encode_netmask(Family::v4, 24) == htonl(0xffffff00u));
    CHECK(encode_netmask(Family::v4, 0) == 0);
    CHECK(encode_netmask(Family::v4, 32) == htonl(0xffffffffu));
    CHECK(decode_netmask(Family::v4, htonl(0xffff0000u)) == 16);
    CHECK(decode_netmask(Family::v6, 48) == 48);
}

TEST_CASE("scheduler flags are named per scheduler and rejected when they do not belong") {
    CHECK(encode_scheduler_flags("mh", {"mh-port"}) == IP_VS_SVC_F_SCHED2);
    CHECK(encode_scheduler_flags("wrr", {"flag-3"}) == IP_VS_SVC_F_SCHED3);
    CHECK(decode_scheduler_flags("sh", IP_VS_SVC_F_SCHED1 | IP_VS_SVC_F_HASHED) ==
          std::vector<std::string>{"sh-fallback"});
    CHECK(decode_scheduler_flags("rr", IP_VS_SVC_F_SCHED2) == std::vector<std::string>{"flag-2"});
    CHECK_THROWS_WITH(encode_scheduler_flags("wrr", {"sh-port"}),
                      "scheduler flag sh-port needs scheduler sh, not wrr");
    CHECK_THROWS_WITH(encode_scheduler_flags("sh", {"bogus"}), "unknown scheduler flag \"bogus\"");
}

TEST_CASE("every flag of the shared list encodes to its IPVS bit and back to its name") {
    const uint32_t bits[] = {IP_VS_SVC_F_SCHED1, IP_VS_SVC_F_SCHED2, IP_VS_SVC_F_SCHED3};
    for (const auto& f : known_scheduler_flags) {
        std::string name(f.name);
        INFO(name);
        std::string scheduler = f.scheduler.empty() ? "wrr" : std::string(f.scheduler);
        uint32_t bit = encode_scheduler_flags(scheduler, {name});
        CHECK(bit == bits[f.ipvs_flag - 1]);
        CHECK(decode_scheduler_flags(scheduler, bit) == std::vector<std::string>{name});
    }
}

TEST_CASE("an over-long scheduler name is refused before anything is sent") {
    VirtualService s = seed_fwmark_service();
    s.scheduler = "a-scheduler-name-too-long";
    CHECK_THROWS_AS(build_service_message(genl_family_id, IpvsCommand::new_service, s), IpvsError);
}

TEST_CASE("deleting a service sends only its key") {
    auto d = decode(build_service_message(genl_family_id, IpvsCommand::del_service, seed_fwmark_service()));
    CHECK(d.cmd == IPVS_CMD_DEL_SERVICE);
    CHECK(nla_get_u32(d.svc[IPVS_SVC_ATTR_FWMARK]) == 100);
    CHECK(d.svc[IPVS_SVC_ATTR_SCHED_NAME] == nullptr);
    CHECK(d.svc[IPVS_SVC_ATTR_FLAGS] == nullptr);
    CHECK(d.svc[IPVS_SVC_ATTR_TIMEOUT] == nullptr);
}

TEST_CASE("a NAT destination of a fwmark service carries address, port 0, method, weight, thresholds") {
    auto r = real("192.168.239.133", 0, ForwardMethod::masq, 2);
    r.upper_threshold = 500;
    r.lower_threshold = 100;
    auto d = decode(build_dest_message(genl_family_id, IpvsCommand::new_dest, ServiceKey::mark(100, Family::v4), r));
    CHECK(d.cmd == IPVS_CMD_NEW_DEST);
    REQUIRE(d.has_svc);
    REQUIRE(d.has_dest);
    CHECK(nla_get_u32(d.svc[IPVS_SVC_ATTR_FWMARK]) == 100);
    CHECK(d.svc[IPVS_SVC_ATTR_SCHED_NAME] == nullptr);
    CHECK(bytes_of(d.dest[IPVS_DEST_ATTR_ADDR]) == addr16("192.168.239.133"));
    CHECK(nla_get_u16(d.dest[IPVS_DEST_ATTR_PORT]) == 0);
    CHECK(nla_get_u16(d.dest[IPVS_DEST_ATTR_ADDR_FAMILY]) == AF_INET);
    CHECK(nla_get_u32(d.dest[IPVS_DEST_ATTR_FWD_METHOD]) == IP_VS_CONN_F_MASQ);
    CHECK(nla_get_u32(d.dest[IPVS_DEST_ATTR_WEIGHT]) == 2);
    CHECK(nla_get_u32(d.dest[IPVS_DEST_ATTR_U_THRESH]) == 500);
    CHECK(nla_get_u32(d.dest[IPVS_DEST_ATTR_L_THRESH]) == 100);
    CHECK(d.dest[IPVS_DEST_ATTR_TUN_TYPE] == nullptr);
}

TEST_CASE("direct routing and tunnel destinations carry their method, tunnels the IPIP type") {
    ServiceKey svc = ServiceKey::tcp_udp(Protocol::tcp, ip("192.168.239.250"), 80);
    auto dr = decode(build_dest_message(genl_family_id, IpvsCommand::set_dest, svc,
                                        real("192.168.239.129", 80, ForwardMethod::gate, 1)));
    CHECK(dr.cmd == IPVS_CMD_SET_DEST);
    CHECK(nla_get_u32(dr.dest[IPVS_DEST_ATTR_FWD_METHOD]) == IP_VS_CONN_F_DROUTE);
    CHECK(nla_get_u16(dr.dest[IPVS_DEST_ATTR_PORT]) == htons(80));
    CHECK(nla_get_u16(dr.svc[IPVS_SVC_ATTR_PORT]) == htons(80));
    auto tun = decode(build_dest_message(genl_family_id, IpvsCommand::new_dest, svc,
                                         real("10.1.0.2", 80, ForwardMethod::ipip, 0)));
    CHECK(nla_get_u32(tun.dest[IPVS_DEST_ATTR_FWD_METHOD]) == IP_VS_CONN_F_TUNNEL);
    REQUIRE(tun.dest[IPVS_DEST_ATTR_TUN_TYPE] != nullptr);
    CHECK(nla_get_u8(tun.dest[IPVS_DEST_ATTR_TUN_TYPE]) == IP_VS_CONN_F_TUNNEL_TYPE_IPIP);
    CHECK(nla_get_u32(tun.dest[IPVS_DEST_ATTR_WEIGHT]) == 0);
}

TEST_CASE("deleting a destination sends only the service key and the destination address and port") {
    auto d = decode(build_dest_message(genl_family_id, IpvsCommand::del_dest, ServiceKey::mark(7, Family::v6),
                                       real("2001:db8::5", 443, ForwardMethod::gate, 9)));
    CHECK(d.cmd == IPVS_CMD_DEL_DEST);
    CHECK(nla_get_u16(d.svc[IPVS_SVC_ATTR_AF]) == AF_INET6);
    CHECK(bytes_of(d.dest[IPVS_DEST_ATTR_ADDR]) == addr16("2001:db8::5"));
    CHECK(nla_get_u16(d.dest[IPVS_DEST_ATTR_ADDR_FAMILY]) == AF_INET6);
    CHECK(d.dest[IPVS_DEST_ATTR_WEIGHT] == nullptr);
    CHECK(d.dest[IPVS_DEST_ATTR_FWD_METHOD] == nullptr);
}

TEST_CASE("dump, info, flush and zero requests have the right command and flags") {
    auto svc_dump = decode(build_service_dump_request(genl_family_id));
    CHECK(svc_dump.cmd == IPVS_CMD_GET_SERVICE);
    CHECK((svc_dump.nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP);
    CHECK_FALSE(svc_dump.has_svc);
    auto dest_dump = decode(build_dest_dump_request(genl_family_id, ServiceKey::mark(100, Family::v4)));
    CHECK(dest_dump.cmd == IPVS_CMD_GET_DEST);
    CHECK((dest_dump.nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP);
    CHECK(nla_get_u32(dest_dump.svc[IPVS_SVC_ATTR_FWMARK]) == 100);
    CHECK(decode(build_info_request(genl_family_id)).cmd == IPVS_CMD_GET_INFO);
    CHECK(decode(build_flush_request(genl_family_id)).cmd == IPVS_CMD_FLUSH);
    auto zero_all = decode(build_zero_request(genl_family_id, nullptr));
    CHECK(zero_all.cmd == IPVS_CMD_ZERO);
    CHECK_FALSE(zero_all.has_svc);
    ServiceKey key = ServiceKey::tcp_udp(Protocol::tcp, ip("10.0.0.1"), 80);
    auto zero_one = decode(build_zero_request(genl_family_id, &key));
    CHECK(zero_one.has_svc);
    CHECK(nla_get_u16(zero_one.svc[IPVS_SVC_ATTR_PORT]) == htons(80));
}

TEST_CASE("zeroing one service sends IPVS_CMD_ZERO with its key alone, TCP or fwmark") {
    // A key names the service; none of its settings travel with it.
    const int settings[] = {IPVS_SVC_ATTR_SCHED_NAME, IPVS_SVC_ATTR_FLAGS, IPVS_SVC_ATTR_TIMEOUT,
                            IPVS_SVC_ATTR_NETMASK};
    using Bytes = std::vector<uint8_t>;

    ServiceKey tcp = ServiceKey::tcp_udp(Protocol::tcp, ip("192.168.0.105"), 8080);
    auto t = decode(build_zero_request(genl_family_id, &tcp));
    CHECK(t.cmd == IPVS_CMD_ZERO);
    REQUIRE(t.has_svc);
    CHECK_FALSE(t.has_dest);
    CHECK(bytes_of(t.svc[IPVS_SVC_ATTR_AF]) == Bytes{AF_INET, 0});
    CHECK(bytes_of(t.svc[IPVS_SVC_ATTR_PROTOCOL]) == Bytes{IPPROTO_TCP, 0});
    CHECK(bytes_of(t.svc[IPVS_SVC_ATTR_ADDR]) == addr16("192.168.0.105"));
    CHECK(bytes_of(t.svc[IPVS_SVC_ATTR_PORT]) == Bytes{0x1f, 0x90});
    CHECK(t.svc[IPVS_SVC_ATTR_FWMARK] == nullptr);
    for (int attr : settings) CHECK(t.svc[attr] == nullptr);

    ServiceKey mark = ServiceKey::mark(100, Family::v6);
    auto m = decode(build_zero_request(genl_family_id, &mark));
    CHECK(m.cmd == IPVS_CMD_ZERO);
    REQUIRE(m.has_svc);
    CHECK(bytes_of(m.svc[IPVS_SVC_ATTR_AF]) == Bytes{AF_INET6, 0});
    CHECK(bytes_of(m.svc[IPVS_SVC_ATTR_FWMARK]) == Bytes{100, 0, 0, 0});
    for (int attr : {IPVS_SVC_ATTR_PROTOCOL, IPVS_SVC_ATTR_ADDR, IPVS_SVC_ATTR_PORT})
        CHECK(m.svc[attr] == nullptr);
    for (int attr : settings) CHECK(m.svc[attr] == nullptr);
}

TEST_CASE("kernel errors read as ipvsadm words them, depending on the operation") {
    CHECK(ipvs_error_text(IpvsOperation::add_service, EEXIST) == "Service already exists");
    CHECK(ipvs_error_text(IpvsOperation::edit_service, ESRCH) == "No such service");
    CHECK(ipvs_error_text(IpvsOperation::delete_service, ESRCH) == "No such service");
    CHECK(ipvs_error_text(IpvsOperation::add_destination, ESRCH) == "Service not defined");
    CHECK(ipvs_error_text(IpvsOperation::add_destination, EEXIST) == "Destination already exists");
    CHECK(ipvs_error_text(IpvsOperation::delete_destination, ENOENT) == "No such destination");
    CHECK(ipvs_error_text(IpvsOperation::add_service, ENOENT) == "Scheduler or persistence engine not found");
    CHECK(ipvs_error_text(IpvsOperation::flush, ENOMEM) == "Memory allocation problem");
    CHECK(ipvs_error_text(IpvsOperation::flush, EPERM) == "Permission denied (you must be root)");
}

TEST_CASE("ipvsadm --set sends IPVS_CMD_SET_CONFIG with the three timeouts, 0 for one to keep, --timeout asks GET_CONFIG") {
    auto set = decode(build_set_timeouts_request(genl_family_id, {100, 0, 30}));
    CHECK(set.cmd == IPVS_CMD_SET_CONFIG);
    REQUIRE(set.top[IPVS_CMD_ATTR_TIMEOUT_TCP]);
    CHECK(nla_get_u32(set.top[IPVS_CMD_ATTR_TIMEOUT_TCP]) == 100);
    CHECK(nla_get_u32(set.top[IPVS_CMD_ATTR_TIMEOUT_TCP_FIN]) == 0);
    CHECK(nla_get_u32(set.top[IPVS_CMD_ATTR_TIMEOUT_UDP]) == 30);
    CHECK(decode(build_get_timeouts_request(genl_family_id)).cmd == IPVS_CMD_GET_CONFIG);
}

TEST_CASE("a persistence engine is sent as IPVS_SVC_ATTR_PE_NAME, and only when set") {
    VirtualService s;
    s.key = ServiceKey::tcp_udp(Protocol::udp, ip("10.0.0.5"), 5060);
    s.scheduler = "rr";
    s.persistence = {60, 32, pe_sip};
    for (auto cmd : {IpvsCommand::new_service, IpvsCommand::set_service}) {
        auto d = decode(build_service_message(genl_family_id, cmd, s));
        REQUIRE(d.svc[IPVS_SVC_ATTR_PE_NAME]);
        // NUL-terminated, as the kernel's nla_strscpy of it expects.
        CHECK(bytes_of(d.svc[IPVS_SVC_ATTR_PE_NAME]) == std::vector<uint8_t>{'s', 'i', 'p', 0});
    }
    // Without an engine there is no attribute: an edit then clears it in IPVS.
    s.persistence.engine.clear();
    auto d = decode(build_service_message(genl_family_id, IpvsCommand::set_service, s));
    CHECK_FALSE(d.svc[IPVS_SVC_ATTR_PE_NAME]);
    // A name IPVS could not hold is refused before anything is sent.
    s.persistence.engine = std::string(IP_VS_PENAME_MAXLEN, 'x');
    CHECK_THROWS_WITH(build_service_message(genl_family_id, IpvsCommand::new_service, s),
                      "UDP  10.0.0.5:5060: invalid persistence engine name \"xxxxxxxxxxxxxxxx\"");
}

TEST_CASE("a GUE or GRE destination carries its tunnel type, port and flags as ipvsadm 1.31 sends them") {
    ServiceKey svc = ServiceKey::tcp_udp(Protocol::tcp, ip("207.175.44.110"), 80);
    RealServer gue = real("192.168.10.1", 80, ForwardMethod::ipip, 1);
    gue.tunnel = {TunnelType::gue, 6080, TunnelChecksum::remcsum};
    auto g = decode(build_dest_message(genl_family_id, IpvsCommand::new_dest, svc, gue));
    REQUIRE(g.dest[IPVS_DEST_ATTR_TUN_TYPE] != nullptr);
    REQUIRE(g.dest[IPVS_DEST_ATTR_TUN_PORT] != nullptr);
    REQUIRE(g.dest[IPVS_DEST_ATTR_TUN_FLAGS] != nullptr);
    CHECK(nla_get_u8(g.dest[IPVS_DEST_ATTR_TUN_TYPE]) == IP_VS_CONN_F_TUNNEL_TYPE_GUE);
    CHECK(nla_len(g.dest[IPVS_DEST_ATTR_TUN_PORT]) == 2);
    CHECK(nla_get_u16(g.dest[IPVS_DEST_ATTR_TUN_PORT]) == htons(6080));  // network order, as nla_get_be16 reads it
    CHECK(nla_get_u16(g.dest[IPVS_DEST_ATTR_TUN_FLAGS]) == IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM);

    RealServer gre = real("192.168.11.1", 80, ForwardMethod::ipip, 1);
    gre.tunnel = {TunnelType::gre, 0, TunnelChecksum::csum};
    auto r = decode(build_dest_message(genl_family_id, IpvsCommand::set_dest, svc, gre));
    CHECK(nla_get_u8(r.dest[IPVS_DEST_ATTR_TUN_TYPE]) == IP_VS_CONN_F_TUNNEL_TYPE_GRE);
    CHECK(nla_get_u16(r.dest[IPVS_DEST_ATTR_TUN_PORT]) == 0);
    CHECK(nla_get_u16(r.dest[IPVS_DEST_ATTR_TUN_FLAGS]) == IP_VS_TUNNEL_ENCAP_FLAG_CSUM);

    auto plain = decode(build_dest_message(genl_family_id, IpvsCommand::new_dest, svc,
                                           real("10.1.0.2", 80, ForwardMethod::ipip, 1)));
    CHECK(nla_get_u16(plain.dest[IPVS_DEST_ATTR_TUN_FLAGS]) == IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM);
}
