// CheckSpec: one health check as ldirectord defines it, in the checker's own
// terms (the daemon maps its parsed config onto these), plus the values the
// checker hands back (CheckResult, StateChange).
//
// Contract:
//  - Two specs with the same check_key() probe the same thing the same way:
//    the checker runs them once per round and feeds every subscriber.
//    failurecount is not part of the key; each subscriber counts its own
//    failures.
//  - validate_check_spec() throws std::invalid_argument with a message that
//    names the offending directive for every spec the checker cannot run
//    (external-perl, services without a negotiate implementation, a receive=
//    that is not a valid regular expression, non-positive timings, ...).
//  - Timeouts: connect, ping and external checks use timeout_s
//    (ldirectord's checktimeout/connecttimeout); negotiate checks use
//    negotiate_timeout_s. The daemon resolves ldirectord's fallbacks between
//    the two before filling these in.
//  - request is the text of request= without the "/" ldirectord prepends;
//    a leading "/" is accepted and ignored where ldirectord ignores it.
//  - receive is a Perl-compatible regular expression (PCRE2, see
//    receive_pattern.h), as in ldirectord, which matches it with Perl.
#pragma once

#include <cstdint>
#include <string>

#include "model/address.h"
#include "model/model.h"

namespace xvs {

// Chosen by the daemon, e.g. one per (virtual, real) pair.
using SubscriberId = uint64_t;

struct CheckSpec {
    enum class Type : uint8_t {
        connect,        // TCP connect; for a UDP service an ICMP echo (as ldirectord)
        negotiate,      // service-level exchange (see service)
        combined,       // checktype=N: N connect checks, then one negotiate
        ping,           // ICMP / ICMPv6 echo
        external,       // run checkcommand VIRTUAL VPORT RIP RPORT; exit 0 = up
        external_perl,  // refused: xvs does not embed a Perl interpreter
        on,             // always up, never probed
        off,            // never probed; down
    };
    Type type = Type::connect;
    uint32_t connect_then_negotiate_every = 0;  // N of checktype=N (Type::combined)
    std::string service = "none";  // negotiate: "http", "https", "simpletcp", "dns", "smtp", ... "none"

    IpAddress address;             // the real server
    uint16_t port = 0;             // checkport, or the real's port
    Protocol l4 = Protocol::tcp;   // the virtual's protocol (udp => connect is ping,
                                   // dns goes over UDP)

    std::string request;       // URI (http/https), text (simpletcp), name (dns)
    std::string receive;       // regex the answer must contain; empty = any
    std::string httpmethod = "GET";  // GET or HEAD
    std::string virtualhost;   // Host header and TLS SNI; default: the real's address
    std::string login;         // pop, imap: log in as this user when set; mysql, pgsql: needed
    std::string passwd;
    std::string database;      // mysql, pgsql
    std::string secret;        // radius: the shared secret

    std::string checkcommand;      // external: program path (PATH searched)
    std::string virtual_host_arg;  // external argv[1]: virtual address or fwmark
    std::string virtual_port_arg;  // external argv[2]: virtual port

    double timeout_s = 5;             // connect / ping / external
    double negotiate_timeout_s = 30;  // negotiate
    double interval_s = 10;           // checkinterval
    uint32_t failurecount = 1;        // consecutive failures before down (0 acts as 1)
    // Hand back every result, not only state changes (StateChange::changed
    // false): monitorfile= logs each check as ldirectord does. Per subscriber,
    // not part of check_key().
    bool report_every_result = false;
};

// Throws std::invalid_argument when the checker cannot run this spec.
void validate_check_spec(const CheckSpec& spec);

// Everything that decides what is probed and how (not failurecount).
std::string check_key(const CheckSpec& spec);

// "connect", "negotiate", ..., "external-perl".
const char* to_string(CheckSpec::Type type);

struct CheckResult {
    bool up = false;
    // Why: "connected", "HTTP status 200", "timeout after 2.0s while connecting",
    // "receive did not match", "connection refused", "HTTP status 404 Not Found".
    std::string reason;
    double latency_s = 0;
};

// A subscriber's state went up or down (or got its first result), or, for a
// subscriber with report_every_result, a result that changed nothing
// (changed false). `up` is the result's verdict, which is also the new state
// when changed is true (a state only ever moves the way a result points).
struct StateChange {
    SubscriberId subscriber = 0;
    bool up = false;
    bool changed = true;
    bool first = false;  // the first result since the subscriber was added
    uint64_t round = 0;  // the check's round that decided it (1 = its first; 0 = never probed)
    std::string reason;
    double latency_s = 0;
};

}  // namespace xvs
