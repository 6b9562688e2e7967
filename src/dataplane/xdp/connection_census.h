// ConnectionCensus: walks the XDP program's connection tables away from the
// event loop, to sweep what the program cannot see end and to keep the
// program's own per-real counts (xvs_real_conns, which status() and the
// schedulers read) true.
//
// One census walks xvs_conns, xvs_persist and xvs_nat_reverse in chunks of
// census_chunk entries (bpf_map_lookup_batch; one key at a time where the
// kernel has no batch reads for a map) and counts, per real as the program
// names it (real id, generation), what the connection listing would show:
// a live TCP ESTABLISHED entry is active, any other live entry inactive, a
// live persistence template persistent (its service's timeout read from
// xvs_service_info). Expired entries count only towards their table's fill.
// The census is published whole when its walk ends (an immutable Census
// behind a shared_ptr): a reader sees one census or the next, never a part.
//
// Sweeping: an entry the walk finds expired is deleted (after reading it
// again, so that one the program re-created in the meantime stays), and when
// the delete took effect and the entry's real is still the generation it was
// made for, the program's count of that real is decremented by an atomic add
// on the program's memory. The program only sees an expired entry when a
// packet of it comes; without the sweep its counts would keep every flow
// that ended by going quiet.
//
// Correcting: an entry the LRU evicts to make room is gone without the
// program counting it out, so its real's count stays one too high. After each
// table's walk, the walk's count of every real is compared with the
// program's. The program's `changes` counter, read before and after the walk,
// bounds by how much the two may honestly differ (entries made, moved or
// ended while the walk passed: the walk may have seen each as it was). Only
// the difference beyond that bound is certain drift, and only it is taken
// back (an atomic add, so what the program adds meanwhile stays). So a census
// never touches a count the program kept right (no eviction): the schedulers
// that read the counts (wlc, lc, ...) see exactly the program's. After a
// census, a real's count is exact when nothing changed on it during the walk,
// and otherwise off by at most twice the changes the program made to it
// during the walk (Census::moved sums them); evicted entries are never
// over-corrected. The error does not grow from census to census: each one
// brings a count back within that bound. Between censuses a count can be
// high by the entries of the real that the LRU evicted or that expired
// unswept since the last one.
//
// take() walks on the calling thread: tests and tools that drive the plane by
// hand call it (XdpDataplane::census_now()) and read exact counts right after.
// CensusThread walks on a thread of its own at nice 10 within a CPU budget:
// after each chunk it pauses so that the walk's CPU time stays under
// census_cpu_share of one CPU, and waits `interval` between walks.
//
// How stale the table fill is: a census describes the tables during its
// walk; the next walk starts `interval` after it ended. Until the first
// census ends there is none, and the fill is unknown.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "dataplane/xdp/mapped_real_conns.h"
#include "dataplane/xdp_facts.h"
#include "xvs/abi.h"

namespace xvs {

inline constexpr uint32_t census_chunk = 4096;
inline constexpr std::chrono::milliseconds census_interval_default{2000};
// The CPU time a walk may take, as a share of the time it lasts.
inline constexpr double census_cpu_share = 0.02;

struct RealConnections {
    uint32_t active = 0;
    uint32_t inactive = 0;
    uint32_t persistent = 0;
};

struct Census {
    uint64_t sequence = 0;     // 1 for the first census published, then +1 each
    uint64_t finished_ns = 0;  // monotonic_ns() when its walk ended
    std::unordered_map<uint64_t, RealConnections> by_real;  // key: census_real_key()
    std::vector<XdpTableFill> tables;  // xvs_conns, xvs_persist, xvs_nat_reverse
    uint64_t swept = 0;                // expired entries this walk deleted
    uint64_t corrected = 0;            // counts taken back (or added) as certain drift
    uint64_t moved = 0;                // the program's count changes during the walks

    // The counts of real `id` of `generation`; all 0 when the census saw none.
    RealConnections of(uint32_t id, uint32_t generation) const;
};

inline uint64_t census_real_key(uint32_t id, uint32_t generation) {
    return uint64_t{id} << 32 | generation;
}

class ConnectionCensus {
   public:
    struct Maps {
        int conns = -1;
        int persist = -1;
        int nat_reverse = -1;
        int service_info = -1;
        int reals = -1;
        int config = -1;  // xvs_config: the timeouts in force
    };
    // The fds and `counts` (the mapped xvs_real_conns) stay owned by the
    // caller and must outlive this object.
    ConnectionCensus(Maps maps, MappedRealConns& counts);
    ~ConnectionCensus();
    ConnectionCensus(const ConnectionCensus&) = delete;
    ConnectionCensus& operator=(const ConnectionCensus&) = delete;

    // Walks the tables now, on the calling thread, then publishes and
    // returns the result. Throws DataplaneError naming the table and the
    // kernel's reason (nothing is published then).
    std::shared_ptr<const Census> take();
    // The same, calling between_chunks() after every chunk of the walk (a
    // test that changes the tables in the middle of a walk; false abandons
    // it and returns null).
    std::shared_ptr<const Census> take(const std::function<bool()>& between_chunks);
    // The last census published; null before the first.
    std::shared_ptr<const Census> latest() const;
    // The three tables with their capacities and no count (before a census).
    std::vector<XdpTableFill> uncounted() const;

   private:
    friend class CensusThread;
    // `between_chunks` runs after every chunk; false abandons the walk
    // (nullptr is returned, nothing published).
    std::shared_ptr<Census> walk(const std::function<bool()>& between_chunks);
    // Numbers, stamps and publishes `census`.
    std::shared_ptr<const Census> publish(std::shared_ptr<Census> census);

    // Takes back what an expired entry of (real_id, generation) counted.
    void uncount(uint32_t real_id, uint32_t generation, __s64 xvs_real_conns::*field);

    // What a real was before a walk, to tell afterwards whether it changed.
    struct RealMark {
        bool in_use = false;
        uint32_t generation = 0;
        uint64_t changes = 0;
    };
    // One mark per real id (batch read of xvs_reals, changes from counts_).
    std::vector<RealMark> mark_reals() const;
    // A program count and the walk's count of the same thing.
    struct Field {
        __s64 xvs_real_conns::*program;
        uint32_t RealConnections::*walk;
    };
    // Takes back, per real and field, the certain drift (see the header).
    void correct(const std::vector<RealMark>& before, Census& census,
                 std::initializer_list<Field> fields);

    Maps maps_;
    MappedRealConns& counts_;
    uint32_t conns_capacity_ = 0, persist_capacity_ = 0, nat_reverse_capacity_ = 0;
    uint32_t reals_capacity_ = 0;
    mutable std::mutex mutex_;
    std::shared_ptr<const Census> latest_;
    uint64_t published_ = 0;
};

class CensusThread {
   public:
    // Starts the thread, which takes a census at once and then every
    // `interval` after the last one ended; `census` must outlive this object.
    CensusThread(ConnectionCensus& census, std::chrono::milliseconds interval);
    ~CensusThread();  // stops (within a chunk) and joins the thread
    CensusThread(const CensusThread&) = delete;
    CensusThread& operator=(const CensusThread&) = delete;

   private:
    void run();
    // Waits `d` or until stopped; false when stopped.
    bool wait(std::chrono::nanoseconds d);

    ConnectionCensus& census_;
    std::chrono::milliseconds interval_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false;
    std::string last_error_;  // reported once until a census succeeds again
    std::thread thread_;
};

}  // namespace xvs
