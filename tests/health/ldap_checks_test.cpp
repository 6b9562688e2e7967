// ldirectord's ldap and ldaps checks against OpenLDAP's slapd, started by the
// test: bind (anonymous or as login=), search request= as the base, the one
// entry's DN matched against receive=.
#include <catch2/catch.hpp>
#include <string>

#include "checker_support.h"
#include "protocol_servers.h"

using namespace xvs;
using namespace xvs::test;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

CheckSpec ldap_spec(const std::string& service, uint16_t port, const std::string& base, const std::string& receive,
                    const std::string& login = "", const std::string& passwd = "") {
    CheckSpec spec = negotiate_spec(service, loopback(Family::v4), port);
    spec.request = "/" + base;  // as the daemon hands it over
    spec.receive = receive;
    spec.login = login;
    spec.passwd = passwd;
    return spec;
}

}  // namespace

TEST_CASE("ldap and ldaps checks bind, find the base entry and match its DN", "[ldap]") {
    SlapdServer slapd;
    auto results = first_results(
        {{1, ldap_spec("ldap", slapd.ldap, "dc=example,dc=test", "example")},
         {2, ldap_spec("ldaps", slapd.ldaps, "dc=example,dc=test", "dc=test$")},
         {3, ldap_spec("ldap", slapd.ldap, "dc=example,dc=test", "", "cn=admin,dc=example,dc=test", "secret")}});
    for (SubscriberId id : {1, 2, 3}) {
        INFO(id << ": " << results.at(id).reason);
        CHECK(results.at(id).up);
        CHECK(results.at(id).reason == "LDAP: found dc=example,dc=test");
    }
}

TEST_CASE("ldap: a wrong password, a missing base and a DN that does not match are down", "[ldap]") {
    SlapdServer slapd;
    auto results = first_results(
        {{1, ldap_spec("ldap", slapd.ldap, "dc=example,dc=test", "", "cn=admin,dc=example,dc=test", "wrong-pw")},
         {2, ldap_spec("ldap", slapd.ldap, "dc=missing,dc=test", "")},
         {3, ldap_spec("ldaps", slapd.ldaps, "dc=example,dc=test", "^ou=")}});
    for (SubscriberId id : {1, 2, 3}) CHECK_FALSE(results.at(id).up);
    CHECK_THAT(results.at(1).reason, StartsWith("LDAP: bind failed: result 49"));  // invalidCredentials
    CHECK_THAT(results.at(1).reason, !Contains("wrong-pw"));
    CHECK_THAT(results.at(2).reason, StartsWith("LDAP: search of dc=missing,dc=test failed: result 32"));  // noSuchObject
    CHECK(results.at(3).reason == "LDAP: dc=example,dc=test does not match receive");
}
