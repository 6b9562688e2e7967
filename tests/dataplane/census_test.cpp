// The connection census against the real maps (run as root). The entries
// here are written by the test, not by the program, so the program never
// counted them: like entries whose end the program never saw (LRU
// evictions), they show in status() once a census has set the program's
// counts to what it walked. A census counts live entries per real of the
// current generation exactly, walks tables of many chunks, and the census
// thread walks again within its interval.
#include <bpf/bpf.h>
#include <netinet/in.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "plane_with_entries.h"
#include "support/xdp_plane_options.h"
#include "dataplane/xdp/xdp_dataplane.h"
#include "dataplane/xdp/xdp_maps_io.h"
#include "model/diff.h"
#include "model/model.h"

using namespace xvs;

namespace {

XdpOptions options_for(const std::string& what) { return testing::xdp_test_options("census-" + what); }

using Plane = testing::PlaneWithEntries;
using testing::real_a;
using testing::real_b;

const XdpTableFill& table(const XdpFacts& facts, const std::string& name) {
    for (const auto& t : facts.tables)
        if (t.name == name) return t;
    FAIL("no table " << name);
    return facts.tables.at(0);
}

constexpr uint64_t one_second = 1'000'000'000ull;

}  // namespace

TEST_CASE("a census sets each real's counts to its live entries, and status() shows them") {
    // Entries 11 seconds old are past the CLOSE timeout (10 s) and the
    // service's persistence (5 s); the clock must have run that long.
    REQUIRE(monotonic_ns() > 20 * one_second);
    Plane p(options_for("exact"));
    auto a = p.real(real_a);
    auto b = p.real(real_b);
    uint32_t port = 1000;
    for (int i = 0; i < 5; ++i) p.connection(port++, a, XVS_CONN_TCP_ESTABLISHED);
    for (int i = 0; i < 3; ++i) p.connection(port++, a, XVS_CONN_TCP_SYN);
    p.connection(port++, a, XVS_CONN_TCP_FIN);
    for (int i = 0; i < 2; ++i) p.connection(port++, b, XVS_CONN_TCP_ESTABLISHED);
    p.connection(port++, a, XVS_CONN_TCP_CLOSE, 11 * one_second);  // expired: fill only
    p.connection(port++, {a.id, a.generation + 1}, XVS_CONN_TCP_ESTABLISHED);  // another holder
    for (uint32_t c = 0; c < 4; ++c) p.persistence(0x0a100000 + c, a);
    p.persistence(0x0a200000, b);
    p.persistence(0x0a300000, a, 6 * one_second);  // expired
    p.nat_reverse(1);
    p.nat_reverse(2);

    // No census yet: the program counted none of these, and status() walks
    // nothing.
    CHECK(p.dp.last_census() == nullptr);
    auto before = p.status_of(real_a);
    CHECK(before.active_connections == 0);
    CHECK(before.inactive_connections == 0);
    CHECK(before.persistent_connections == 0);
    auto unknown = p.dp.xdp_facts();
    REQUIRE(unknown);
    CHECK_FALSE(unknown->census_age_ns);
    CHECK(table(*unknown, "xvs_conns").capacity == 1024);
    CHECK_FALSE(table(*unknown, "xvs_conns").entries);

    p.dp.census_now();
    auto ra = p.status_of(real_a);
    CHECK(ra.active_connections == 5);
    CHECK(ra.inactive_connections == 4);
    CHECK(ra.persistent_connections == 4);
    auto rb = p.status_of(real_b);
    CHECK(rb.active_connections == 2);
    CHECK(rb.inactive_connections == 0);
    CHECK(rb.persistent_connections == 1);

    auto facts = p.dp.xdp_facts();
    REQUIRE(facts);
    REQUIRE(facts->census_age_ns);
    CHECK(table(*facts, "xvs_conns").entries.value_or(0) == 13u);
    CHECK(table(*facts, "xvs_conns").capacity == 1024);
    CHECK(table(*facts, "xvs_persist").entries.value_or(0) == 6u);
    CHECK(table(*facts, "xvs_persist").capacity == 512);
    CHECK(table(*facts, "xvs_nat_reverse").entries.value_or(0) == 2u);
    for (const auto& t : facts->tables) CHECK(t.complete);
    CHECK(facts->pinned_start == PinnedStart::fresh);
    CHECK(facts->adopted_services == 0);

    // New entries show with the next census, not before.
    p.connection(port++, b, XVS_CONN_TCP_ESTABLISHED);
    CHECK(p.status_of(real_b).active_connections == 2);
    p.dp.census_now();
    CHECK(p.status_of(real_b).active_connections == 3);
    CHECK(p.dp.last_census()->sequence == 2);
}

TEST_CASE("a census walks tables of many chunks and counts every entry once") {
    XdpOptions o = options_for("chunks");
    o.connection_table_size = 65536;
    Plane p(o);
    auto a = p.real(real_a);
    const uint32_t n = 3 * census_chunk + 123;
    for (uint32_t i = 0; i < n; ++i) p.connection(i, a, XVS_CONN_TCP_ESTABLISHED);
    p.dp.census_now();
    CHECK(p.status_of(real_a).active_connections == n);
    auto facts = p.dp.xdp_facts();
    REQUIRE(facts);
    CHECK(table(*facts, "xvs_conns").entries == uint64_t{n});
    CHECK(table(*facts, "xvs_conns").complete);
}

TEST_CASE("the census thread counts again within its interval") {
    XdpOptions o = options_for("thread");
    o.count_connections = true;
    o.census_interval = std::chrono::milliseconds(50);
    Plane p(o);
    auto a = p.real(real_a);
    // Polls until `done`; the deadline is far beyond the interval and only
    // ends a test that would otherwise hang.
    auto eventually = [](auto done) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (std::chrono::steady_clock::now() < deadline) {
            if (done()) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return false;
    };
    auto shows = [&](uint32_t active) {
        return eventually([&] { return p.status_of(real_a).active_connections == active; });
    };
    for (uint32_t port = 0; port < 3; ++port) p.connection(port, a, XVS_CONN_TCP_ESTABLISHED);
    CHECK(shows(3));
    // A count is corrected in the middle of a walk, before that census is
    // published: the one that saw the entries may still be on its way.
    std::shared_ptr<const Census> first;
    CHECK(eventually([&] { return (first = p.dp.last_census()) != nullptr; }));
    REQUIRE(first);
    for (uint32_t port = 3; port < 5; ++port) p.connection(port, a, XVS_CONN_TCP_ESTABLISHED);
    CHECK(shows(5));
    CHECK(eventually([&] { return p.dp.last_census()->sequence > first->sequence; }));
}
