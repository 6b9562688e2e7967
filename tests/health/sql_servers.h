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

#include "server_processes.h"

namespace xvs::test {

class MariaDbServer : public TestServer {
public:
    MariaDbServer();
    uint16_t port = 0;
};

class PostgresServer : public TestServer {
public:
    PostgresServer();
    uint16_t port = 0;
};

}  // namespace xvs::test
