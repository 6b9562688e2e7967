// The desired state of the load balancer: virtual services and their real
// servers, with the weights the data plane must use right now.
//
// Config (src/config) is what the operator wrote; Model is what must be
// programmed. build_model() (model/build.h) turns one into the other, taking
// health results into account; diff() (model/diff.h) compares two models so
// that a data plane only ever applies what changed.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/address.h"
#include "model/tunnel.h"

namespace xvs {

// ldirectord's protocol= values: tcp, udp, fwm.
enum class Protocol : uint8_t { tcp, udp, fwmark };
// ldirectord's gate | masq | ipip; ipvsadm's -g | -m | -i.
enum class ForwardMethod : uint8_t { gate, masq, ipip };

const char* to_string(Protocol p);        // "tcp", "udp", "fwm"
const char* to_string(ForwardMethod m);   // "gate", "masq", "ipip"
const char* ipvsadm_name(ForwardMethod m);  // "Route", "Masq", "Tunnel"

// Identifies a virtual service the way IPVS does: protocol + address + port,
// or firewall mark + address family.
struct ServiceKey {
    Protocol protocol = Protocol::tcp;
    Family family = Family::v4;
    IpAddress address;    // unused (zero) for fwmark
    uint16_t port = 0;    // host order; unused for fwmark
    uint32_t fwmark = 0;  // only for Protocol::fwmark

    static ServiceKey tcp_udp(Protocol p, const IpAddress& a, uint16_t port);
    static ServiceKey mark(uint32_t fwmark, Family f);

    // ipvsadm-like: "TCP  10.0.0.1:80", "UDP  [2001:db8::1]:53", "FWM  100".
    std::string to_string() const;
    auto operator<=>(const ServiceKey&) const = default;
};

// Identifies a real server inside one virtual service.
struct RealKey {
    IpAddress address;
    uint16_t port = 0;  // host order; 0 = keep the client's destination port
    std::string to_string() const;  // "10.0.0.2:80", "[2001:db8::2]:80"
    auto operator<=>(const RealKey&) const = default;
};

// One `match=PROTO ADDR[:PORT]` line of a fwmark virtual: the packets the mark
// covers. port 0 = every port.
struct MatchRule {
    Protocol protocol = Protocol::tcp;  // tcp or udp
    IpAddress address;
    uint16_t port = 0;
    auto operator<=>(const MatchRule&) const = default;
};

struct RealServer {
    RealKey key;
    ForwardMethod method = ForwardMethod::gate;
    uint32_t weight = 1;   // the weight to program now (0 = quiescent)
    uint32_t configured_weight = 1;  // what the config says; restored on recovery
    uint32_t lower_threshold = 0;    // ipvsadm -y (0 = none)
    uint32_t upper_threshold = 0;    // ipvsadm -x (0 = none)
    Tunnel tunnel;                   // ipip only: --tun-type/--tun-port/--tun-*csum
    bool is_fallback = false;        // the sorry server put in when all reals are down

    bool operator==(const RealServer&) const = default;
};

// IPVS's persistence engines (ipvsadm --pe): "sip" keys a UDP service's
// templates by the SIP Call-ID as well as the masked client address, as the
// kernel's ip_vs_pe_sip does. The only engine there is.
inline constexpr const char* pe_sip = "sip";

struct Persistence {
    uint32_t timeout = 0;     // seconds; 0 = not persistent
    uint32_t prefix_len = 32; // netmask as a prefix (32 / 128 = per client address)
    std::string engine;       // "" = none, or pe_sip; only with timeout > 0
    bool operator==(const Persistence&) const = default;
};

struct VirtualService {
    ServiceKey key;
    std::string scheduler = "wrr";
    std::vector<std::string> scheduler_flags;  // ipvsadm -b: sh-port, mh-port, ...
    Persistence persistence;
    bool one_packet = false;                   // ops=yes (UDP only)
    std::vector<MatchRule> matches;            // fwmark only
    std::map<RealKey, RealServer> reals;       // in the data plane now

    // The attributes of the service itself, without its reals.
    bool same_settings(const VirtualService& other) const;
    bool operator==(const VirtualService&) const = default;
};

struct Model {
    std::map<ServiceKey, VirtualService> services;
    bool operator==(const Model&) const = default;
};

}  // namespace xvs
