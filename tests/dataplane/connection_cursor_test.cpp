// The XDP connection listing's cursor against the real maps (run as root):
// it lists every live flow and template once across many chunks, in parts
// no larger than asked, and walks on after the plane that made it is gone.
#include <catch2/catch.hpp>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "plane_with_entries.h"
#include "support/xdp_plane_options.h"

using namespace xvs;
using testing::real_a;
using testing::real_b;

namespace {

constexpr uint64_t one_second = 1'000'000'000ull;

XdpOptions options_for(const std::string& what) {
    XdpOptions o = testing::xdp_test_options("cursor-" + what);
    o.connection_table_size = 65536;
    return o;
}

// Drives the cursor to its end in parts of `part`; every part but the last
// must be full.
std::vector<ConnectionEntry> drain(ConnectionCursor& cursor, size_t part, size_t& parts) {
    std::vector<ConnectionEntry> all;
    for (parts = 1;; ++parts) {
        std::vector<ConnectionEntry> some;
        bool more = cursor.next(some, part);
        CHECK(some.size() <= part);
        if (more) CHECK(some.size() == part);
        all.insert(all.end(), some.begin(), some.end());
        if (!more) return all;
    }
}

}  // namespace

TEST_CASE("the listing cursor lists each live flow and template once across many chunks", "[cursor]") {
    REQUIRE(monotonic_ns() > 20 * one_second);
    testing::PlaneWithEntries p(options_for("chunks"));
    auto a = p.real(real_a);
    auto b = p.real(real_b);
    const uint32_t flows = 3 * census_chunk + 7;
    for (uint32_t port = 0; port < flows; ++port)
        p.connection(port, port % 2 ? a : b, port % 3 ? XVS_CONN_TCP_ESTABLISHED : XVS_CONN_TCP_SYN);
    p.connection(flows, a, XVS_CONN_TCP_CLOSE, 11 * one_second);                 // expired
    p.connection(flows + 1, {a.id, a.generation + 1}, XVS_CONN_TCP_ESTABLISHED);  // another holder's
    for (uint32_t c = 0; c < 5; ++c) p.persistence(0x0a100000 + c, a);
    p.persistence(0x0a200000, b, 6 * one_second);  // expired

    auto cursor = p.dp.connection_cursor();
    size_t parts = 0;
    auto listed = drain(*cursor, 1000, parts);
    CHECK(parts == (flows + 5) / 1000 + 1);
    size_t templates = 0;
    std::set<uint16_t> seen;  // client ports of the flows: all below 65536 here
    for (const auto& e : listed) {
        if (e.is_template) {
            ++templates;
            CHECK(e.real == real_a.address);
            CHECK(e.state == "NONE");
            continue;
        }
        CHECK(seen.insert(e.client_port).second);
        CHECK(e.virtual_address == testing::v4("10.0.0.1"));
        CHECK((e.state == "ESTABLISHED" || e.state == "SYN_RECV"));
    }
    CHECK(templates == 5);
    CHECK(listed.size() == flows + 5);
}

TEST_CASE("a listing cursor walks on after its plane is gone", "[cursor]") {
    auto p = std::make_unique<testing::PlaneWithEntries>(options_for("orphan"));
    auto a = p->real(real_a);
    for (uint32_t port = 0; port < 100; ++port) p->connection(port, a, XVS_CONN_TCP_ESTABLISHED);
    auto cursor = p->dp.connection_cursor();
    std::vector<ConnectionEntry> first;
    REQUIRE(cursor->next(first, 10));
    p.reset();  // detached, unpinned: the cursor's own fds keep the maps
    size_t parts = 0;
    auto rest = drain(*cursor, 1000, parts);
    CHECK(first.size() + rest.size() == 100);
    for (const auto& e : rest) CHECK(e.real == real_a.address);
}
