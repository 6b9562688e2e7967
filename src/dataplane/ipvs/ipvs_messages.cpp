#include "dataplane/ipvs/ipvs_messages.h"

#include <arpa/inet.h>
#include <linux/ip_vs.h>
#include <netinet/in.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "dataplane/ipvs/ipvs_error.h"
#include "model/netmask.h"
#include "model/schedulers.h"

namespace xvs {

namespace {

// The mh scheduler reuses SCHED1/SCHED2; older uapi headers lack the names.
constexpr uint32_t sched_flag_mask =
    IP_VS_SVC_F_SCHED1 | IP_VS_SVC_F_SCHED2 | IP_VS_SVC_F_SCHED3;

// IP_VS_SVC_F_SCHEDn of a listed flag (model/schedulers.h).
uint32_t ipvs_flag_bit(const SchedulerFlag& f) {
    static_assert(IP_VS_SVC_F_SCHED2 == IP_VS_SVC_F_SCHED1 << 1 && IP_VS_SVC_F_SCHED3 == IP_VS_SVC_F_SCHED1 << 2);
    return IP_VS_SVC_F_SCHED1 << (f.ipvs_flag - 1);
}

void put_check(int rc, const char* what) {
    if (rc < 0)
        throw IpvsError(std::string("cannot build IPVS message (") + what + "): message too large",
                        EMSGSIZE);
}

NlMsgPtr new_request(int family_id, uint8_t cmd, int flags) {
    NlMsgPtr msg(nlmsg_alloc());
    if (!msg) throw IpvsError("Memory allocation problem", ENOMEM);
    if (!genlmsg_put(msg.get(), NL_AUTO_PORT, NL_AUTO_SEQ, family_id, 0, flags, cmd,
                     IPVS_GENL_VERSION))
        throw IpvsError("cannot build IPVS message header", EMSGSIZE);
    return msg;
}

uint16_t af_of(Family f) { return f == Family::v6 ? AF_INET6 : AF_INET; }

void put_service_key(nl_msg* msg, const ServiceKey& key) {
    put_check(nla_put_u16(msg, IPVS_SVC_ATTR_AF, af_of(key.family)), "af");
    if (key.protocol == Protocol::fwmark) {
        put_check(nla_put_u32(msg, IPVS_SVC_ATTR_FWMARK, key.fwmark), "fwmark");
        return;
    }
    uint16_t proto = key.protocol == Protocol::udp ? IPPROTO_UDP : IPPROTO_TCP;
    put_check(nla_put_u16(msg, IPVS_SVC_ATTR_PROTOCOL, proto), "protocol");
    put_check(nla_put(msg, IPVS_SVC_ATTR_ADDR, 16, key.address.bytes.data()), "address");
    put_check(nla_put_u16(msg, IPVS_SVC_ATTR_PORT, htons(key.port)), "port");
}

void put_service_settings(nl_msg* msg, const VirtualService& svc) {
    if (svc.scheduler.empty() || svc.scheduler.size() >= IP_VS_SCHEDNAME_MAXLEN)
        throw IpvsError(svc.key.to_string() + ": invalid scheduler name \"" + svc.scheduler + "\"",
                        EINVAL);
    ip_vs_flags flags{};
    flags.flags = encode_scheduler_flags(svc.scheduler, svc.scheduler_flags);
    if (svc.persistence.timeout > 0) flags.flags |= IP_VS_SVC_F_PERSISTENT;
    if (svc.one_packet) flags.flags |= IP_VS_SVC_F_ONEPACKET;
    flags.mask = ~0u;  // every flag is set or cleared, as libipvs does
    put_check(nla_put_string(msg, IPVS_SVC_ATTR_SCHED_NAME, svc.scheduler.c_str()), "scheduler");
    put_check(nla_put(msg, IPVS_SVC_ATTR_FLAGS, sizeof flags, &flags), "flags");
    put_check(nla_put_u32(msg, IPVS_SVC_ATTR_TIMEOUT, svc.persistence.timeout), "timeout");
    put_check(nla_put_u32(msg, IPVS_SVC_ATTR_NETMASK,
                          encode_netmask(svc.key.family, svc.persistence.prefix_len)),
              "netmask");
    // Sent only when set: on IPVS_CMD_SET_SERVICE the kernel takes a missing
    // PE_NAME as "no engine", which is how an edit clears it.
    const std::string& engine = svc.persistence.engine;
    if (!engine.empty()) {
        if (engine.size() >= IP_VS_PENAME_MAXLEN)
            throw IpvsError(svc.key.to_string() + ": invalid persistence engine name \"" + engine + "\"",
                            EINVAL);
        put_check(nla_put_string(msg, IPVS_SVC_ATTR_PE_NAME, engine.c_str()), "persistence engine");
    }
}

void put_nested_service(nl_msg* msg, const ServiceKey& key, const VirtualService* full) {
    nlattr* nest = nla_nest_start(msg, IPVS_CMD_ATTR_SERVICE);
    if (!nest) put_check(-1, "service");
    put_service_key(msg, key);
    if (full) put_service_settings(msg, *full);
    put_check(nla_nest_end(msg, nest), "service");
}

uint32_t fwd_method_flag(ForwardMethod m) {
    switch (m) {
        case ForwardMethod::masq: return IP_VS_CONN_F_MASQ;
        case ForwardMethod::ipip: return IP_VS_CONN_F_TUNNEL;
        case ForwardMethod::gate: return IP_VS_CONN_F_DROUTE;
    }
    return IP_VS_CONN_F_DROUTE;
}

// ---- reply parsing -------------------------------------------------------

class Attrs {
   public:
    Attrs(const char* what, nlattr** table, int max) : what_(what), table_(table), max_(max) {}

    nlattr* optional(int type, size_t exact_len, const char* name) const {
        nlattr* a = type <= max_ ? table_[type] : nullptr;
        if (a && static_cast<size_t>(nla_len(a)) != exact_len)
            fail(std::string(name) + " attribute has " + std::to_string(nla_len(a)) +
                 " bytes, expected " + std::to_string(exact_len));
        return a;
    }
    nlattr* required(int type, size_t exact_len, const char* name) const {
        nlattr* a = optional(type, exact_len, name);
        if (!a) fail(std::string("no ") + name + " attribute");
        return a;
    }
    uint32_t u32(int type, const char* name) const { return nla_get_u32(required(type, 4, name)); }
    uint32_t u32_or(int type, const char* name, uint32_t fallback) const {
        nlattr* a = optional(type, 4, name);
        return a ? nla_get_u32(a) : fallback;
    }
    std::string string(int type, const char* name) const {
        nlattr* a = type <= max_ ? table_[type] : nullptr;
        if (!a) fail(std::string("no ") + name + " attribute");
        const char* data = static_cast<const char*>(nla_data(a));
        size_t len = static_cast<size_t>(nla_len(a));
        const void* nul = std::memchr(data, 0, len);
        if (!nul) fail(std::string(name) + " attribute is not NUL-terminated");
        return std::string(data, static_cast<const char*>(nul));
    }
    [[noreturn]] void fail(const std::string& message) const {
        throw IpvsError(std::string("malformed IPVS ") + what_ + " reply: " + message, EBADMSG);
    }

   private:
    const char* what_;
    nlattr** table_;
    int max_;
};

template <int Max>
struct Table {
    nlattr* attrs[Max + 1] = {};
};

template <int Max>
Table<Max> parse_nested(const char* what, nlattr* nest) {
    Table<Max> t;
    if (nla_parse_nested(t.attrs, Max, nest, nullptr) < 0)
        throw IpvsError(std::string("malformed IPVS ") + what + " reply: truncated attributes", EBADMSG);
    return t;
}

template <int Max>
Table<Max> parse_top(const char* what, nlmsghdr* reply) {
    Table<Max> t;
    if (!reply || genlmsg_parse(reply, 0, t.attrs, Max, nullptr) < 0)
        throw IpvsError(std::string("malformed IPVS ") + what + " reply: truncated message", EBADMSG);
    return t;
}

// The attributes nested in a reply's top-level attribute `which`
// (IPVS_CMD_ATTR_SERVICE, IPVS_CMD_ATTR_DEST), which must be there.
template <int Max>
Table<Max> parse_reply_nest(const char* what, nlmsghdr* reply, int which) {
    auto top = parse_top<IPVS_CMD_ATTR_MAX>(what, reply);
    if (!top.attrs[which])
        Attrs(what, top.attrs, IPVS_CMD_ATTR_MAX).fail(std::string("no ") + what + " attribute");
    return parse_nested<Max>(what, top.attrs[which]);
}

Family family_of(const Attrs& a, uint16_t af) {
    if (af == AF_INET) return Family::v4;
    if (af == AF_INET6) return Family::v6;
    a.fail("unknown address family " + std::to_string(af));
}

IpAddress address_of(const Attrs& a, nlattr* attr, Family family) {
    IpAddress ip;
    ip.family = family;
    std::memcpy(ip.bytes.data(), nla_data(attr), 16);
    if (family == Family::v4) std::fill(ip.bytes.begin() + 4, ip.bytes.end(), 0);
    (void)a;
    return ip;
}

Counters parse_counters(const char* what, nlattr* stats64, nlattr* stats32) {
    Counters c;
    if (stats64) {
        auto t = parse_nested<IPVS_STATS_ATTR_MAX>(what, stats64);
        Attrs s(what, t.attrs, IPVS_STATS_ATTR_MAX);
        auto get = [&](int type, const char* name) {
            nlattr* a = s.optional(type, 8, name);
            return a ? nla_get_u64(a) : 0;
        };
        c.connections = get(IPVS_STATS_ATTR_CONNS, "stats64 conns");
        c.packets_in = get(IPVS_STATS_ATTR_INPKTS, "stats64 inpkts");
        c.packets_out = get(IPVS_STATS_ATTR_OUTPKTS, "stats64 outpkts");
        c.bytes_in = get(IPVS_STATS_ATTR_INBYTES, "stats64 inbytes");
        c.bytes_out = get(IPVS_STATS_ATTR_OUTBYTES, "stats64 outbytes");
    } else if (stats32) {
        auto t = parse_nested<IPVS_STATS_ATTR_MAX>(what, stats32);
        Attrs s(what, t.attrs, IPVS_STATS_ATTR_MAX);
        c.connections = s.u32_or(IPVS_STATS_ATTR_CONNS, "stats conns", 0);
        c.packets_in = s.u32_or(IPVS_STATS_ATTR_INPKTS, "stats inpkts", 0);
        c.packets_out = s.u32_or(IPVS_STATS_ATTR_OUTPKTS, "stats outpkts", 0);
        nlattr* in = s.optional(IPVS_STATS_ATTR_INBYTES, 8, "stats inbytes");
        nlattr* out = s.optional(IPVS_STATS_ATTR_OUTBYTES, 8, "stats outbytes");
        c.bytes_in = in ? nla_get_u64(in) : 0;
        c.bytes_out = out ? nla_get_u64(out) : 0;
    }
    return c;
}

}  // namespace

std::string IpvsInfo::version_text() const {
    return std::to_string((version >> 16) & 0xff) + "." + std::to_string((version >> 8) & 0xff) +
           "." + std::to_string(version & 0xff);
}

uint32_t encode_scheduler_flags(const std::string& scheduler, const std::vector<std::string>& names) {
    uint32_t flags = 0;
    for (const auto& name : names) {
        bool found = false;
        for (const auto& f : known_scheduler_flags) {
            if (name != f.name) continue;
            if (!f.scheduler.empty() && scheduler != f.scheduler)
                throw IpvsError("scheduler flag " + name + " needs scheduler " + std::string(f.scheduler) +
                                    ", not " + scheduler,
                                EINVAL);
            flags |= ipvs_flag_bit(f);
            found = true;
        }
        if (!found) throw IpvsError("unknown scheduler flag \"" + name + "\"", EINVAL);
    }
    return flags;
}

std::vector<std::string> decode_scheduler_flags(const std::string& scheduler, uint32_t flags) {
    std::vector<std::string> names;
    for (uint32_t bit : {IP_VS_SVC_F_SCHED1, IP_VS_SVC_F_SCHED2, IP_VS_SVC_F_SCHED3}) {
        if (!(flags & bit & sched_flag_mask)) continue;
        // The scheduler's own name when it has one, else the generic flag-N.
        std::string_view chosen;
        for (const auto& f : known_scheduler_flags)
            if (ipvs_flag_bit(f) == bit && (f.scheduler.empty() || scheduler == f.scheduler)) {
                chosen = f.name;
                break;
            }
        names.emplace_back(chosen);
    }
    return names;
}

uint32_t encode_netmask(Family family, uint32_t prefix_len) {
    if (family == Family::v6) return prefix_len > 128 ? 128 : prefix_len;
    return htonl(ipv4_netmask(prefix_len));
}

uint32_t decode_netmask(Family family, uint32_t netmask) {
    if (family == Family::v6) return netmask > 128 ? 128 : netmask;
    return ipv4_netmask_prefix(ntohl(netmask));
}

NlMsgPtr build_service_message(int family_id, IpvsCommand cmd, const VirtualService& service) {
    auto msg = new_request(family_id, static_cast<uint8_t>(cmd), 0);
    bool full = cmd == IpvsCommand::new_service || cmd == IpvsCommand::set_service;
    put_nested_service(msg.get(), service.key, full ? &service : nullptr);
    return msg;
}

namespace {

// The three attributes as ipvsadm 1.31 sends them: type u8, port u16 in
// network order (the kernel reads it with nla_get_be16), flags u16.
void put_tunnel(nl_msg* m, const Tunnel& t) {
    static_assert(static_cast<int>(TunnelType::gue) == IP_VS_CONN_F_TUNNEL_TYPE_GUE);
    static_assert(static_cast<int>(TunnelType::gre) == IP_VS_CONN_F_TUNNEL_TYPE_GRE);
    uint16_t flags = t.checksum == TunnelChecksum::csum      ? IP_VS_TUNNEL_ENCAP_FLAG_CSUM
                     : t.checksum == TunnelChecksum::remcsum ? IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM
                                                             : IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM;
    put_check(nla_put_u8(m, IPVS_DEST_ATTR_TUN_TYPE, static_cast<uint8_t>(t.type)), "tun_type");
    put_check(nla_put_u16(m, IPVS_DEST_ATTR_TUN_PORT, htons(t.port)), "tun_port");
    put_check(nla_put_u16(m, IPVS_DEST_ATTR_TUN_FLAGS, flags), "tun_flags");
}

// What a destination reply says of its tunnel (kernels before 5.2 send none).
Tunnel parse_tunnel_attrs(const Attrs& a) {
    Tunnel t;
    if (nlattr* type = a.optional(IPVS_DEST_ATTR_TUN_TYPE, 1, "tunnel type")) {
        switch (nla_get_u8(type)) {
            case IP_VS_CONN_F_TUNNEL_TYPE_IPIP: t.type = TunnelType::ipip; break;
            case IP_VS_CONN_F_TUNNEL_TYPE_GUE: t.type = TunnelType::gue; break;
            case IP_VS_CONN_F_TUNNEL_TYPE_GRE: t.type = TunnelType::gre; break;
            default: a.fail("unknown tunnel type " + std::to_string(nla_get_u8(type)));
        }
    }
    if (t.type == TunnelType::gue)
        if (nlattr* port = a.optional(IPVS_DEST_ATTR_TUN_PORT, 2, "tunnel port")) t.port = ntohs(nla_get_u16(port));
    if (t.type != TunnelType::ipip) {
        if (nlattr* flags = a.optional(IPVS_DEST_ATTR_TUN_FLAGS, 2, "tunnel flags")) {
            uint16_t f = nla_get_u16(flags);
            t.checksum = (f & IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM) ? TunnelChecksum::remcsum
                         : (f & IP_VS_TUNNEL_ENCAP_FLAG_CSUM)  ? TunnelChecksum::csum
                                                               : TunnelChecksum::none;
        }
    }
    return t;
}

}  // namespace

NlMsgPtr build_dest_message(int family_id, IpvsCommand cmd, const ServiceKey& service,
                            const RealServer& real) {
    auto msg = new_request(family_id, static_cast<uint8_t>(cmd), 0);
    put_nested_service(msg.get(), service, nullptr);
    nlattr* nest = nla_nest_start(msg.get(), IPVS_CMD_ATTR_DEST);
    if (!nest) put_check(-1, "destination");
    nl_msg* m = msg.get();
    put_check(nla_put(m, IPVS_DEST_ATTR_ADDR, 16, real.key.address.bytes.data()), "address");
    put_check(nla_put_u16(m, IPVS_DEST_ATTR_PORT, htons(real.key.port)), "port");
    put_check(nla_put_u16(m, IPVS_DEST_ATTR_ADDR_FAMILY, af_of(real.key.address.family)), "af");
    if (cmd == IpvsCommand::new_dest || cmd == IpvsCommand::set_dest) {
        put_check(nla_put_u32(m, IPVS_DEST_ATTR_FWD_METHOD, fwd_method_flag(real.method)), "method");
        put_check(nla_put_u32(m, IPVS_DEST_ATTR_WEIGHT, real.weight), "weight");
        put_check(nla_put_u32(m, IPVS_DEST_ATTR_U_THRESH, real.upper_threshold), "u_thresh");
        put_check(nla_put_u32(m, IPVS_DEST_ATTR_L_THRESH, real.lower_threshold), "l_thresh");
        if (real.method == ForwardMethod::ipip) put_tunnel(m, real.tunnel);
    }
    put_check(nla_nest_end(m, nest), "destination");
    return msg;
}

NlMsgPtr build_service_dump_request(int family_id) {
    return new_request(family_id, IPVS_CMD_GET_SERVICE, NLM_F_DUMP);
}

NlMsgPtr build_dest_dump_request(int family_id, const ServiceKey& service) {
    auto msg = new_request(family_id, IPVS_CMD_GET_DEST, NLM_F_DUMP);
    put_nested_service(msg.get(), service, nullptr);
    return msg;
}

NlMsgPtr build_info_request(int family_id) { return new_request(family_id, IPVS_CMD_GET_INFO, 0); }

NlMsgPtr build_flush_request(int family_id) { return new_request(family_id, IPVS_CMD_FLUSH, 0); }

NlMsgPtr build_zero_request(int family_id, const ServiceKey* service) {
    auto msg = new_request(family_id, IPVS_CMD_ZERO, 0);
    if (service) put_nested_service(msg.get(), *service, nullptr);
    return msg;
}

NlMsgPtr build_set_timeouts_request(int family_id, const ConnectionTimeouts& change) {
    auto msg = new_request(family_id, IPVS_CMD_SET_CONFIG, 0);
    put_check(nla_put_u32(msg.get(), IPVS_CMD_ATTR_TIMEOUT_TCP, change.tcp), "tcp timeout");
    put_check(nla_put_u32(msg.get(), IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, change.tcp_fin), "tcp fin timeout");
    put_check(nla_put_u32(msg.get(), IPVS_CMD_ATTR_TIMEOUT_UDP, change.udp), "udp timeout");
    return msg;
}

NlMsgPtr build_get_timeouts_request(int family_id) { return new_request(family_id, IPVS_CMD_GET_CONFIG, 0); }

ConnectionTimeouts parse_timeouts_reply(nlmsghdr* reply) {
    auto t = parse_top<IPVS_CMD_ATTR_MAX>("timeouts", reply);
    Attrs a("timeouts", t.attrs, IPVS_CMD_ATTR_MAX);
    ConnectionTimeouts out;
    out.tcp = a.u32(IPVS_CMD_ATTR_TIMEOUT_TCP, "tcp timeout");
    out.tcp_fin = a.u32(IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, "tcp fin timeout");
    out.udp = a.u32(IPVS_CMD_ATTR_TIMEOUT_UDP, "udp timeout");
    return out;
}

IpvsInfo parse_info_reply(nlmsghdr* reply) {
    auto t = parse_top<IPVS_INFO_ATTR_MAX>("info", reply);
    Attrs a("info", t.attrs, IPVS_INFO_ATTR_MAX);
    IpvsInfo info;
    info.version = a.u32(IPVS_INFO_ATTR_VERSION, "version");
    info.connection_table_size = a.u32(IPVS_INFO_ATTR_CONN_TAB_SIZE, "connection table size");
    return info;
}

ServiceStatus parse_service_reply(nlmsghdr* reply) {
    auto t = parse_reply_nest<IPVS_SVC_ATTR_MAX>("service", reply, IPVS_CMD_ATTR_SERVICE);
    Attrs a("service", t.attrs, IPVS_SVC_ATTR_MAX);

    ServiceStatus s;
    Family family = family_of(a, nla_get_u16(a.required(IPVS_SVC_ATTR_AF, 2, "address family")));
    nlattr* fwmark = a.optional(IPVS_SVC_ATTR_FWMARK, 4, "fwmark");
    if (fwmark && nla_get_u32(fwmark) != 0) {
        s.key = ServiceKey::mark(nla_get_u32(fwmark), family);
    } else {
        uint16_t proto = nla_get_u16(a.required(IPVS_SVC_ATTR_PROTOCOL, 2, "protocol"));
        if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
            a.fail("unsupported protocol " + std::to_string(proto));
        IpAddress addr = address_of(a, a.required(IPVS_SVC_ATTR_ADDR, 16, "address"), family);
        uint16_t port = ntohs(nla_get_u16(a.required(IPVS_SVC_ATTR_PORT, 2, "port")));
        s.key = ServiceKey::tcp_udp(proto == IPPROTO_UDP ? Protocol::udp : Protocol::tcp, addr, port);
    }
    s.scheduler = a.string(IPVS_SVC_ATTR_SCHED_NAME, "scheduler name");
    ip_vs_flags flags{};
    std::memcpy(&flags, nla_data(a.required(IPVS_SVC_ATTR_FLAGS, sizeof flags, "flags")), sizeof flags);
    s.scheduler_flags = decode_scheduler_flags(s.scheduler, flags.flags);
    s.one_packet = flags.flags & IP_VS_SVC_F_ONEPACKET;
    uint32_t timeout = a.u32(IPVS_SVC_ATTR_TIMEOUT, "timeout");
    s.persistence.timeout = (flags.flags & IP_VS_SVC_F_PERSISTENT) ? timeout : 0;
    s.persistence.prefix_len = decode_netmask(family, a.u32(IPVS_SVC_ATTR_NETMASK, "netmask"));
    if (t.attrs[IPVS_SVC_ATTR_PE_NAME])
        s.persistence.engine = a.string(IPVS_SVC_ATTR_PE_NAME, "persistence engine name");
    s.counters = parse_counters("service", t.attrs[IPVS_SVC_ATTR_STATS64], t.attrs[IPVS_SVC_ATTR_STATS]);
    return s;
}

RealStatus parse_dest_reply(nlmsghdr* reply) {
    auto t = parse_reply_nest<IPVS_DEST_ATTR_MAX>("destination", reply, IPVS_CMD_ATTR_DEST);
    Attrs a("destination", t.attrs, IPVS_DEST_ATTR_MAX);

    RealStatus r;
    nlattr* addr = a.required(IPVS_DEST_ATTR_ADDR, 16, "address");
    Family family;
    if (nlattr* af = a.optional(IPVS_DEST_ATTR_ADDR_FAMILY, 2, "address family")) {
        family = family_of(a, nla_get_u16(af));
    } else {
        // Kernels before the attribute existed only had same-family
        // destinations; an IPv4 address leaves bytes 4..15 zero.
        const auto* b = static_cast<const uint8_t*>(nla_data(addr));
        family = std::all_of(b + 4, b + 16, [](uint8_t x) { return x == 0; }) ? Family::v4 : Family::v6;
    }
    r.key.address = address_of(a, addr, family);
    r.key.port = ntohs(nla_get_u16(a.required(IPVS_DEST_ATTR_PORT, 2, "port")));
    switch (a.u32(IPVS_DEST_ATTR_FWD_METHOD, "forwarding method") & IP_VS_CONN_F_FWD_MASK) {
        case IP_VS_CONN_F_MASQ:
        case IP_VS_CONN_F_LOCALNODE:  // IPVS turns masq to a local address into "Local"
            r.method = ForwardMethod::masq;
            break;
        case IP_VS_CONN_F_TUNNEL: r.method = ForwardMethod::ipip; break;
        case IP_VS_CONN_F_DROUTE: r.method = ForwardMethod::gate; break;
        default: a.fail("unknown forwarding method");
    }
    if (r.method == ForwardMethod::ipip) r.tunnel = parse_tunnel_attrs(a);
    r.weight = a.u32(IPVS_DEST_ATTR_WEIGHT, "weight");
    r.upper_threshold = a.u32_or(IPVS_DEST_ATTR_U_THRESH, "upper threshold", 0);
    r.lower_threshold = a.u32_or(IPVS_DEST_ATTR_L_THRESH, "lower threshold", 0);
    r.active_connections = a.u32_or(IPVS_DEST_ATTR_ACTIVE_CONNS, "active connections", 0);
    r.inactive_connections = a.u32_or(IPVS_DEST_ATTR_INACT_CONNS, "inactive connections", 0);
    r.persistent_connections = a.u32_or(IPVS_DEST_ATTR_PERSIST_CONNS, "persistent connections", 0);
    r.counters = parse_counters("destination", t.attrs[IPVS_DEST_ATTR_STATS64], t.attrs[IPVS_DEST_ATTR_STATS]);
    return r;
}

}  // namespace xvs
