#include "model/model.h"

namespace xvs {

const char* to_string(Protocol p) {
    switch (p) {
        case Protocol::tcp: return "tcp";
        case Protocol::udp: return "udp";
        case Protocol::fwmark: return "fwm";
    }
    return "?";
}

const char* to_string(ForwardMethod m) {
    switch (m) {
        case ForwardMethod::gate: return "gate";
        case ForwardMethod::masq: return "masq";
        case ForwardMethod::ipip: return "ipip";
    }
    return "?";
}

const char* ipvsadm_name(ForwardMethod m) {
    switch (m) {
        case ForwardMethod::gate: return "Route";
        case ForwardMethod::masq: return "Masq";
        case ForwardMethod::ipip: return "Tunnel";
    }
    return "?";
}

ServiceKey ServiceKey::tcp_udp(Protocol p, const IpAddress& a, uint16_t port) {
    ServiceKey k;
    k.protocol = p;
    k.family = a.family;
    k.address = a;
    k.port = port;
    return k;
}

ServiceKey ServiceKey::mark(uint32_t fwmark, Family f) {
    ServiceKey k;
    k.protocol = Protocol::fwmark;
    k.family = f;
    k.address.family = f;
    k.fwmark = fwmark;
    return k;
}

std::string ServiceKey::to_string() const {
    switch (protocol) {
        case Protocol::tcp: return "TCP  " + address.with_port(port);
        case Protocol::udp: return "UDP  " + address.with_port(port);
        case Protocol::fwmark:
            return "FWM  " + std::to_string(fwmark) + (family == Family::v6 ? " IPv6" : "");
    }
    return "?";
}

std::string RealKey::to_string() const { return address.with_port(port); }

bool VirtualService::same_settings(const VirtualService& o) const {
    return key == o.key && scheduler == o.scheduler && scheduler_flags == o.scheduler_flags &&
           persistence == o.persistence && one_packet == o.one_packet && matches == o.matches;
}

}  // namespace xvs
