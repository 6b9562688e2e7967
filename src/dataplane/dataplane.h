// Dataplane: the one interface behind which XDP and IPVS program the kernel.
//
// The daemon owns exactly one Dataplane (or, in auto mode, a composite that
// routes each service to the plane that can serve it). It only ever calls
// apply() with a change (model/diff.h) from what the plane serves: a plane
// moves what it holds along that change, and looks at nothing else, so the
// cost of an apply follows the change, not the size of the table.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "dataplane/xdp_facts.h"
#include "model/ipvs_behaviour.h"
#include "model/diff.h"
#include "model/model.h"

namespace xvs {

class DataplaneError : public std::runtime_error {
   public:
    using std::runtime_error::runtime_error;
};

struct Counters {
    uint64_t connections = 0;  // new connections scheduled
    uint64_t packets_in = 0;
    uint64_t packets_out = 0;
    uint64_t bytes_in = 0;
    uint64_t bytes_out = 0;
};

struct RealStatus {
    RealKey key;
    ForwardMethod method = ForwardMethod::gate;
    uint32_t weight = 0;
    uint32_t lower_threshold = 0;
    uint32_t upper_threshold = 0;
    Tunnel tunnel;  // ipip reals: how they are encapsulated
    uint32_t active_connections = 0;    // TCP established
    uint32_t inactive_connections = 0;  // everything else in the table
    uint32_t persistent_connections = 0;
    Counters counters;
};

struct ServiceStatus {
    ServiceKey key;
    std::string scheduler;
    std::vector<std::string> scheduler_flags;
    Persistence persistence;
    bool one_packet = false;
    Counters counters;
    std::vector<RealStatus> reals;  // in data-plane order
};

// One entry of the connection table (ipvsadm -Lnc).
struct ConnectionEntry {
    Protocol protocol = Protocol::tcp;  // fwmark services list as their L4 protocol
    IpAddress client;
    uint16_t client_port = 0;
    IpAddress virtual_address;
    uint16_t virtual_port = 0;
    IpAddress real;
    uint16_t real_port = 0;
    std::string state;              // "ESTABLISHED", "SYN_RECV", "FIN_WAIT", "UDP", "NONE"
    uint32_t expires_in_seconds = 0;
    bool is_template = false;       // persistence template
};

// A walk of a plane's connection table that another thread may drive while
// the plane goes on serving: it holds what it needs (its own fds, a copy of
// the names it prints) and never touches the plane that made it.
class ConnectionCursor {
   public:
    virtual ~ConnectionCursor() = default;
    // Appends up to `max` entries to `out`; false when the walk is over (the
    // last entries may come with false). Throws DataplaneError.
    virtual bool next(std::vector<ConnectionEntry>& out, size_t max) = 0;
};

// A cursor over entries read at once by `read` on the first next(): for
// planes whose table is read whole (IPVS's /proc file), still off the caller.
class ReadOnceCursor : public ConnectionCursor {
   public:
    explicit ReadOnceCursor(std::function<std::vector<ConnectionEntry>()> read) : read_(std::move(read)) {}
    bool next(std::vector<ConnectionEntry>& out, size_t max) override {
        if (read_) {
            entries_ = read_();
            read_ = nullptr;
        }
        for (; given_ < entries_.size() && max > 0; ++given_, --max) out.push_back(std::move(entries_[given_]));
        return given_ < entries_.size();
    }

   private:
    std::function<std::vector<ConnectionEntry>()> read_;
    std::vector<ConnectionEntry> entries_;
    size_t given_ = 0;
};

// ipvsadm --set / --timeout: how long an established TCP connection, a TCP
// connection after its FIN and a UDP "connection" live after their last
// packet, in seconds. IPVS's defaults. In a change, 0 keeps the value in
// force (as IPVS_CMD_SET_CONFIG).
struct ConnectionTimeouts {
    uint32_t tcp = 900;
    uint32_t tcp_fin = 120;
    uint32_t udp = 300;
    bool operator==(const ConnectionTimeouts&) const = default;
};
// ipvsadm's bound on each value (31 days).
inline constexpr uint32_t max_connection_timeout = 86400 * 31;
// `now` with the non-zero values of `change`.
inline ConnectionTimeouts merge_timeouts(ConnectionTimeouts now, const ConnectionTimeouts& change) {
    if (change.tcp) now.tcp = change.tcp;
    if (change.tcp_fin) now.tcp_fin = change.tcp_fin;
    if (change.udp) now.udp = change.udp;
    return now;
}

class Dataplane {
   public:
    virtual ~Dataplane() = default;
    Dataplane() = default;
    Dataplane(const Dataplane&) = delete;
    Dataplane& operator=(const Dataplane&) = delete;

    // "xdp" or "ipvs".
    virtual std::string name() const = 0;
    // Checks that every service of the model can be served (e.g. its scheduler
    // is implemented) and that the model fits; returns one message per problem.
    virtual std::vector<std::string> unsupported(const Model& model) const = 0;
    // The problems of one service alone (what keeps this plane from serving
    // it whatever else it serves). SplitDataplane places services by it, and
    // does not ask again when only weights change: the answer must not
    // depend on the reals' weights.
    virtual std::vector<std::string> service_problems(const VirtualService& service) const {
        Model alone;
        alone.services.emplace(service.key, service);
        return unsupported(alone);
    }
    // Applies `change` to what the plane serves (the change's "before"). All
    // or nothing: on failure throws DataplaneError and leaves the previous
    // state.
    virtual void apply(const ModelDiff& change) = 0;
    // What the plane serves for `key` now (null when it does not serve it).
    virtual const VirtualService* programmed_service(const ServiceKey& key) const = 0;
    virtual std::vector<ServiceStatus> status() const = 0;
    // A walk of the connection table (xvsadm -Lnc) for another thread to
    // drive; cheap to make: O(services + reals), no table read.
    virtual std::unique_ptr<ConnectionCursor> connection_cursor() const = 0;
    // The whole table at once (tests, small tables).
    std::vector<ConnectionEntry> connections() const {
        std::vector<ConnectionEntry> out;
        auto cursor = connection_cursor();
        while (cursor->next(out, 4096)) {
        }
        return out;
    }
    virtual void zero_counters() = 0;
    // Zeroes the counters of `service` and of its reals, nothing else
    // (ipvsadm -Z -t|-u|-f). Throws DataplaneError ending in "No such
    // service" (ipvsadm's words) when this plane does not serve it.
    virtual void zero_service_counters(const ServiceKey& service) = 0;
    // The name of the plane serving `key` (xvsadm --status): a single plane
    // names itself; a composite names the part that serves it.
    virtual std::string plane_of(const ServiceKey&) const { return name(); }
    // The XDP program's own facts (action counters, table fill, pinned
    // start) when an XDP plane serves, alone or as a part; nullopt from a
    // plane without one. Cheap: nothing in it walks a connection table.
    virtual std::optional<XdpFacts> xdp_facts() const { return std::nullopt; }
    // ipvsadm --set: the timeouts for existing and new entries (0 keeps a
    // value). Throws DataplaneError and changes nothing on failure. A plane
    // without a connection table (a test's) refuses.
    virtual void set_timeouts(const ConnectionTimeouts& change) {
        (void)change;
        throw DataplaneError("the " + name() + " data plane has no connection timeouts");
    }
    // The values in force (ipvsadm -L --timeout).
    virtual ConnectionTimeouts timeouts() const { return {}; }
    // The file's IPVS switches, at start and on each reload. Throws
    // DataplaneError and changes nothing on failure; a plane without them (a
    // test's) refuses any but the defaults.
    virtual void set_behaviour(const IpvsBehaviour& behaviour) {
        if (behaviour != IpvsBehaviour{})
            throw DataplaneError("the " + name() + " data plane has no IPVS behaviour switches");
    }
};

}  // namespace xvs
