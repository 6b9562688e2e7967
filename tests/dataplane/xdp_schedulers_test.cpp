// The XDP plane serves exactly the schedulers and scheduler flags that
// model/schedulers.h marks xdp (the list the config and xvsadm accept), and
// names the others as unsupported.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "support/xdp_plane_options.h"
#include "dataplane/xdp/sched_table.h"
#include "dataplane/xdp/xdp_dataplane.h"
#include "model/schedulers.h"

using namespace xvs;

namespace {

using testing::PinCleanup;

Model one_service(const std::string& scheduler, const std::vector<std::string>& flags) {
    VirtualService svc;
    svc.key = ServiceKey::tcp_udp(Protocol::tcp, *IpAddress::parse("10.0.0.1"), 80);
    svc.scheduler = scheduler;
    svc.scheduler_flags = flags;
    RealServer real;
    real.key = RealKey{*IpAddress::parse("10.0.0.2"), 80};
    svc.reals[real.key] = real;
    Model m;
    m.services[svc.key] = svc;
    return m;
}

}  // namespace

TEST_CASE("the XDP program has a code for exactly the schedulers the list marks xdp") {
    for (const auto& s : known_schedulers) {
        INFO(s.name);
        CHECK(xdp_scheduler(std::string(s.name)).has_value() == s.xdp);
    }
    CHECK_FALSE(xdp_scheduler("newsched"));
}

TEST_CASE("the XDP plane refuses exactly the listed schedulers and flags it does not run, naming them") {
    XdpOptions o;
    o.instance = "schedulers-" + std::to_string(getpid());
    o.connection_table_size = 1024;
    o.persistence_table_size = 1024;
    o.max_reals = 16;
    PinCleanup cleanup{o.pin_root + "/" + o.instance};
    XdpDataplane dp(o);
    for (const auto& s : known_schedulers) {
        std::string name(s.name);
        INFO(name);
        auto problems = dp.unsupported(one_service(name, {}));
        if (s.xdp) {
            CHECK(problems.empty());
        } else {
            REQUIRE(problems.size() == 1);
            CHECK(problems[0] == "TCP  10.0.0.1:80: scheduler " + name +
                                     " is not supported by the XDP data plane (rr, wrr, sh, dh, mh are)");
        }
    }
    for (const auto& f : known_scheduler_flags) {
        std::string name(f.name);
        INFO(name);
        auto problems = dp.unsupported(one_service("sh", {name}));
        if (f.xdp) {
            CHECK(problems.empty());
        } else {
            REQUIRE(problems.size() == 1);
            CHECK(problems[0] == "TCP  10.0.0.1:80: scheduler flag " + name + " is not supported by the XDP data plane");
        }
    }
}
