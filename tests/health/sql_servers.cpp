#include "sql_servers.h"

#include <pwd.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "server_processes.h"

namespace xvs::test {

namespace fs = std::filesystem;

namespace {


const char* tables_sql =
    "CREATE TABLE realstatus (ok INT); INSERT INTO realstatus VALUES (1); CREATE TABLE empty (ok INT);";

}  // namespace

MariaDbServer::MariaDbServer() : TestServer("mariadb") {
    const std::string log = dir_ + "/server.log";
    INFO("MariaDB in " << dir_ << " (log " << log << ")");
    REQUIRE(run({"/usr/bin/mariadb-install-db", "--no-defaults", "--datadir=" + dir_ + "/data", "--user=root",
                 "--auth-root-authentication-method=socket", "--skip-test-db"},
                log) == 0);
    port = free_loopback_port();
    pid_ = spawn({"/usr/sbin/mariadbd", "--no-defaults", "--datadir=" + dir_ + "/data", "--socket=" + dir_ + "/sock",
                  "--port=" + std::to_string(port), "--bind-address=127.0.0.1", "--user=root", "--skip-name-resolve",
                  "--pid-file=" + dir_ + "/pid", "--log-error=" + dir_ + "/error.log"},
                 log);
    REQUIRE(pid_ > 0);
    REQUIRE(all_accept({port}));
    REQUIRE(run({"/usr/bin/mariadb", "--no-defaults", "-S", dir_ + "/sock", "-u", "root", "-e",
                 "CREATE DATABASE web; CREATE USER 'ldirector'@'%' IDENTIFIED BY 'secret'; "
                 "GRANT SELECT ON web.* TO 'ldirector'@'%'; USE web; " +
                     std::string(tables_sql)},
                log) == 0);
}

PostgresServer::PostgresServer() : TestServer("postgres") {
    const std::string bin = "/usr/lib/postgresql/15/bin/", log = dir_ + "/server.log";
    INFO("PostgreSQL in " << dir_ << " (log " << log << ")");
    const passwd* pw = ::getpwnam("postgres");
    REQUIRE(pw);
    std::ofstream(dir_ + "/pw") << "superpw\n";
    for (const auto& entry : {fs::path(dir_), fs::path(dir_ + "/pw")})
        REQUIRE(::chown(entry.c_str(), pw->pw_uid, pw->pw_gid) == 0);
    {
        std::ofstream touch(log);
    }
    REQUIRE(::chown(log.c_str(), pw->pw_uid, pw->pw_gid) == 0);
    auto as_postgres = [] { become("postgres"); };
    REQUIRE(run({bin + "initdb", "-D", dir_ + "/data", "-U", "postgres", "--auth=scram-sha-256", "--pwfile=" + dir_ + "/pw"},
                log, as_postgres) == 0);
    port = free_loopback_port();
    pid_ = spawn({bin + "postgres", "-D", dir_ + "/data", "-k", dir_, "-p", std::to_string(port), "-c",
                  "listen_addresses=127.0.0.1"},
                 log, as_postgres);
    REQUIRE(pid_ > 0);
    REQUIRE(all_accept({port}));
    auto psql = [&](const std::string& user, const std::string& password, const std::string& db,
                    const std::string& sql) {
        return run({"/usr/bin/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p",
                    std::to_string(port), "-U", user, "-d", db, "-c", sql},
                   log, [password] { ::setenv("PGPASSWORD", password.c_str(), 1); });
    };
    REQUIRE(psql("postgres", "superpw", "postgres", "CREATE ROLE ldirector LOGIN PASSWORD 'secret'") == 0);
    REQUIRE(psql("postgres", "superpw", "postgres", "CREATE DATABASE web OWNER ldirector") == 0);
    REQUIRE(psql("ldirector", "secret", "web", tables_sql) == 0);
}

}  // namespace xvs::test
