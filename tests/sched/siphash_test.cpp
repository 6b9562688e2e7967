#include <catch2/catch.hpp>

#include <string>

#include "sched/siphash.h"

TEST_CASE("siphash24 matches the reference test vector") {
    // From the SipHash paper (appendix A): key 00..0f, message 00..0e.
    xvs::SipKey key{};
    for (int i = 0; i < 16; ++i) key[i] = static_cast<uint8_t>(i);
    std::string msg;
    for (int i = 0; i < 15; ++i) msg.push_back(static_cast<char>(i));
    CHECK(xvs::siphash24(key, msg) == 0xa129ca6149be45e5ULL);
}

TEST_CASE("siphash24 of the empty message matches the reference") {
    xvs::SipKey key{};
    for (int i = 0; i < 16; ++i) key[i] = static_cast<uint8_t>(i);
    // First entry of the reference implementation's vectors (vectors.h).
    CHECK(xvs::siphash24(key, "") == 0x726fdb47dd0e0e31ULL);
}
