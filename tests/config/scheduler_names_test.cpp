// scheduler= and schedflags= accept what model/schedulers.h lists, the one
// list xvsadm and the XDP plane also use.
#include <catch2/catch.hpp>

#include "config_test_support.h"
#include "model/schedulers.h"

using namespace xvs;
using namespace xvs::test;

namespace {

Config with_line(const std::string& line) { return parse("virtual=10.0.0.1:80\n\treal=10.0.0.2 gate\n\t" + line + "\n"); }

}  // namespace

TEST_CASE("every listed scheduler is taken without a warning, another one with a warning") {
    for (const auto& s : known_schedulers) {
        INFO(s.name);
        Config c = with_line("scheduler=" + std::string(s.name));
        CHECK(c.virtuals.at(0).scheduler == s.name);
        CHECK(c.warnings.empty());
    }
    CHECK(with_line("scheduler=newsched").warnings.at(0) ==
          "test.cf:1: warning: scheduler \"newsched\" is not one IPVS ships; it must exist in the kernel");
}

TEST_CASE("schedflags= accepts exactly the listed scheduler flags and names them all when refusing") {
    std::string every;
    for (const auto& f : known_scheduler_flags) {
        INFO(f.name);
        CHECK(with_line("schedflags=" + std::string(f.name)).virtuals.at(0).scheduler_flags ==
              std::vector<std::string>{std::string(f.name)});
        every += (every.empty() ? "" : ",") + std::string(f.name);
    }
    CHECK(with_line("schedflags=" + every).virtuals.at(0).scheduler_flags.size() == std::size(known_scheduler_flags));
    CHECK(error_of("virtual=10.0.0.1:80\n\tschedflags=sh-port,flag-4\n") ==
          "test.cf:2: invalid sched-flag \"flag-4\" (sh-fallback, sh-port, mh-fallback, mh-port, flag-1, flag-2, flag-3)");
    CHECK(scheduler_flag_names() == "sh-fallback, sh-port, mh-fallback, mh-port, flag-1, flag-2, flag-3");
}

TEST_CASE("the list says XDP runs every scheduler but lblc, lblcr and twos and honours the sh and mh flags") {
    CHECK(xdp_scheduler_names() == "rr, wrr, sh, dh, mh, lc, wlc, sed, nq, fo, ovf");
    for (const auto& s : known_schedulers) CHECK(s.xdp == (s.name != "lblc" && s.name != "lblcr" && s.name != "twos"));
    for (const auto& f : known_scheduler_flags) {
        INFO(f.name);
        CHECK(f.xdp == (f.name.starts_with("sh-") || f.name.starts_with("mh-")));
        CHECK(find_scheduler_flag(f.name) == &f);
    }
    for (const auto& s : known_schedulers) CHECK(find_scheduler(s.name) == &s);
    CHECK(find_scheduler("newsched") == nullptr);
    CHECK(find_scheduler_flag("flag-4") == nullptr);
}
