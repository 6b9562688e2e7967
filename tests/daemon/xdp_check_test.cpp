// xvsd --check with dataplane=xdp refuses what the XDP plane would refuse at
// start, each problem on its virtual's line; the table size is checked
// whatever the plane.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "config/config.h"
#include "daemon/xdp_capacity.h"

using namespace xvs;

namespace {

std::vector<std::string> problems_of(const std::string& text) {
    Config c = parse_config_text(text, "x.cf");
    try {
        check_xdp_services(c);
    } catch (const ConfigError& e) {
        return e.errors();
    }
    return {};
}

}  // namespace

TEST_CASE("xvsd --check on XDP refuses an IPVS-only scheduler and lower above upper, naming the virtual's line") {
    auto errors = problems_of(R"(virtual=10.0.0.1:80
    real=10.0.1.1:80 gate 1 u:5 l:2
    scheduler=wlc
    checktype=on
virtual=10.0.0.2:80
    real=10.0.1.1:80 gate 1
    scheduler=lblcr
    checktype=on
virtual=10.0.0.3:80
    real=10.0.1.1:80 gate 1 u:2 l:5
    scheduler=rr
    checktype=on
)");
    REQUIRE(errors.size() == 2);
    CHECK(errors[0] == "x.cf:5: TCP  10.0.0.2:80: scheduler lblcr is not supported by the XDP data plane (rr, wrr, "
                       "sh, dh, mh, lc, wlc, sed, nq, fo, ovf are)");
    CHECK(errors[1] ==
          "x.cf:9: TCP  10.0.0.3:80: real 10.0.1.1:80: lower threshold 5 is higher than upper threshold 2 (IPVS "
          "refuses it too)");
}

TEST_CASE("xvsd --check on XDP takes every scheduler XDP runs, thresholds included") {
    for (const char* sched : {"rr", "wrr", "sh", "dh", "mh", "lc", "wlc", "sed", "nq", "fo", "ovf"}) {
        INFO(sched);
        CHECK(problems_of("virtual=10.0.0.1:80\n    real=10.0.1.1:80 gate 1 l:1 u:3\n    scheduler=" +
                          std::string(sched) + "\n    checktype=on\n")
                  .empty());
    }
}
