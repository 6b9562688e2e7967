// The control protocol between xvsd and xvsadm: requests, replies, and their
// encoding.
//
// Transport: a SOCK_STREAM unix socket; each message is one frame (framing.h)
// whose payload is text, one record per line, fields separated by one space,
// free text percent-encoded. The first line names the protocol version
// ("xvs-control/1"); a peer answers a version it does not speak with an error
// reply. One request per connection: the client sends a request frame, the
// daemon answers (one reply frame, or for list-connections a stream of them)
// and closes.
//
// Request payload:   xvs-control/1 request VERB
//                    [service PROTO FAMILY ADDR PORT FWMARK]   (zero: one service)
//                    [settings SCHED FLAGS TIMEOUT PREFIX OPS] (add/edit-service)
//                    [dest ADDR PORT METHOD WEIGHT LTHR UTHR]  (add/edit/delete-real)
//                    [timeouts TCP TCPFIN UDP]                (set-timeouts; 0 keeps one)
// The editing verbs carry what ipvsadm would send to IPVS after its own
// defaults (scheduler wlc, weight 1, -g, real port rules): the daemon applies
// them as given and answers with ipvsadm's error texts.
// Reply payload:     xvs-control/1 ok | xvs-control/1 error MESSAGE
//                    [dataplane NAME] [message TEXT] [timeouts TCP TCPFIN UDP]
//                    (interface NAME ATTACHED IFINDEX MODE PROBLEM REATTACHMENTS)*
//                    (placement PROTO FAMILY ADDR PORT FWMARK PLANE)*
//                    (service ... (real ...)*)* (conn ...)* [more]
//                    end
// A list-connections reply is a stream: replies with "more" carrying a part
// of the table each, then one without it (the last part, or an error that
// ended the listing), then the daemon closes. Every other reply is one frame.
//
// decode_request()/decode_reply() never trust their input: anything malformed
// (unknown verb, wrong field count, number out of range, missing "end")
// throws ProtocolError with a message naming the line, and nothing else.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/dataplane.h"
#include "dataplane/interface_state.h"
#include "model/model.h"

namespace xvs::control {

inline constexpr unsigned protocol_version = 1;
inline constexpr size_t max_request_bytes = 64 * 1024;
// A connection table of a busy director is large; one reply may carry it.
inline constexpr size_t max_reply_bytes = 512 * 1024 * 1024;

class ProtocolError : public std::runtime_error {
   public:
    using std::runtime_error::runtime_error;
};

enum class Verb {
    status,            // services, reals, counters, rates
    list_connections,  // the connection table
    zero,              // zero counters (all, or `service`)
    reload,            // re-read the config file, as SIGHUP
    // ipvsadm's editing commands; the daemon may answer "not supported".
    add_service,
    edit_service,
    delete_service,
    add_real,
    edit_real,
    delete_real,
    clear,
    // xvs's own (xvsadm --status): interfaces and each service's plane.
    dataplane_status,
    // ipvsadm --set, and -L --timeout (the reply's timeouts).
    set_timeouts,
    timeouts,
};

const char* to_string(Verb v);  // "status", "list-connections", ...
std::optional<Verb> parse_verb(std::string_view text);

// The attributes -A/-E set on a service (everything but its key and reals).
struct ServiceSettings {
    std::string scheduler = "wlc";
    std::vector<std::string> scheduler_flags;
    Persistence persistence;  // timeout 0 = not persistent
    bool one_packet = false;
    bool operator==(const ServiceSettings&) const = default;
};

struct Request {
    Verb verb = Verb::status;
    std::optional<ServiceKey> service;
    std::optional<ServiceSettings> settings;  // add-service, edit-service
    // add-real, edit-real: every field; delete-real: the key. configured_weight
    // equals weight and is_fallback is false once decoded.
    std::optional<RealServer> real;
    std::optional<ConnectionTimeouts> timeouts;  // set-timeouts
    bool operator==(const Request&) const = default;
};

// Per-second rates, as ipvsadm --rate shows them.
struct Rates {
    uint64_t connections = 0;
    uint64_t packets_in = 0;
    uint64_t packets_out = 0;
    uint64_t bytes_in = 0;
    uint64_t bytes_out = 0;
    bool operator==(const Rates&) const = default;
};

struct ServiceReport {
    ServiceStatus status;
    Rates rates;
    std::map<RealKey, Rates> real_rates;  // absent = all zero
};

// Which plane serves a service ("xdp", "ipvs").
struct Placement {
    ServiceKey service;
    std::string plane;
    bool operator==(const Placement&) const = default;
};

struct Reply {
    bool ok = true;
    std::string error;      // when !ok: what went wrong, for the user
    std::string dataplane;  // "xdp", "ipvs"; empty if not reported
    std::string message;    // e.g. the reload summary
    std::optional<ConnectionTimeouts> timeouts;  // timeouts: the values in force
    // The XDP plane's interface= attachments (status, dataplane-status);
    // empty when no XDP plane serves.
    std::vector<InterfaceState> interfaces;
    std::vector<Placement> placements;  // dataplane-status
    std::vector<ServiceReport> services;
    std::vector<ConnectionEntry> connections;
    bool more = false;  // a part of a stream: another reply follows

    static Reply failure(std::string error);
};

std::string encode_request(const Request& request);
Request decode_request(std::string_view payload);
std::string encode_reply(const Reply& reply);
Reply decode_reply(std::string_view payload);

}  // namespace xvs::control
