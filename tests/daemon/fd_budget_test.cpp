#include <catch2/catch.hpp>

#include "daemon/fd_budget.h"

using namespace xvs;

TEST_CASE("checks in flight leave the daemon its reserve of fds, up to the checker's ceiling",
          "[fd_budget]") {
    CHECK(fd_budget_for(1024).checks_in_flight == 1024 - daemon_fd_reserve);
    CHECK(fd_budget_for(65536).checks_in_flight == max_checks_in_flight);
    CHECK(fd_budget_for(1256).checks_in_flight == max_checks_in_flight);
    // A small limit keeps half for the daemon; the checker always gets a slot.
    CHECK(fd_budget_for(100).checks_in_flight == 50);
    CHECK(fd_budget_for(1).checks_in_flight == 1);
    CHECK(fd_budget_for(0).checks_in_flight == 1);
    CHECK(fd_budget_for(1024).limit == 1024);
}
