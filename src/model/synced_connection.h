// SyncedConnection: one connection (or persistence template) as directors
// exchange it in IPVS's sync protocol, version 1. The sync codec
// (src/sync/) reads and writes it from and to the wire; a data plane
// reports the connections it creates and installs the ones a peer sent in
// these terms, so neither side knows the other's layout.
//
// The numbers are the kernel's, as the wire carries them: `flags` are
// IP_VS_CONN_F_* (linux/ip_vs.h: the forwarding method in the low bits,
// IP_VS_CONN_F_TEMPLATE for a persistence template, ...), `state` is the
// protocol's IPVS state number (ipvs_tcp_state below for TCP; UDP and
// templates carry 0).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/address.h"

namespace xvs {

// IPVS's TCP states (the kernel's IP_VS_TCP_S_*, not in the uapi headers).
enum class IpvsTcpState : uint16_t {
    none = 0,
    established = 1,
    syn_sent = 2,
    syn_recv = 3,
    fin_wait = 4,
    time_wait = 5,
    close = 6,
    close_wait = 7,
    last_ack = 8,
    listen = 9,
    synack = 10,
};

struct SyncedConnection {
    uint8_t ip_protocol = 0;  // IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP
    IpAddress client;         // all three of one family
    IpAddress virtual_address;
    IpAddress real;
    uint16_t client_port = 0;  // host order; 0 in a template without a client port
    uint16_t virtual_port = 0;
    uint16_t real_port = 0;
    uint32_t fwmark = 0;       // the firewall mark of a fwmark service, else 0
    uint32_t flags = 0;        // IP_VS_CONN_F_*
    uint16_t state = 0;        // IpvsTcpState for TCP
    uint32_t timeout_s = 0;    // seconds left before the entry expires
    std::string pe_name;       // persistence engine ("sip"), empty for none
    std::vector<uint8_t> pe_data;  // the engine's key (sip: the Call-ID)

    bool operator==(const SyncedConnection&) const = default;
};

}  // namespace xvs
