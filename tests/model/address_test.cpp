#include <catch2/catch.hpp>

#include "model/address.h"

using xvs::IpAddress;

TEST_CASE("addresses parse and print in both families") {
    auto v4 = IpAddress::parse("192.168.0.105");
    REQUIRE(v4);
    CHECK(!v4->is_v6());
    CHECK(v4->to_string() == "192.168.0.105");
    CHECK(v4->with_port(80) == "192.168.0.105:80");
    auto v6 = IpAddress::parse("2001:db8::1");
    REQUIRE(v6);
    CHECK(v6->with_port(80) == "[2001:db8::1]:80");
    CHECK(!IpAddress::parse("192.168.0.256"));
    CHECK(!IpAddress::parse("[2001:db8::1]"));
}

TEST_CASE("masking keeps only the prefix") {
    CHECK(IpAddress::parse("10.1.2.3")->masked(24).to_string() == "10.1.2.0");
    CHECK(IpAddress::parse("10.1.2.3")->masked(0).to_string() == "0.0.0.0");
    CHECK(IpAddress::parse("2001:db8:1:2::5")->masked(48).to_string() == "2001:db8:1::");
}
