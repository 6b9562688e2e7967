// Debian's database servers for the health tests, each a private instance
// started by the test on a free loopback port and stopped by PID in its
// destructor, with one database `web` that user `ldirector` (password
// `secret`) may read: table `realstatus` holds one row, table `empty` none.
//  - MariaDbServer: mariadb-install-db, then mariadbd (as root, --user=root);
//  - PostgresServer: initdb and postgres as the postgres user (SCRAM
//    passwords).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace xvs::test {

class MariaDbServer {
public:
    MariaDbServer();
    ~MariaDbServer();
    MariaDbServer(const MariaDbServer&) = delete;
    MariaDbServer& operator=(const MariaDbServer&) = delete;
    uint16_t port = 0;
    void stop();

private:
    std::string dir_;
    pid_t pid_ = -1;
};

class PostgresServer {
public:
    PostgresServer();
    ~PostgresServer();
    PostgresServer(const PostgresServer&) = delete;
    PostgresServer& operator=(const PostgresServer&) = delete;
    uint16_t port = 0;
    void stop();

private:
    std::string dir_;
    pid_t pid_ = -1;
};

}  // namespace xvs::test
