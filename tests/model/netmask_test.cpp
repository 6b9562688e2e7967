// The netmask conversions shared by netmask=, xvsadm -M and the listings.
#include <catch2/catch.hpp>

#include <optional>

#include "model/netmask.h"

using namespace xvs;

namespace {

std::optional<ParsedNetmask> parsed(std::string_view text) {
    auto r = parse_netmask(text);
    if (auto* m = std::get_if<ParsedNetmask>(&r)) return *m;
    return std::nullopt;
}

std::optional<NetmaskError> error(std::string_view text) {
    auto r = parse_netmask(text);
    if (auto* e = std::get_if<NetmaskError>(&r)) return *e;
    return std::nullopt;
}

}  // namespace

TEST_CASE("a netmask is a dotted IPv4 mask or a prefix length, and says which") {
    REQUIRE(parsed("255.255.255.0"));
    CHECK(parsed("255.255.255.0")->form == NetmaskForm::dotted);
    CHECK(parsed("255.255.255.0")->prefix_len == 24);
    CHECK(parsed("0.0.0.0")->prefix_len == 0);
    CHECK(parsed("255.255.255.255")->prefix_len == 32);
    CHECK(parsed("255.255.128.0")->prefix_len == 17);
    REQUIRE(parsed("64"));
    CHECK(parsed("64")->form == NetmaskForm::prefix);
    CHECK(parsed("64")->prefix_len == 64);
    CHECK(parsed("0")->prefix_len == 0);
    CHECK(parsed("0128")->prefix_len == 128);
}

TEST_CASE("a netmask with a gap, a prefix over 128 or other text is refused with the reason") {
    CHECK(error("255.0.255.0") == NetmaskError::not_contiguous);
    CHECK(error("0.255.255.255") == NetmaskError::not_contiguous);
    CHECK(error("129") == NetmaskError::malformed);
    CHECK(error("99999999999999999999") == NetmaskError::malformed);
    CHECK(error("") == NetmaskError::malformed);
    CHECK(error("-1") == NetmaskError::malformed);
    CHECK(error("ffff::") == NetmaskError::malformed);
    CHECK(error("255.255.255") == NetmaskError::malformed);
    CHECK(error(" 24") == NetmaskError::malformed);
}

TEST_CASE("prefix lengths and IPv4 masks convert both ways") {
    CHECK(ipv4_netmask(0) == 0u);
    CHECK(ipv4_netmask(1) == 0x80000000u);
    CHECK(ipv4_netmask(24) == 0xffffff00u);
    CHECK(ipv4_netmask(32) == 0xffffffffu);
    CHECK(ipv4_netmask(64) == 0xffffffffu);
    for (uint32_t p = 0; p <= 32; ++p) CHECK(ipv4_netmask_prefix(ipv4_netmask(p)) == p);
    CHECK(ipv4_netmask_prefix(0xff00ff00u) == 8);  // leading ones only
    CHECK(ipv4_netmask_text(24) == "255.255.255.0");
    CHECK(ipv4_netmask_text(0) == "0.0.0.0");
    CHECK(ipv4_netmask_text(32) == "255.255.255.255");
}
