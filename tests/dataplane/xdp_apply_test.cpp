// XdpDataplane::apply() against the real maps: it touches only what the diff
// lists, undoes everything when a write fails half-way, converges after
// adopting pinned state, and keeps to the real table's size (max_reals).
#include <bpf/bpf.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "support/xdp_plane_options.h"
#include "dataplane/xdp/xdp_dataplane.h"
#include "model/diff.h"
#include "model/model.h"

using namespace xvs;

namespace {

using Bytes = std::vector<uint8_t>;

IpAddress v4(const std::string& text) {
    auto a = IpAddress::parse(text);
    REQUIRE(a);
    return *a;
}

XdpOptions options_for(const std::string& what) {
    return testing::xdp_test_options("apply-" + what, 1024, 1024, 4096);
}

using testing::PinCleanup;

// `services` virtuals 10.0.S.1:80 with `reals` reals each, weights 1..3.
Model make_model(int services, int reals) {
    Model m;
    for (int s = 0; s < services; ++s) {
        VirtualService svc;
        svc.key = ServiceKey::tcp_udp(Protocol::tcp, v4("10.0." + std::to_string(s) + ".1"), 80);
        svc.scheduler = "wrr";
        for (int r = 0; r < reals; ++r) {
            RealServer real;
            real.key = RealKey{v4("10.1." + std::to_string(s) + "." + std::to_string(r + 2)), 80};
            real.weight = real.configured_weight = uint32_t(r % 3 + 1);
            svc.reals[real.key] = real;
        }
        m.services[svc.key] = svc;
    }
    return m;
}

RealServer& nth_real(Model& m, int service, int real) {
    auto& svc = std::next(m.services.begin(), service)->second;
    return std::next(svc.reals.begin(), real)->second;
}

uint32_t max_entries(int fd) {
    bpf_map_info info{};
    uint32_t len = sizeof info;
    REQUIRE(bpf_obj_get_info_by_fd(fd, &info, &len) == 0);
    return info.max_entries;
}

// Every entry of an array map, as bytes.
std::vector<Bytes> array_entries(int fd, size_t value_size) {
    std::vector<Bytes> out;
    for (uint32_t id = 0; id < max_entries(fd); ++id) {
        Bytes v(value_size);
        REQUIRE(bpf_map_lookup_elem(fd, &id, v.data()) == 0);
        out.push_back(std::move(v));
    }
    return out;
}

// Every entry of a hash map, key bytes -> value bytes.
std::map<Bytes, Bytes> hash_entries(int fd, size_t key_size, size_t value_size) {
    std::map<Bytes, Bytes> out;
    Bytes key(key_size), next(key_size);
    const void* prev = nullptr;
    while (bpf_map_get_next_key(fd, prev, next.data()) == 0) {
        Bytes v(value_size);
        if (bpf_map_lookup_elem(fd, next.data(), v.data()) == 0) out[next] = v;
        key = next;
        prev = key.data();
    }
    return out;
}

// The inner map id each scheduling-table slot points at (0: none).
std::vector<uint32_t> table_slots(int fd) {
    std::vector<uint32_t> out;
    for (uint32_t id = 0; id < XVS_MAX_SERVICES; ++id) {
        uint32_t inner = 0;
        out.push_back(bpf_map_lookup_elem(fd, &id, &inner) == 0 ? inner : 0);
    }
    return out;
}

// The length slot of a scheduling table (0 for none or the empty table).
uint32_t table_length(int outer_fd, uint32_t service_id) {
    uint32_t inner_id = 0;
    if (bpf_map_lookup_elem(outer_fd, &service_id, &inner_id) != 0) return 0;
    int fd = bpf_map_get_fd_by_id(inner_id);
    REQUIRE(fd >= 0);
    uint32_t zero = 0, length = 0;
    CHECK(bpf_map_lookup_elem(fd, &zero, &length) == 0);
    ::close(fd);
    return length;
}

// What each scheduling-table slot's table holds: the length and that many
// real ids (empty for no table). A table rewritten in place keeps its map id.
std::vector<std::vector<uint32_t>> table_contents(int outer_fd) {
    std::vector<std::vector<uint32_t>> out(XVS_MAX_SERVICES);
    for (uint32_t id = 0; id < XVS_MAX_SERVICES; ++id) {
        uint32_t inner_id = 0;
        if (bpf_map_lookup_elem(outer_fd, &id, &inner_id) != 0) continue;
        int fd = bpf_map_get_fd_by_id(inner_id);
        REQUIRE(fd >= 0);
        uint32_t zero = 0, length = 0;
        CHECK(bpf_map_lookup_elem(fd, &zero, &length) == 0);
        out[id].push_back(length);
        for (uint32_t slot = 1; slot <= length; ++slot) {
            uint32_t real = 0;
            CHECK(bpf_map_lookup_elem(fd, &slot, &real) == 0);
            out[id].push_back(real);
        }
        ::close(fd);
    }
    return out;
}

struct MapSnapshot {
    std::vector<Bytes> reals, service_info, address_filter;
    std::map<Bytes, Bytes> services, matches;
    std::vector<uint32_t> tables;
    std::vector<std::vector<uint32_t>> table_values;

    explicit MapSnapshot(const XdpDataplane& dp)
        : reals(array_entries(dp.map_fd("xvs_reals"), sizeof(xvs_real))),
          service_info(array_entries(dp.map_fd("xvs_service_info"), sizeof(xvs_service))),
          address_filter(array_entries(dp.map_fd("xvs_addr_filter"), sizeof(uint64_t))),
          services(hash_entries(dp.map_fd("xvs_services"), sizeof(xvs_service_key), 4)),
          matches(hash_entries(dp.map_fd("xvs_matches"), sizeof(xvs_service_key), 4)),
          tables(table_slots(dp.map_fd("xvs_sched_tables"))),
          table_values(table_contents(dp.map_fd("xvs_sched_tables"))) {}
};

// The indices at which two snapshots of one table differ.
template <typename Value>
std::vector<size_t> differing(const std::vector<Value>& a, const std::vector<Value>& b) {
    std::vector<size_t> out;
    for (size_t i = 0; i < a.size() && i < b.size(); ++i)
        if (a[i] != b[i]) out.push_back(i);
    return out;
}

// Every service and real id the plane gave `model`.
std::map<std::string, uint32_t> ids_of(const XdpDataplane& dp, const Model& model) {
    std::map<std::string, uint32_t> out;
    for (const auto& [key, svc] : model.services) {
        auto sid = dp.service_id(key);
        REQUIRE(sid);
        out[key.to_string()] = *sid;
        for (const auto& [rkey, real] : svc.reals) {
            auto rid = dp.real_id(key, rkey);
            REQUIRE(rid);
            out[key.to_string() + " " + rkey.to_string()] = *rid;
        }
    }
    return out;
}

// A fwmark service with more match= lines than xvs_matches holds: the kernel
// refuses one of its lookup keys, the last writes of an apply.
VirtualService oversized_fwmark() {
    VirtualService mark;
    mark.key = ServiceKey::mark(9, Family::v4);
    mark.scheduler = "rr";
    RealServer real;
    real.key = RealKey{v4("10.9.0.2"), 0};
    mark.reals[real.key] = real;
    for (uint32_t port = 1; port <= XVS_MAX_MATCHES + 1; ++port)
        mark.matches.push_back({Protocol::udp, v4("10.9.0.1"), uint16_t(port)});
    return mark;
}

}  // namespace

TEST_CASE("a weight change whose table outgrows its map gets a new map, then rewrites that one in place") {
    XdpDataplane dp(options_for("grow"));
    Model before = make_model(3, 4);  // weights 1 2 3 1: a table of 7 slots
    dp.apply(diff(Model{}, before));
    auto service = std::next(before.services.begin(), 1)->first;
    auto service_id = dp.service_id(service);
    REQUIRE(service_id);
    MapSnapshot was(dp);
    REQUIRE(was.table_values[*service_id].size() == 8);

    // 1 + 2 + 3 + 1000: more slots than the map's page holds.
    Model grown = before;
    nth_real(grown, 1, 3).weight = nth_real(grown, 1, 3).configured_weight = 1000;
    dp.apply(diff(before, grown));
    MapSnapshot big(dp);
    CHECK(big.tables[*service_id] != was.tables[*service_id]);
    CHECK(big.table_values[*service_id].front() == 1006);
    CHECK(differing(was.tables, big.tables) == std::vector<size_t>{*service_id});

    // Back down to 7 slots: the grown map has room, so it is kept.
    dp.apply(diff(grown, before));
    MapSnapshot back(dp);
    CHECK(back.tables[*service_id] == big.tables[*service_id]);
    CHECK(back.table_values[*service_id] == was.table_values[*service_id]);
    CHECK(dp.last_apply_writes() == 2);
}

TEST_CASE("a weight change among many services rewrites only that real and its service's table") {
    XdpDataplane dp(options_for("weight"));
    Model before = make_model(40, 25);
    dp.apply(diff(Model{}, before));
    MapSnapshot was(dp);

    Model after = before;
    RealServer& changed = nth_real(after, 17, 5);
    changed.weight = changed.configured_weight = 9;
    auto service = std::next(after.services.begin(), 17)->first;
    dp.apply(diff(before, after));
    CHECK(dp.last_apply_writes() == 2);

    MapSnapshot now(dp);
    auto real_id = dp.real_id(service, changed.key);
    auto service_id = dp.service_id(service);
    REQUIRE(real_id);
    REQUIRE(service_id);
    CHECK(differing(was.reals, now.reals) == std::vector<size_t>{*real_id});
    xvs_real r{};
    std::memcpy(&r, now.reals[*real_id].data(), sizeof r);
    CHECK(r.weight == 9);
    // Same reals: the one table changed is rewritten in place, the same map.
    CHECK(differing(was.table_values, now.table_values) == std::vector<size_t>{*service_id});
    CHECK(was.tables == now.tables);
    CHECK(was.service_info == now.service_info);
    CHECK(was.services == now.services);
    CHECK(was.matches == now.matches);
    CHECK(was.address_filter == now.address_filter);
}

TEST_CASE("apply looks only at the services the diff lists") {
    XdpDataplane dp(options_for("listed"));
    Model before = make_model(6, 4);
    dp.apply(diff(Model{}, before));
    MapSnapshot was(dp);

    // Two services change in `next`, but the diff lists only the first.
    Model next = before;
    nth_real(next, 1, 0).weight = 7;
    nth_real(next, 4, 0).weight = 8;
    Model listed = before;
    nth_real(listed, 1, 0).weight = 7;
    dp.apply(diff(before, listed));

    MapSnapshot now(dp);
    auto first = dp.real_id(std::next(next.services.begin(), 1)->first, nth_real(next, 1, 0).key);
    REQUIRE(first);
    CHECK(differing(was.reals, now.reals) == std::vector<size_t>{*first});
    auto status = dp.status();
    REQUIRE(status.size() == 6);
    CHECK(status[1].reals[0].weight == 7);
    CHECK(status[4].reals[0].weight == nth_real(before, 4, 0).weight);
}

TEST_CASE("a write failing half-way restores every map entry and the plane's ids") {
    XdpOptions o = options_for("rollback");
    XdpDataplane dp(o);
    Model before = make_model(8, 5);
    dp.apply(diff(Model{}, before));
    MapSnapshot was(dp);
    auto ids_before = ids_of(dp, before);

    // A weight change, a real removed, a service removed, a service added,
    // then the fwmark service whose keys the kernel refuses.
    Model good = before;
    nth_real(good, 0, 1).weight = 5;
    auto& shrinking = std::next(good.services.begin(), 2)->second;
    shrinking.reals.erase(shrinking.reals.begin());
    good.services.erase(std::next(good.services.begin(), 5));
    Model extra = make_model(12, 3);
    auto added = std::prev(extra.services.end())->second;
    good.services[added.key] = added;
    Model bad = good;
    auto mark = oversized_fwmark();
    bad.services[mark.key] = mark;
    REQUIRE(dp.unsupported(bad).empty());
    CHECK_THROWS_AS(dp.apply(diff(before, bad)), DataplaneError);

    MapSnapshot now(dp);
    CHECK(differing(was.reals, now.reals).empty());
    CHECK(was.address_filter == now.address_filter);
    CHECK(was.service_info == now.service_info);
    CHECK(was.services == now.services);
    CHECK(was.matches == now.matches);
    // Tables of the services that were there are the same maps again; a slot
    // that was empty is empty or the empty table.
    for (const auto& [key, id] : ids_of(dp, before))
        if (key.find(' ') == std::string::npos) {
            CHECK(was.tables[id] == now.tables[id]);
            CHECK(was.table_values[id] == now.table_values[id]);
        }
    for (size_t id = 0; id < was.tables.size(); ++id)
        if (was.tables[id] == 0) CHECK(table_length(dp.map_fd("xvs_sched_tables"), uint32_t(id)) == 0);
    CHECK(ids_of(dp, before) == ids_before);
    CHECK_FALSE(dp.service_id(added.key));
    CHECK_FALSE(dp.service_id(mark.key));
    CHECK(dp.status().size() == before.services.size());

    // The same change without the refused service then gives exactly what a
    // plane that never failed gives: same ids, same generations, same entries.
    dp.apply(diff(before, good));
    XdpDataplane control(options_for("control"));
    control.apply(diff(Model{}, before));
    control.apply(diff(before, good));
    CHECK(ids_of(dp, good) == ids_of(control, good));
    CHECK(differing(MapSnapshot(dp).reals, MapSnapshot(control).reals).empty());
    CHECK(MapSnapshot(dp).service_info == MapSnapshot(control).service_info);
    CHECK(MapSnapshot(dp).address_filter == MapSnapshot(control).address_filter);
    // Removing everything leaves the filter as empty as a fresh plane's.
    dp.apply(diff(good, Model{}));
    for (const auto& word : MapSnapshot(dp).address_filter) CHECK(word == Bytes(8, 0));
}

TEST_CASE("a real id removed by an apply goes to no other real before the old tables are replaced") {
    // Room for one id more than the model's 9 reals: the next real after the
    // one that takes it must take the removed real's id back.
    XdpOptions options = options_for("reuse");
    options.max_reals = 10;
    XdpDataplane dp(options);
    Model before = make_model(3, 3);
    REQUIRE(before.services.size() == 3);
    REQUIRE(before.services.begin()->second.reals.size() == 3);
    dp.apply(diff(Model{}, before));
    // The first service loses a real, the last one gains one, in one apply:
    // the first service's old table names the removed id until the flush.
    Model after = before;
    auto& losing = after.services.begin()->second;
    auto removed_key = losing.reals.begin()->first;
    auto removed_id = dp.real_id(losing.key, removed_key);
    REQUIRE(removed_id);
    losing.reals.erase(losing.reals.begin());
    auto& gaining = std::prev(after.services.end())->second;
    RealServer extra;
    extra.key = RealKey{v4("10.7.0.9"), 80};
    gaining.reals[extra.key] = extra;
    dp.apply(diff(before, after));
    auto added_id = dp.real_id(gaining.key, extra.key);
    REQUIRE(added_id);
    CHECK(*added_id != *removed_id);
    xvs_real r{};
    std::memcpy(&r, MapSnapshot(dp).reals[*removed_id].data(), sizeof r);
    CHECK_FALSE(r.flags & XVS_REAL_F_IN_USE);
    // From the next apply on, the id may be taken back (kept aside for the
    // removed real's return until no other id is left).
    Model more = after;
    RealServer another;
    another.key = RealKey{v4("10.7.0.10"), 80};
    more.services.begin()->second.reals[another.key] = another;
    dp.apply(diff(after, more));
    CHECK(dp.real_id(more.services.begin()->first, another.key) == removed_id);
}

TEST_CASE("after adopting pinned maps the first apply, from nothing, keeps the adopted ids and clears the rest") {
    XdpOptions o = options_for("adopt");
    PinCleanup cleanup{o.pin_root + "/" + o.instance};
    Model first = make_model(5, 4);
    std::map<std::string, uint32_t> first_ids;
    {
        XdpOptions keep = o;
        keep.keep_on_exit = true;
        XdpDataplane dp(keep);
        dp.apply(diff(Model{}, first));
        first_ids = ids_of(dp, first);
    }
    // The restarted plane is handed a different model and a diff that lists
    // nothing: it still compares every service with what the maps hold.
    Model next = first;
    nth_real(next, 0, 0).weight = 6;
    next.services.erase(std::next(next.services.begin(), 3));
    auto& grown = std::next(next.services.begin(), 1)->second;
    RealServer extra;
    extra.key = RealKey{v4("10.7.0.9"), 80};
    grown.reals[extra.key] = extra;
    Model more = make_model(7, 2);
    auto added = std::prev(more.services.end())->second;
    next.services[added.key] = added;

    XdpDataplane dp(o);
    dp.apply(diff(Model{}, next));  // the first apply after a restart is from nothing
    auto ids = ids_of(dp, next);
    for (const auto& [name, id] : ids)
        if (first_ids.count(name)) CHECK(first_ids.at(name) == id);  // adopted ids kept

    // The maps hold exactly `next`.
    size_t reals_in_use = 0;
    for (const auto& bytes : MapSnapshot(dp).reals) {
        xvs_real r{};
        std::memcpy(&r, bytes.data(), sizeof r);
        if (r.flags & XVS_REAL_F_IN_USE) ++reals_in_use;
    }
    size_t expected_reals = 0;
    for (const auto& [key, svc] : next.services) expected_reals += svc.reals.size();
    CHECK(reals_in_use == expected_reals);
    size_t services_in_use = 0;
    for (const auto& bytes : MapSnapshot(dp).service_info) {
        xvs_service s{};
        std::memcpy(&s, bytes.data(), sizeof s);
        if (s.flags & XVS_SVC_F_IN_USE) ++services_in_use;
    }
    CHECK(services_in_use == next.services.size());
    std::map<uint32_t, int> lookups;
    for (const auto& [key, value] : MapSnapshot(dp).services) {
        uint32_t id;
        std::memcpy(&id, value.data(), 4);
        lookups[id]++;
    }
    CHECK(lookups.size() == next.services.size());
    for (const auto& [key, svc] : next.services) CHECK(lookups[*dp.service_id(key)] == 1);
    auto weight = dp.status()[0].reals[0].weight;
    CHECK(weight == 6);

    // And from then on it follows diffs.
    Model after = next;
    nth_real(after, 2, 1).weight = 9;
    dp.apply(diff(next, after));
    CHECK(dp.last_apply_writes() == 2);
}

TEST_CASE("the real table is sized by max_reals and a model beyond it is refused") {
    XdpOptions o = options_for("size");
    o.max_reals = 8;
    XdpDataplane dp(o);
    CHECK(max_entries(dp.map_fd("xvs_reals")) == 8);
    CHECK(max_entries(dp.map_fd("xvs_real_stats")) == 8);

    Model nine = make_model(3, 3);
    auto problems = dp.unsupported(nine);
    REQUIRE(problems.size() == 1);
    CHECK(problems[0] == "the configuration needs 9 reals, the XDP real table holds 8: raise --max-reals");
    try {
        dp.apply(diff(Model{}, nine));
        FAIL("a model of 9 reals was applied to a table of 8");
    } catch (const DataplaneError& e) {
        CHECK(std::string(e.what()).find("needs 9 reals, the XDP real table holds 8") != std::string::npos);
    }
    CHECK(dp.status().empty());

    // Filled up to the limit, one more real is refused and nothing changes.
    Model eight = make_model(2, 4);
    dp.apply(diff(Model{}, eight));
    MapSnapshot full(dp);
    Model beyond = eight;
    RealServer extra;
    extra.key = RealKey{v4("10.7.0.9"), 80};
    beyond.services.begin()->second.reals[extra.key] = extra;
    CHECK_THROWS_AS(dp.apply(diff(eight, beyond)), DataplaneError);
    CHECK(differing(full.reals, MapSnapshot(dp).reals).empty());
    // Swapping a real for another fits.
    Model swapped = beyond;
    swapped.services.begin()->second.reals.erase(swapped.services.begin()->second.reals.begin());
    dp.apply(diff(eight, swapped));
    CHECK(dp.real_id(swapped.services.begin()->first, extra.key));

    XdpOptions zero = options_for("size-zero");
    zero.max_reals = 0;
    PinCleanup cleanup{zero.pin_root + "/" + zero.instance};
    CHECK_THROWS_AS(XdpDataplane(zero), DataplaneError);
    CHECK(::access(cleanup.dir.c_str(), F_OK) != 0);  // a refused plane leaves no directory
}

TEST_CASE("pinned real tables of another size are carried over when their ids fit") {
    XdpOptions o = options_for("resize");
    PinCleanup cleanup{o.pin_root + "/" + o.instance};
    o.max_reals = 16;
    o.keep_on_exit = true;
    Model model = make_model(3, 4);
    std::map<std::string, uint32_t> first_ids;
    {
        XdpDataplane dp(o);
        dp.apply(diff(Model{}, model));
        first_ids = ids_of(dp, model);
    }
    SECTION("growing keeps every id") {
        o.max_reals = 64;
        o.keep_on_exit = false;
        XdpDataplane dp(o);
        CHECK(max_entries(dp.map_fd("xvs_reals")) == 64);
        dp.apply(diff(Model{}, model));
        CHECK(ids_of(dp, model) == first_ids);
        CHECK(dp.last_apply_writes() > 0);
    }
    SECTION("shrinking below an id in use starts with empty tables") {
        o.max_reals = 4;
        o.keep_on_exit = false;
        XdpDataplane dp(o);
        CHECK(max_entries(dp.map_fd("xvs_reals")) == 4);
        for (const auto& bytes : MapSnapshot(dp).service_info) {
            xvs_service s{};
            std::memcpy(&s, bytes.data(), sizeof s);
            CHECK_FALSE(s.flags & XVS_SVC_F_IN_USE);
        }
    }
}
