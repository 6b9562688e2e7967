#include "dataplane/xdp/connection_census.h"

#include <bpf/bpf.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <iostream>
#include <optional>
#include <string>

#include "dataplane/dataplane.h"
#include "dataplane/xdp/batch_reader.h"
#include "dataplane/xdp/xdp_maps_io.h"

namespace xvs {

namespace {

constexpr int census_nice = 10;
// A chunk is never followed by a shorter pause (a fast chunk still yields).
constexpr std::chrono::microseconds minimum_pause{100};

enum class Walked { done, bounded, abandoned };

// The CPU time this thread has used.
uint64_t thread_cpu_ns() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return uint64_t(ts.tv_sec) * XVS_NS_PER_SEC + uint64_t(ts.tv_nsec);
}

// Calls fn(key, value) for every entry of the hash map `fd`, a chunk at a
// time, and between_chunks() after each chunk.
template <typename Key, typename Value, typename Fn>
Walked walk_table(int fd, const char* name, uint32_t capacity, Fn fn,
                  const std::function<bool()>& between_chunks) {
    BatchReader<Key, Value> reader(fd, name, capacity, census_chunk);
    while (size_t n = reader.next()) {
        for (size_t i = 0; i < n; ++i) fn(reader.key(i), reader.value(i));
        if (!between_chunks()) return Walked::abandoned;
    }
    return reader.complete() ? Walked::done : Walked::bounded;
}

// Deletes each of `keys` (entries a walk found expired) that is still expired
// when read again, so that one the program re-created since stays; calls
// deleted(value) for each delete that took effect (the program may delete
// the same entry first) and empties `keys`.
template <typename Key, typename Value, typename TimeoutOf, typename Deleted>
void delete_expired(int fd, std::vector<Key>& keys, TimeoutOf timeout_of, Deleted deleted) {
    for (const auto& key : keys) {
        Value v{};
        if (bpf_map_lookup_elem(fd, &key, &v) != 0 || stamp_age_ns(monotonic_ns(), v.last_seen_ns) <= timeout_of(key, v))
            continue;
        if (bpf_map_delete_elem(fd, &key) == 0) deleted(v);
    }
    keys.clear();
}

}  // namespace

RealConnections Census::of(uint32_t id, uint32_t generation) const {
    auto it = by_real.find(census_real_key(id, generation));
    return it == by_real.end() ? RealConnections{} : it->second;
}

ConnectionCensus::ConnectionCensus(Maps maps, MappedRealConns& counts)
    : maps_(maps),
      counts_(counts),
      conns_capacity_(map_info(maps.conns, "xvs_conns").max_entries),
      persist_capacity_(map_info(maps.persist, "xvs_persist").max_entries),
      nat_reverse_capacity_(map_info(maps.nat_reverse, "xvs_nat_reverse").max_entries),
      reals_capacity_(map_info(maps.reals, "xvs_reals").max_entries) {}

ConnectionCensus::~ConnectionCensus() = default;

void ConnectionCensus::uncount(uint32_t real_id, uint32_t generation, __s64 xvs_real_conns::*field) {
    if (real_id >= reals_capacity_) return;
    xvs_real r{};
    if (bpf_map_lookup_elem(maps_.reals, &real_id, &r) != 0 || !(r.flags & XVS_REAL_F_IN_USE) ||
        r.generation != generation)
        return;  // the real is gone: its counts went with it
    counts_.add(real_id, field, -1);
}

std::vector<ConnectionCensus::RealMark> ConnectionCensus::mark_reals() const {
    std::vector<RealMark> marks(reals_capacity_);
    std::vector<uint32_t> keys(reals_capacity_);
    std::vector<xvs_real> reals(reals_capacity_);
    uint32_t count = reals_capacity_;
    uint32_t out_batch = 0;
    LIBBPF_OPTS(bpf_map_batch_opts, opts);
    int rc = bpf_map_lookup_batch(maps_.reals, nullptr, &out_batch, keys.data(), reals.data(),
                                  &count, &opts);
    if (rc != 0 && errno != ENOENT) {
        // A kernel without batch reads of arrays: one id after the other.
        count = 0;
        for (uint32_t id = 0; id < reals_capacity_; ++id) {
            if (bpf_map_lookup_elem(maps_.reals, &id, &reals[count]) != 0)
                throw DataplaneError("reading xvs_reals: " + errno_text(errno));
            keys[count++] = id;
        }
    }
    for (uint32_t i = 0; i < count; ++i) {
        if (keys[i] >= reals_capacity_ || !(reals[i].flags & XVS_REAL_F_IN_USE)) continue;
        RealMark& m = marks[keys[i]];
        m.in_use = true;
        m.generation = reals[i].generation;
        m.changes = counts_.read(keys[i]).changes;
    }
    return marks;
}

void ConnectionCensus::correct(const std::vector<RealMark>& before, Census& census,
                               std::initializer_list<Field> fields) {
    // After the walk: the counts first, then the marks, so that a change the
    // program makes between the two reads counts as churn.
    std::vector<xvs_real_conns> now(reals_capacity_);
    for (uint32_t id = 0; id < reals_capacity_; ++id)
        if (before[id].in_use) now[id] = counts_.read(id);
    std::vector<RealMark> after = mark_reals();
    for (uint32_t id = 0; id < reals_capacity_; ++id) {
        const RealMark &b = before[id], &a = after[id];
        if (!b.in_use || !a.in_use || a.generation != b.generation) continue;
        // The program's changes during the walk bound how far the walk's
        // count and the program's may honestly differ (an entry made, moved
        // or ended while the walk passed). Only what lies beyond that is
        // certain drift (entries evicted unseen), and only it is taken back:
        // a count the program kept right is never touched.
        const uint64_t churn = a.changes - b.changes;
        census.moved += churn;
        if (churn > uint64_t{INT32_MAX}) continue;  // reset under the walk: nothing is certain
        const auto bound = static_cast<int64_t>(churn);
        const RealConnections walked = census.of(id, a.generation);
        for (const Field& f : fields) {
            const int64_t drift = now[id].*(f.program) - int64_t{walked.*(f.walk)};
            int64_t fix = 0;
            if (drift > bound) fix = -(drift - bound);
            else if (drift < -bound) fix = -drift - bound;
            if (fix == 0) continue;
            counts_.add(id, f.program, fix);  // an add: what the program adds meanwhile stays
            census.corrected += static_cast<uint64_t>(fix < 0 ? -fix : fix);
        }
    }
}

std::shared_ptr<Census> ConnectionCensus::walk(const std::function<bool()>& between_chunks) {
    auto census = std::make_shared<Census>();
    uint64_t now = monotonic_ns();
    // The timeouts in force for this walk (ipvsadm --set); defaults without.
    xvs_config config{};
    uint32_t zero = 0;
    bool have_config = maps_.config >= 0 && bpf_map_lookup_elem(maps_.config, &zero, &config) == 0;
    const xvs_config* cfg = have_config ? &config : nullptr;
    // The clock moves on with the walk: an entry is judged when it is read.
    auto next_chunk = [&] {
        if (!between_chunks()) return false;
        now = monotonic_ns();
        return true;
    };
    auto fill = [&](const char* name, uint32_t capacity, Walked walked, uint64_t entries) {
        XdpTableFill f;
        f.name = name;
        f.capacity = capacity;
        f.entries = entries;
        f.complete = walked == Walked::done;
        census->tables.push_back(std::move(f));
    };

    // Expired entries of the chunk just read, deleted before the pause.
    std::vector<xvs_conn_key> expired_conns;
    auto sweep_conns = [&] {
        delete_expired<xvs_conn_key, xvs_conn>(
            maps_.conns, expired_conns, [cfg](const xvs_conn_key&, const xvs_conn& c) { return xvs_conn_timeout_ns(c.state, cfg); },
            [&](const xvs_conn& c) {
                ++census->swept;
                uncount(c.real_id, c.real_generation,
                        c.state == XVS_CONN_TCP_ESTABLISHED ? &xvs_real_conns::active : &xvs_real_conns::inactive);
            });
    };
    auto conns_chunk = [&] {
        sweep_conns();
        return next_chunk();
    };

    auto marks = mark_reals();
    uint64_t entries = 0;
    Walked walked = walk_table<xvs_conn_key, xvs_conn>(
        maps_.conns, "xvs_conns", conns_capacity_,
        [&](const xvs_conn_key& key, const xvs_conn& c) {
            ++entries;
            if (stamp_age_ns(now, c.last_seen_ns) > xvs_conn_timeout_ns(c.state, cfg)) {
                expired_conns.push_back(key);
                return;
            }
            auto& counts = census->by_real[census_real_key(c.real_id, c.real_generation)];
            if (c.state == XVS_CONN_TCP_ESTABLISHED)
                ++counts.active;
            else
                ++counts.inactive;
        },
        conns_chunk);
    if (walked == Walked::abandoned) return nullptr;
    sweep_conns();
    fill("xvs_conns", conns_capacity_, walked, entries);
    // A walk cut short by a bounded key-by-key read has not seen every
    // entry: its counts prove nothing.
    if (walked == Walked::done)
        correct(marks, *census,
                {{&xvs_real_conns::active, &RealConnections::active},
                 {&xvs_real_conns::inactive, &RealConnections::inactive}});

    // service id -> its persistence timeout (ns); unset: no service uses the id.
    std::unordered_map<uint32_t, std::optional<uint64_t>> timeouts;
    auto timeout_of = [&](uint32_t service_id) {
        auto [it, fresh] = timeouts.try_emplace(service_id);
        xvs_service info{};
        if (fresh && bpf_map_lookup_elem(maps_.service_info, &service_id, &info) == 0 &&
            (info.flags & XVS_SVC_F_IN_USE))
            it->second = uint64_t{info.persist_timeout_s} * XVS_NS_PER_SEC;
        return it->second;
    };
    std::vector<xvs_persist_key> expired_templates;
    auto sweep_templates = [&] {
        delete_expired<xvs_persist_key, xvs_persist>(
            maps_.persist, expired_templates,
            [&](const xvs_persist_key& k, const xvs_persist&) { return timeout_of(k.service_id).value_or(0); },
            [&](const xvs_persist& t) {
                ++census->swept;
                uncount(t.real_id, t.real_generation, &xvs_real_conns::persist);
            });
    };
    auto templates_chunk = [&] {
        sweep_templates();
        return next_chunk();
    };
    marks = mark_reals();
    entries = 0;
    walked = walk_table<xvs_persist_key, xvs_persist>(
        maps_.persist, "xvs_persist", persist_capacity_,
        [&](const xvs_persist_key& k, const xvs_persist& t) {
            ++entries;
            // A template of an id no service uses is left alone: not counted,
            // not swept (the program never finds it).
            auto timeout = timeout_of(k.service_id);
            if (!timeout) return;
            if (stamp_age_ns(now, t.last_seen_ns) > *timeout) {
                expired_templates.push_back(k);
                return;
            }
            ++census->by_real[census_real_key(t.real_id, t.real_generation)].persistent;
        },
        templates_chunk);
    if (walked == Walked::abandoned) return nullptr;
    sweep_templates();
    fill("xvs_persist", persist_capacity_, walked, entries);
    if (walked == Walked::done)
        correct(marks, *census, {{&xvs_real_conns::persist, &RealConnections::persistent}});

    entries = 0;
    walked = walk_table<xvs_conn_key, xvs_nat_reverse>(
        maps_.nat_reverse, "xvs_nat_reverse", nat_reverse_capacity_,
        [&](const xvs_conn_key&, const xvs_nat_reverse&) { ++entries; }, next_chunk);
    if (walked == Walked::abandoned) return nullptr;
    fill("xvs_nat_reverse", nat_reverse_capacity_, walked, entries);
    return census;
}

std::shared_ptr<const Census> ConnectionCensus::publish(std::shared_ptr<Census> census) {
    census->finished_ns = monotonic_ns();
    std::lock_guard lock(mutex_);
    census->sequence = ++published_;
    latest_ = std::move(census);
    return latest_;
}

std::shared_ptr<const Census> ConnectionCensus::take() {
    return take([] { return true; });
}

std::shared_ptr<const Census> ConnectionCensus::take(const std::function<bool()>& between_chunks) {
    auto census = walk(between_chunks);
    return census ? publish(std::move(census)) : nullptr;
}

std::shared_ptr<const Census> ConnectionCensus::latest() const {
    std::lock_guard lock(mutex_);
    return latest_;
}

std::vector<XdpTableFill> ConnectionCensus::uncounted() const {
    std::vector<XdpTableFill> tables(3);
    tables[0].name = "xvs_conns";
    tables[0].capacity = conns_capacity_;
    tables[1].name = "xvs_persist";
    tables[1].capacity = persist_capacity_;
    tables[2].name = "xvs_nat_reverse";
    tables[2].capacity = nat_reverse_capacity_;
    return tables;
}

CensusThread::CensusThread(ConnectionCensus& census, std::chrono::milliseconds interval)
    : census_(census), interval_(interval), thread_([this] { run(); }) {}

CensusThread::~CensusThread() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

bool CensusThread::wait(std::chrono::nanoseconds d) {
    std::unique_lock lock(mutex_);
    return !wake_.wait_for(lock, d, [this] { return stop_; });
}

void CensusThread::run() {
    // Below the event loop: counting is never more urgent than serving.
    // Failing to lower it (a seccomp filter, say) only leaves it at the
    // loop's priority, still pausing between chunks.
    (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), census_nice);
    for (;;) {
        uint64_t chunk_began = thread_cpu_ns();
        // A chunk that took c of CPU is followed by c * (1 - share) / share of
        // rest: the walk's CPU time stays census_cpu_share of its length.
        auto pause = [&] {
            const double took = static_cast<double>(thread_cpu_ns() - chunk_began);
            const auto rest = std::chrono::nanoseconds(
                static_cast<int64_t>(took * (1 - census_cpu_share) / census_cpu_share));
            bool go = wait(std::max<std::chrono::nanoseconds>(rest, minimum_pause));
            chunk_began = thread_cpu_ns();
            return go;
        };
        try {
            auto census = census_.walk(pause);
            if (!census) return;  // stopped in the middle
            census_.publish(std::move(census));
            last_error_.clear();
        } catch (const std::exception& e) {
            // Once per cause: a table that cannot be read fails every time.
            if (last_error_ != e.what())
                std::cerr << "xvs: connection census: " << e.what()
                          << " (the counts stay those of the last census)\n";
            last_error_ = e.what();
        }
        if (!wait(interval_)) return;
    }
}

}  // namespace xvs
