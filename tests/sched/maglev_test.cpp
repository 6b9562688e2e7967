#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <random>
#include <stdexcept>
#include <string>

#include "sched/maglev.h"

using xvs::MaglevBackend;
using xvs::maglev_table;

namespace {

constexpr uint32_t table_size = 65521;

std::vector<MaglevBackend> backends(int n, uint32_t weight = 1) {
    std::vector<MaglevBackend> out;
    for (int i = 0; i < n; ++i) out.push_back({"10.0.0." + std::to_string(i + 1) + ":80", weight});
    return out;
}

// The table with every slot named by backend id, so that tables built from
// different vectors compare by identity, not by index.
std::vector<std::string> by_id(const std::vector<MaglevBackend>& b, const std::vector<uint32_t>& t) {
    std::vector<std::string> out;
    out.reserve(t.size());
    for (uint32_t i : t) out.push_back(b.at(i).id);
    return out;
}

std::map<uint32_t, size_t> slot_counts(const std::vector<uint32_t>& t) {
    std::map<uint32_t, size_t> c;
    for (uint32_t i : t) ++c[i];
    return c;
}

// Of the slots held by backends present in both tables, the fraction that
// changed owner.
double moved_fraction_of_survivors(const std::vector<std::string>& before,
                                   const std::vector<std::string>& after,
                                   const std::vector<std::string>& survivors) {
    size_t held = 0, moved = 0;
    for (size_t s = 0; s < before.size(); ++s) {
        if (std::find(survivors.begin(), survivors.end(), before[s]) == survivors.end()) continue;
        ++held;
        if (after[s] != before[s]) ++moved;
    }
    return static_cast<double>(moved) / static_cast<double>(held);
}

}  // namespace

TEST_CASE("maglev fills every slot with a backend of non-zero weight") {
    auto b = backends(10);
    b[3].weight = 0;
    auto t = maglev_table(b, table_size);
    REQUIRE(t.size() == table_size);
    for (uint32_t i : t) {
        REQUIRE(i < b.size());
        REQUIRE(i != 3);
    }
}

TEST_CASE("maglev table does not depend on the order backends are listed in") {
    auto b = backends(10);
    b[2].weight = 3;
    auto reference = by_id(b, maglev_table(b, table_size));
    std::mt19937 rng(42);
    for (int trial = 0; trial < 5; ++trial) {
        std::shuffle(b.begin(), b.end(), rng);
        CHECK(by_id(b, maglev_table(b, table_size)) == reference);
    }
}

TEST_CASE("maglev table is pinned: the same on every run and every director") {
    // Guards the cross-director contract: a change to the hash keys, the hash
    // or the fill order changes these values and must be deliberate.
    auto t = maglev_table(backends(3), 13);
    CHECK(t == std::vector<uint32_t>{0, 2, 1, 0, 2, 0, 0, 1, 2, 0, 1, 1, 2});
}

TEST_CASE("maglev gives equal backends equal shares within 1 percent") {
    auto b = backends(10);
    auto c = slot_counts(maglev_table(b, table_size));
    REQUIRE(c.size() == 10);
    for (auto [i, n] : c) {
        double share = static_cast<double>(n) / table_size;
        INFO("backend " << i << " share " << share);
        CHECK(std::abs(share - 0.1) <= 0.001);
    }
}

TEST_CASE("maglev gives weighted backends their weight share within 1 percent") {
    std::vector<MaglevBackend> b{{"a", 1}, {"b", 2}, {"c", 3}, {"d", 4}, {"e", 10}, {"f", 0}};
    auto c = slot_counts(maglev_table(b, table_size));
    double total_weight = 20;
    CHECK(c.count(5) == 0);
    for (size_t i = 0; i < 5; ++i) {
        double share = static_cast<double>(c[static_cast<uint32_t>(i)]) / table_size;
        double exact = b[i].weight / total_weight;
        INFO("backend " << b[i].id << " share " << share << " exact " << exact);
        CHECK(std::abs(share - exact) <= 0.01 * exact);
    }
}

TEST_CASE("maglev moves few slots of surviving backends when one is removed") {
    auto b = backends(10);
    auto before = by_id(b, maglev_table(b, table_size));
    std::string removed = b[4].id;
    b.erase(b.begin() + 4);
    auto after = by_id(b, maglev_table(b, table_size));
    std::vector<std::string> survivors;
    for (auto& x : b) survivors.push_back(x.id);
    for (auto& owner : after) REQUIRE(owner != removed);
    double moved = moved_fraction_of_survivors(before, after, survivors);
    WARN("removing 1 of 10 backends moved " << moved * 100 << "% of the survivors' slots");
    CHECK(moved < 0.02);
}

TEST_CASE("maglev moves few slots of existing backends when one is added") {
    auto b = backends(10);
    auto before = by_id(b, maglev_table(b, table_size));
    std::vector<std::string> existing;
    for (auto& x : b) existing.push_back(x.id);
    b.push_back({"10.0.1.99:80", 1});
    auto after = by_id(b, maglev_table(b, table_size));
    // Slots the newcomer takes are expected to move; count the others.
    size_t held = 0, moved_elsewhere = 0, to_new = 0;
    for (size_t s = 0; s < before.size(); ++s) {
        ++held;
        if (after[s] == "10.0.1.99:80")
            ++to_new;
        else if (after[s] != before[s])
            ++moved_elsewhere;
    }
    double churn = static_cast<double>(moved_elsewhere) / held;
    WARN("adding an 11th backend moved " << churn * 100 << "% of slots between existing backends; "
                                         << to_new << " slots went to the newcomer");
    CHECK(churn < 0.02);
    CHECK(std::abs(static_cast<double>(to_new) / table_size - 1.0 / 11) < 0.001);
}

TEST_CASE("maglev refuses a table size that is not prime") {
    CHECK_THROWS_AS(maglev_table(backends(2), 65536), std::invalid_argument);
    CHECK_THROWS_AS(maglev_table(backends(2), 1), std::invalid_argument);
    CHECK_NOTHROW(maglev_table(backends(2), 2));
}

TEST_CASE("maglev refuses duplicate backend ids") {
    CHECK_THROWS_AS(maglev_table({{"x", 1}, {"x", 2}}, 13), std::invalid_argument);
}

TEST_CASE("maglev with every weight zero is an empty table") {
    CHECK(maglev_table(backends(3, 0), 13).empty());
    CHECK(maglev_table({}, 13).empty());
}
