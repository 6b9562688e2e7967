// ldirectord's radius check against FreeRADIUS, started by the test: an
// Access-Request with login=, passwd= and secret=, up only on a signed
// Access-Accept.
#include <openssl/evp.h>

#include <catch2/catch.hpp>
#include <string>

#include "checker_support.h"
#include "health/radius_probe.h"
#include "protocol_servers.h"

using namespace xvs;
using namespace xvs::test;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

CheckSpec radius_spec(uint16_t port, const std::string& passwd, const std::string& secret = "testing123") {
    CheckSpec spec = negotiate_spec("radius", loopback(Family::v4), port);
    spec.l4 = Protocol::udp;
    spec.login = "alice";
    spec.passwd = passwd;
    spec.secret = secret;
    return spec;
}

}  // namespace

TEST_CASE("radius: FreeRADIUS accepts the right password, rejects a wrong one, and a wrong secret is caught",
          "[radius]") {
    FreeRadiusServer radius;
    auto results = first_results({{1, radius_spec(radius.port, "secret")},
                                  {2, radius_spec(radius.port, "wrong-pw")},
                                  {3, radius_spec(radius.port, "secret", "not-the-secret")}});
    CHECK(results.at(1).up);
    CHECK(results.at(1).reason == "RADIUS: Access-Accept for alice");
    CHECK_FALSE(results.at(2).up);
    CHECK(results.at(2).reason == "RADIUS: Access-Reject for alice");
    // FreeRADIUS drops a request whose Message-Authenticator does not verify:
    // no answer, so the deadline decides.
    CHECK_FALSE(results.at(3).up);
    CHECK_THAT(results.at(3).reason, StartsWith("timeout after 2.0s while waiting for the RADIUS reply"));
}

TEST_CASE("radius: the password is hidden as RFC 2865 5.2 says, and comes back with the secret", "[radius]") {
    std::array<uint8_t, 16> authenticator{};
    for (size_t i = 0; i < authenticator.size(); ++i) authenticator[i] = static_cast<uint8_t>(i * 17 + 3);
    const std::string password = "a long password of 21", secret = "xyzzy5461";
    const std::string hidden = radius_hide_password(password, secret, authenticator);
    REQUIRE(hidden.size() == 32);  // padded to whole 16-byte blocks
    CHECK(hidden.find("password") == std::string::npos);
    // The server's side: b1 = MD5(S + RA), p1 = c1 ^ b1; b2 = MD5(S + c1), p2 = c2 ^ b2.
    auto md5 = [](const std::string& data) {
        unsigned char out[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        EVP_Digest(data.data(), data.size(), out, &len, EVP_md5(), nullptr);
        return std::string(reinterpret_cast<char*>(out), len);
    };
    std::string previous(reinterpret_cast<const char*>(authenticator.data()), 16), plain;
    for (size_t block = 0; block < hidden.size(); block += 16) {
        const std::string key = md5(secret + previous);
        for (size_t i = 0; i < 16; ++i) plain += static_cast<char>(hidden[block + i] ^ key[i]);
        previous = hidden.substr(block, 16);
    }
    CHECK(plain == password + std::string(32 - password.size(), '\0'));
    CHECK(radius_hide_password("", "s", authenticator).size() == 16);
    CHECK(radius_hide_password(std::string(16, 'p'), "s", authenticator).size() == 16);
}
