// XdpDataplane: the Dataplane that serves virtual services with the XDP
// program of bpf/xvs_xdp.bpf.c (embedded as a libbpf skeleton).
//
// Construction loads the program, pins its maps at pin_root/instance/ (reusing
// pinned maps of the same ABI version, so established flows survive a daemon
// restart) and attaches it to the interfaces. sync_interfaces() follows them
// afterwards: an interface that disappears is recorded missing (its ifindex's
// entries in xvs_iface_addrs, xvs_pending_neigh and the next-hop cache go),
// one that comes back under its name (a new ifindex) or lost the program gets
// it again through attach(), in the configured mode (xdp_interfaces.cpp).
//
// apply() programs the maps with exactly the entries that differ between
// what is programmed and what the change leads to, all or nothing, looking
// only at the services the change lists (the first apply after adopting
// pinned state also clears what it does not list). Service
// and real ids are allocated stably; after a restart the ids found in the
// pinned maps are adopted, so connection entries keep pointing at the same
// reals.
//
// The real table (xvs_reals, xvs_real_stats) holds max_reals entries, one per
// real of every service; it is sized at load. Pinned maps of another size
// cannot be reused by the program: the pinned reals are copied into tables of
// the new size when every id in use fits, else the plane starts with empty
// tables (and says so on stderr).
//
// With XdpOptions::replay_fragments the plane runs a thread of its own, the
// FragmentReplayer (held_fragments.h), which replays later IP fragments the
// program held for want of their first; it touches only the held slots, the
// fragment map and BPF_PROG_TEST_RUN, never the state apply() keeps.
// With XdpOptions::count_connections it runs another, the CensusThread
// (connection_census.h), which walks the connection tables within a CPU
// budget, deletes expired entries and corrects the program's per-real counts
// for entries the LRU evicted; it touches only the tables, xvs_service_info,
// xvs_reals (read) and the counts (atomic adds).
//
// status() never walks a connection table: it reads each service's and
// real's counters from the stats maps and each real's connection counts from
// the program's own xvs_real_conns, mapped (the census's header says how far
// they can drift). Without the thread, census_now() sweeps and corrects on
// the caller's thread; the table fill of xdp_facts() is the last census's.
//
// Limits (unsupported() reports them per service): the schedulers
// model/schedulers.h marks xdp (lc, wlc, sed, nq, fo and ovf for at most
// XVS_SCHED_LIST_MAX reals); fwmark services need match= lines; reals of the
// service's address family; connection thresholds as IPVS takes them (lower
// not above upper), on rr and wrr only with a table the program can pass
// over (XVS_SCHED_SKIP_MAX slots).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/unique_fd.h"
#include "dataplane/dataplane.h"
#include "dataplane/interface_state.h"
#include "dataplane/xdp/address_filter.h"
#include "dataplane/xdp/connection_census.h"
#include "dataplane/xdp/interface_book.h"
#include "dataplane/xdp/held_fragments.h"
#include "dataplane/xdp/overload_flags.h"
#include "dataplane/xdp/sched_table_map.h"
#include "model/address.h"
#include "xvs/abi.h"

struct xvs_xdp;  // the generated skeleton

namespace xvs {

class MapTransaction;
class UndoLog;

struct XdpOptions {
    std::string instance = "default";
    std::vector<std::string> interfaces;  // attach points (may be empty in tests)
    enum class Mode { native, generic, automatic } mode = Mode::automatic;  // automatic: native, else generic
    std::string pin_root = "/sys/fs/bpf/xvs";  // maps pinned at pin_root/instance/
    bool keep_on_exit = false;                 // cleanstop=no: leave program + pins in place
    // ipip outer source per family; unset = the egress interface's address.
    std::optional<IpAddress> tunnel_source_v4;
    std::optional<IpAddress> tunnel_source_v6;
    // Sizes of the LRU tables (entries).
    uint32_t connection_table_size = XVS_CONN_TABLE_DEFAULT;
    uint32_t persistence_table_size = XVS_PERSIST_TABLE_DEFAULT;
    // Entries of the real table: reals summed over all services (xvsd --max-reals).
    uint32_t max_reals = XVS_MAX_REALS;
    // Replay held fragments on a thread of the plane's own (FragmentReplayer,
    // held_fragments.h); xvsd sets it. Off, held_fragments() is driven by hand.
    bool replay_fragments = false;
    // Count the connection tables on a thread of the plane's own every
    // census_interval (CensusThread, connection_census.h); xvsd sets it.
    // Off, only census_now() counts them.
    bool count_connections = false;
    std::chrono::milliseconds census_interval = census_interval_default;
};

// The largest max_reals accepted (ids are u32; this bounds kernel memory).
inline constexpr uint32_t xdp_max_reals_limit = 1u << 24;

const char* to_string(XdpOptions::Mode mode);

// What unsupported() says when a model has more reals than the real table.
std::string xdp_real_capacity_problem(size_t reals, uint32_t max_reals);  // "native", "generic", "automatic"

// What keeps the XDP plane from serving `service` (its scheduler, flags,
// matches, reals and thresholds), one message each; empty when it can.
// XdpDataplane::service_problems() says the same without needing a plane.
std::vector<std::string> xdp_service_problems(const VirtualService& service);

class XdpDataplane : public Dataplane {
   public:
    // Throws DataplaneError naming the interface, the mode and the kernel's
    // reason; a verifier rejection carries the tail of the verifier log.
    explicit XdpDataplane(XdpOptions options);
    // Detaches and unpins unless keep_on_exit.
    ~XdpDataplane() override;
    // What the destructor does, decided at stop (per-virtual cleanstop=).
    void set_keep_on_exit(bool keep) { options_.keep_on_exit = keep; }

    std::string name() const override { return "xdp"; }
    std::vector<std::string> unsupported(const Model& model) const override;
    std::vector<std::string> service_problems(const VirtualService& service) const override;
    void apply(const ModelDiff& change) override;
    const VirtualService* programmed_service(const ServiceKey& key) const override;
    std::vector<ServiceStatus> status() const override;
    std::unique_ptr<ConnectionCursor> connection_cursor() const override;
    void zero_counters() override;

    // Asks the kernel to resolve every next hop the program dropped packets
    // for (xvs_pending_neigh) and refreshes the per-interface tunnel sources.
    // Call periodically (e.g. every second). Returns the number of requests.
    size_t resolve_pending_neighbours();

    // The global action counters (index = enum xvs_stat), summed over CPUs.
    std::array<uint64_t, XVS_STAT__COUNT> global_counters() const;
    // What the pinned maps served when this plane opened: a previous xvsd's
    // services and reals (key, method, weight) after a cleanstop=no exit;
    // empty when the plane started with fresh maps.
    const std::vector<ServiceStatus>& serving_at_start() const { return serving_at_start_; }
    // Map writes done by the last apply() (0 for an unchanged model).
    size_t last_apply_writes() const { return last_apply_writes_; }

    // Makes the program serve frames arriving on ifindex: writes the
    // interface's MAC into xvs_ifaces (frames to any other destination MAC
    // are passed). attach() calls it, also on a re-attach, which refreshes a
    // changed MAC; tests and tools that run the program without attaching
    // call it for their ingress interfaces.
    void serve_interface(int ifindex);

    int program_fd() const;
    // Later fragments held for want of their first (bpf/lib/frag.h).
    HeldFragments& held_fragments() { return *held_; }
    // A map of the program by name ("xvs_conns", ...), for tests and tools.
    int map_fd(std::string_view map_name) const;
    // The ids apply() gave a service / a real (nullopt when not programmed).
    std::optional<uint32_t> service_id(const ServiceKey& key) const;
    std::optional<uint32_t> real_id(const ServiceKey& service, const RealKey& real) const;
    const std::string& pin_directory() const { return pin_dir_; }
    // Compares every interface= with the kernel's links now and acts on the
    // difference (InterfaceBook::step): forgets a vanished device, attaches
    // to a device that has the name and lacks the program. Returns what
    // changed, for the log. Never throws: a failed attach leaves the
    // interface missing and says why.
    std::vector<InterfaceNote> sync_interfaces();
    // Each interface= and its state, in configuration order.
    std::vector<InterfaceState> interface_states() const { return interfaces_.states(); }
    // Whether a link event about `name` / `ifindex` may concern an interface=.
    bool interface_concerns(const std::string& name, uint32_t ifindex) const {
        return interfaces_.concerns(name, ifindex);
    }

    // What the interfaces are attached with ("native" / "generic"), in order.
    const std::vector<std::pair<std::string, std::string>>& attachments() const {
        return attached_modes_;
    }

   private:
    struct SkeletonDeleter {
        void operator()(xvs_xdp* skel) const;
    };
    struct Attachment {
        std::string interface;
        int ifindex;
        uint32_t flags;
    };
    using RealRefKey = std::pair<ServiceKey, RealKey>;
    struct Change;  // one apply's map writes and id changes, undone unless committed

    // Real-table entries carried from pinned maps of another size.
    struct PinnedReals {
        bool fits = false;  // every id in use fits the new size
        std::vector<std::pair<uint32_t, xvs_real>> reals;
        std::vector<std::pair<uint32_t, std::vector<uint8_t>>> stats;  // per-CPU values
        std::vector<std::pair<uint32_t, xvs_real_conns>> conns;
    };
    void load_and_pin();
    PinnedReals take_pinned_reals();
    void restore_pinned_reals(const PinnedReals& carried);
    void adopt_pinned_ids();
    // The one place that prepares an interface for the program (at start and
    // on re-attachment); records it in interfaces_ and returns its note.
    InterfaceNote attach(const std::string& interface);
    void detach_all() noexcept;
    InterfaceObservation observe(const std::string& interface) const;
    // Drops what belongs to a device that no longer carries interface=:
    // its attachment (detached when the device still exists, e.g. renamed),
    // its xvs_ifaces and xvs_iface_addrs entries, its queued neighbour resolutions and the
    // cached next hops.
    void forget_interface(const std::string& interface, uint32_t ifindex);
    // Undoes serve_interface() (an interface detached or never attached).
    void unserve_interface(int ifindex, const std::string& interface) noexcept;
    void write_config();
    void measure_program_clock(xvs_config& cfg);
    void refresh_interface_addresses();

    std::string real_capacity_problem(size_t reals) const;
    void add_service(Change& c, const VirtualService& svc);
    // `part`: the change from `before` to `after` (split_by_service()).
    void update_service(Change& c, const VirtualService& before, const VirtualService& after,
                        const ModelDiff& part);
    // Writes the reals `part` lists, and the scheduling table when they move
    // it or `rewrite_table` (a scheduler change) says so.
    void update_reals(Change& c, const VirtualService& after, const ModelDiff& part,
                      bool rewrite_table = false);
    void remove_service(Change& c, const VirtualService& svc);
    void remove_adopted_leftovers(Change& c, const Model& next);
    void write_service_info(MapTransaction& tx, uint32_t id, const VirtualService& svc);
    void write_service_keys(MapTransaction& tx, uint32_t id, const VirtualService& svc);
    void erase_service_keys(MapTransaction& tx, uint32_t id, const VirtualService& svc);
    uint32_t add_real(Change& c, const VirtualService& svc, uint32_t service_id,
                      const RealServer& real);
    // `old`: the slot's value if the caller has just read it.
    void write_real(MapTransaction& tx, uint32_t id, uint32_t service_id, const RealServer& real,
                    uint32_t generation, const xvs_real* old = nullptr);
    // A removed real: released (entry cleared, id free) by release_reals().
    void free_real(Change& c, uint32_t id);
    // Queues id's slot for clearing by release_reals(); to_free: its id then
    // goes to the free list (else it is kept for its real's return).
    void release_id(Change& c, uint32_t id, bool to_free);
    // A real leaves its service: its slot is cleared by release_reals() but
    // its id and generation are kept aside (removed_reals_), so that the real
    // added back continues its flows, as IPVS revives a destination from its
    // trash; its list place is forgotten.
    void remove_real(Change& c, const RealRefKey& ref);
    // The id and generation ref had when it was removed, taken back, if its
    // service still has the id it had then.
    std::optional<std::pair<uint32_t, uint32_t>> revive_real(Change& c, const RealRefKey& ref,
                                                             uint32_t service_id);
    // A real of the service changed (weight, method, thresholds): rewritten,
    // its overload flag cleared where IPVS's edit would clear it.
    void rewrite_real(Change& c, uint32_t service_id, const RealServer& before, const RealServer& after,
                      uint32_t id);
    void release_reals(Change& c);
    // same_reals: the service has the reals (ids) its table was last
    // written with, so the table may be rewritten in place.
    // The count schedulers' (lc ... ovf) go to xvs_sched_lists (write_sched_list()).
    void write_sched_table(Change& c, uint32_t service_id, const VirtualService& svc, bool same_reals = false);
    void write_sched_list(Change& c, uint32_t service_id, const VirtualService& svc);
    // The ids of svc's reals, in the order of svc.reals.
    std::vector<uint32_t> real_ids_of(const VirtualService& svc) const;
    void clear_sched_table(Change& c, uint32_t service_id, const std::string& service_name);
    void zero_percpu(int map_fd, uint32_t id, size_t value_size);
    void zero_percpu(int map_fd, const std::vector<uint32_t>& ids, size_t value_size);
    // Shared (not per-CPU) array entries: per_element bytes each.
    void zero_entries(int map_fd, const std::vector<uint32_t>& ids, size_t per_element);
    void write_filter_words(MapTransaction& tx, const std::set<uint32_t>& words);

    uint32_t allocate_service_id(Change& c);
    uint32_t allocate_real_id(Change& c);
    std::vector<uint8_t> read_percpu(int map_fd, uint32_t id, size_t value_size) const;
    Counters sum_counters(int map_fd, uint32_t id) const;

    XdpOptions options_;
    InterfaceBook interfaces_;
    std::string pin_dir_;
    std::unique_ptr<xvs_xdp, SkeletonDeleter> skel_;
    // After skel_: gone before the program and maps they use.
    std::unique_ptr<HeldFragments> held_;
    std::unique_ptr<FragmentReplayer> replayer_;
    std::vector<Attachment> attached_;
    std::vector<std::pair<std::string, std::string>> attached_modes_;
    int possible_cpus_ = 1;
    // The table of length 0 that the slot of a removed service points at.
    UniqueFd vacant_table_;

    // What is programmed, and the ids it uses.
    Model programmed_;
    std::map<ServiceKey, uint32_t> service_ids_;
    std::map<RealRefKey, uint32_t> real_ids_;
    std::map<uint32_t, uint32_t> real_generation_;  // id -> generation in use
    // When each programmed real was added to its service, counting up: the
    // order IPVS's list of the service's destinations has (newest first),
    // which the count schedulers' lists follow (sched_table.h).
    std::map<RealRefKey, uint64_t> real_added_;
    uint64_t next_real_added_ = 0;
    size_t programmed_reals_ = 0;                    // reals of programmed_, all services
    // The scheduling tables this process wrote, by service id, kept mapped
    // with the real ids they were built from (shared: an undo step holds the
    // one it replaced).
    struct WrittenSchedTable {
        MappedSchedTable table;
        std::vector<uint32_t> real_ids;  // in the order of the service's reals
    };
    std::map<uint32_t, std::shared_ptr<WrittenSchedTable>> sched_tables_;
    std::set<uint32_t> free_service_ids_, free_real_ids_;
    // Removed reals whose ids are kept out of the free list: their flows
    // wait (dropped, lib/conn.h) for them to come back. Ids are taken back
    // from the one removed longest ago only when no other id is left.
    struct RemovedReal {
        uint32_t id = 0, generation = 0, service_id = 0;
        uint64_t order = 0;
    };
    std::map<RealRefKey, RemovedReal> removed_reals_;
    std::map<uint64_t, RealRefKey> removed_order_;
    uint64_t next_removed_order_ = 0;
    uint32_t next_service_id_ = 0, next_real_id_ = 0;
    // Found in pinned maps at start, not yet claimed by apply().
    std::map<ServiceKey, uint32_t> adopted_services_;
    std::map<RealRefKey, uint32_t> adopted_reals_;
    std::vector<ServiceStatus> serving_at_start_;
    size_t last_apply_writes_ = 0;
    // Mirrors xvs_addr_filter; the first apply() rewrites every word that
    // differs (pinned maps may hold a previous daemon's bits).
    AddressFilter address_filter_;
    bool filter_synced_ = false;
    ConnectionTimeouts timeouts_;  // what xvs_config says
    IpvsBehaviour behaviour_;      // the same

   public:
    // Clears the per-CPU counters of `service` and of its reals; the global
    // action counters are left alone, as IPVS leaves its totals.
    void zero_service_counters(const ServiceKey& service) override;

    // The action counters, the last census's table fill and how the pinned
    // maps started. O(1): 26 counter reads, no table walk.
    std::optional<XdpFacts> xdp_facts() const override;
    // Written into xvs_config: the program and the census expire entries by
    // them at once, the listing counts down with them.
    void set_timeouts(const ConnectionTimeouts& change) override;
    ConnectionTimeouts timeouts() const override { return timeouts_; }
    // Into xvs_config's behaviour bits, read by the program per new flow.
    void set_behaviour(const IpvsBehaviour& behaviour) override;
    // Walks the connection tables now, on the calling thread: sweeps,
    // corrects the program's counts and publishes the table fill for
    // xdp_facts() (what the census thread does every interval). Throws
    // DataplaneError.
    void census_now() { census_->take(); }
    // The same with a hook after every chunk of the walk (tests).
    void census_now(const std::function<bool()>& between_chunks) { census_->take(between_chunks); }
    // The last census published (null before the first), for tests.
    std::shared_ptr<const Census> last_census() const { return census_->latest(); }

   private:
    // Clears overload flags where IPVS's edit of a real would (apply()).
    // Declared last, so destroyed first: the thread before the census, both
    // before the maps they read.
    std::unique_ptr<MappedRealConns> real_conns_;
    std::unique_ptr<ConnectionCensus> census_;
    std::unique_ptr<CensusThread> census_thread_;
    PinnedStart pinned_start_ = PinnedStart::fresh;
};

}  // namespace xvs
