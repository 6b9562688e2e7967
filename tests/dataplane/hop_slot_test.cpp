// xvs_hop_slot(): the next-hop cache's index (xvs/abi.h), compiled here as
// the program compiles it (tests/bpf/fast_path_test.cpp checks that the
// program caches a hop in the slot it names).
#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include <array>
#include <set>

#include "xvs/abi.h"

namespace xvs {
namespace {

using Words = std::array<__u32, 4>;

// fd00:<a>::<b> as stored in keys.
Words v6(uint32_t a, uint32_t b) { return {htonl(0xfd000000u | a), 0, 0, htonl(b)}; }

TEST_CASE("hop slots stay inside the cache") {
    for (uint32_t i = 0; i < 100000; ++i) {
        Words w = {i * 2654435761u, i, ~i, i << 7};
        REQUIRE(xvs_hop_slot(w.data(), i % 7) < XVS_HOP_CACHE_SIZE);
    }
}

TEST_CASE("addresses that differ by the same xor in two words do not share a slot") {
    // Folding the words with xor gave each of these pairs one slot.
    int same = 0;
    for (uint32_t i = 1; i <= 1000; ++i) {
        Words a = v6(0, 2);
        Words b = a;
        b[0] ^= htonl(i);
        b[3] ^= htonl(i);
        if (xvs_hop_slot(a.data(), 3) == xvs_hop_slot(b.data(), 3)) ++same;
    }
    // One pair in 4096 would share a slot by chance.
    CHECK(same <= 3);
}

TEST_CASE("a range of reals spreads over the slots like random ones") {
    std::set<uint32_t> used_v4, used_v6;
    for (uint32_t i = 0; i < XVS_HOP_CACHE_SIZE; ++i) {
        Words v4 = {htonl(0x0a010000u + i), 0, 0, 0};
        used_v4.insert(xvs_hop_slot(v4.data(), 2));
        used_v6.insert(xvs_hop_slot(v6(1, i).data(), 2));
    }
    // As many keys as slots, thrown at random, use 1 - 1/e of them (63 %).
    CHECK(used_v4.size() > XVS_HOP_CACHE_SIZE * 58 / 100);
    CHECK(used_v6.size() > XVS_HOP_CACHE_SIZE * 58 / 100);
}

TEST_CASE("the ingress interface is part of the slot") {
    Words real = v6(1, 2);
    std::set<uint32_t> slots;
    for (__u32 ifindex = 1; ifindex <= 64; ++ifindex) slots.insert(xvs_hop_slot(real.data(), ifindex));
    CHECK(slots.size() > 56);
}

}  // namespace
}  // namespace xvs
