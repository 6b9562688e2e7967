// XdpFacts: what an XDP plane knows about itself beyond the per-service
// status, in terms any holder of a Dataplane can read (Dataplane::xdp_facts()):
// the program's action counters, the fill of its connection tables and what
// it found pinned when it started. /metrics is its reader.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "xvs/abi.h"

namespace xvs {

// One LRU table of the program as the last connection census found it.
struct XdpTableFill {
    std::string name;        // "xvs_conns", "xvs_persist", "xvs_nat_reverse"
    uint32_t capacity = 0;   // max_entries
    // Keys the last census walked (expired ones included: they hold a slot
    // until the LRU reuses it); unset before the first census.
    std::optional<uint64_t> entries;
    // False when the walk could not reach the end of the table (only the
    // one-key-at-a-time fallback, which restarts when the key it stands on
    // is evicted, is bounded); `entries` is then a lower bound.
    bool complete = true;
};

// How the plane's maps started.
enum class PinnedStart {
    fresh,      // nothing pinned: empty tables
    reused,     // pinned maps of this ABI reused (established flows carried on)
    discarded,  // pinned maps of another ABI or size unpinned: empty tables
};

inline const char* to_string(PinnedStart start) {
    switch (start) {
        case PinnedStart::fresh: return "fresh";
        case PinnedStart::reused: return "reused";
        case PinnedStart::discarded: return "discarded";
    }
    return "?";
}

struct XdpFacts {
    // enum xvs_stat -> packets, summed over CPUs; read when asked.
    std::array<uint64_t, XVS_STAT__COUNT> actions{};
    std::vector<XdpTableFill> tables;
    // Nanoseconds since the census that `tables` and the connection counts
    // of status() come from finished; unset before the first census.
    std::optional<uint64_t> census_age_ns;
    PinnedStart pinned_start = PinnedStart::fresh;
    // What the pinned maps served at start (a cleanstop=no exit's services
    // and reals), 0 when started fresh.
    size_t adopted_services = 0;
    size_t adopted_reals = 0;
};

}  // namespace xvs
