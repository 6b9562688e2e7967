// ldirectord's mysql and pgsql checks against Debian's MariaDB and
// PostgreSQL servers, each a private instance the test starts.
#include <catch2/catch.hpp>
#include <string>

#include "checker_support.h"
#include "sql_servers.h"

using namespace xvs;
using namespace xvs::test;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

CheckSpec sql_spec(const std::string& service, uint16_t port, const std::string& request,
                   const std::string& passwd = "secret") {
    CheckSpec spec = negotiate_spec(service, loopback(Family::v4), port);
    spec.login = "ldirector";
    spec.passwd = passwd;
    spec.database = "web";
    spec.request = "/" + request;  // as the daemon hands it over
    spec.negotiate_timeout_s = 10;
    return spec;
}

}  // namespace

TEST_CASE("mysql and pgsql checks log in, run the request and are up when it returns rows", "[sql]") {
    MariaDbServer mariadb;
    PostgresServer postgres;
    auto results = first_results({{1, sql_spec("mysql", mariadb.port, "SELECT * FROM realstatus")},
                                  {2, sql_spec("pgsql", postgres.port, "SELECT * FROM realstatus")}});
    CHECK(results.at(1).up);
    CHECK(results.at(1).reason == "MySQL: the request returned 1 row");
    CHECK(results.at(2).up);
    CHECK(results.at(2).reason == "PostgreSQL: the request returned 1 row");
}

TEST_CASE("no rows, a failing request and a wrong password are down with the server's words", "[sql]") {
    MariaDbServer mariadb;
    PostgresServer postgres;
    auto results = first_results({{1, sql_spec("mysql", mariadb.port, "SELECT * FROM empty")},
                                  {2, sql_spec("mysql", mariadb.port, "SELECT * FROM missing")},
                                  {3, sql_spec("mysql", mariadb.port, "SELECT 1", "wrong-pw")},
                                  {4, sql_spec("pgsql", postgres.port, "SELECT * FROM empty")},
                                  {5, sql_spec("pgsql", postgres.port, "SELECT * FROM missing")},
                                  {6, sql_spec("pgsql", postgres.port, "SELECT 1", "wrong-pw")}});
    for (SubscriberId id = 1; id <= 6; ++id) {
        INFO(id << ": " << results.at(id).reason);
        CHECK_FALSE(results.at(id).up);
        CHECK_THAT(results.at(id).reason, !Contains("wrong-pw"));
    }
    CHECK(results.at(1).reason == "MySQL: the request returned 0 rows");
    CHECK_THAT(results.at(2).reason, StartsWith("MySQL: the request failed: Table 'web.missing' doesn't exist"));
    CHECK_THAT(results.at(3).reason, StartsWith("MySQL: Access denied for user 'ldirector'"));
    CHECK(results.at(4).reason == "PostgreSQL: the request returned 0 rows");
    CHECK_THAT(results.at(5).reason, StartsWith("PostgreSQL: the request failed: ERROR:  relation \"missing\" does not exist"));
    CHECK_THAT(results.at(6).reason, Contains("password authentication failed for user \"ldirector\""));
}

TEST_CASE("stopped database servers are down", "[sql]") {
    MariaDbServer mariadb;
    PostgresServer postgres;
    mariadb.stop();
    postgres.stop();
    auto results = first_results({{1, sql_spec("mysql", mariadb.port, "SELECT 1")},
                                  {2, sql_spec("pgsql", postgres.port, "SELECT 1")}});
    CHECK_FALSE(results.at(1).up);
    CHECK_THAT(results.at(1).reason, StartsWith("MySQL: Can't connect"));
    CHECK_FALSE(results.at(2).up);
    CHECK_THAT(results.at(2).reason, Contains("refused"));
}
