// HealthBridge: config -> CheckSpecs, and check results -> the model the
// data plane gets (quiescent, recovery, fallback, maintenance), no kernel.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "config/config.h"
#include "daemon/health_bridge.h"
#include "model/build.h"

using namespace xvs;
namespace fs = std::filesystem;

namespace {

Config parse(const std::string& text) { return parse_config_text(text, "health.cf"); }

IpAddress ip(const char* text) { return *IpAddress::parse(text); }
const ServiceKey web = ServiceKey::tcp_udp(Protocol::tcp, ip("192.168.239.250"), 80);
const RealKey real1{ip("192.168.239.129"), 80};
const RealKey real2{ip("192.168.239.133"), 80};

std::string web_config(const std::string& quiescent, const std::string& extra = "") {
    return "virtual=192.168.239.250:80\n"
           "\treal=192.168.239.129:80 gate 1\n"
           "\treal=192.168.239.133:80 gate 2\n"
           "\tchecktype=negotiate\n\tservice=http\n"
           "\trequest=\"check.html\"\n\treceive=\"This web is OK\"\n"
           "\tcheckinterval=1\n\tchecktimeout=1\n"
           "\tquiescent=" + quiescent + "\n" + extra;
}

// Feeds one result for `real` of `web` through the bridge.
std::vector<std::string> report(HealthBridge& bridge,
                                const std::vector<std::pair<SubscriberId, CheckSpec>>& checks,
                                const RealKey& real, bool up, const std::string& reason) {
    for (const auto& [id, spec] : checks)
        if (spec.address == real.address && spec.port == real.port)
            return bridge.apply({StateChange{id, up, true, false, 2, reason, 0.01}});
    FAIL("no check for " << real.to_string());
    return {};
}

}  // namespace

TEST_CASE("a negotiate http check carries ldirectord's settings, per-real request/receive first") {
    Config c = parse(
        "checkinterval=3\n"
        "virtual=192.168.239.250:80\n"
        "\treal=192.168.239.129:80 gate 1 \"alive.html\", \"I am alive\"\n"
        "\treal=192.168.239.133:80 gate 2\n"
        "\tservice=http\n\trequest=\"check.html\"\n\treceive=\"This web is OK\"\n"
        "\thttpmethod=HEAD\n\tvirtualhost=www.example.com\n\tcheckport=8080\n"
        "\tchecktimeout=2\n\tnegotiatetimeout=7\n\tfailurecount=4\n");
    auto plan = plan_health_checks(c);
    REQUIRE(plan.size() == 2);
    const CheckSpec& a = plan.at({web, real1});
    CHECK(a.type == CheckSpec::Type::negotiate);
    CHECK(a.service == "http");
    CHECK(a.address == ip("192.168.239.129"));
    CHECK(a.port == 8080);
    CHECK(a.request == "/alive.html");
    CHECK(a.receive == "I am alive");
    CHECK(a.httpmethod == "HEAD");
    CHECK(a.virtualhost == "www.example.com");
    CHECK(a.timeout_s == 2);
    CHECK(a.negotiate_timeout_s == 7);
    CHECK(a.interval_s == 3);
    CHECK(a.failurecount == 4);
    const CheckSpec& b = plan.at({web, real2});
    CHECK(b.request == "/check.html");
    CHECK(b.receive == "This web is OK");
}

TEST_CASE("without checkport a real is checked on its own port, connect and external map their type") {
    Config c = parse(
        "virtual=10.0.0.1:8080\n\treal=10.0.0.2:8081 masq 1\n\tchecktype=connect\n"
        "virtual=10.0.0.1:53\n\treal=10.0.0.3:53 gate 1\n\tchecktype=external\n"
        "\tcheckcommand=/usr/local/bin/check-dns\n");
    auto plan = plan_health_checks(c);
    REQUIRE(plan.size() == 2);
    auto tcp = ServiceKey::tcp_udp(Protocol::tcp, ip("10.0.0.1"), 8080);
    const CheckSpec& connect = plan.at({tcp, RealKey{ip("10.0.0.2"), 8081}});
    CHECK(connect.type == CheckSpec::Type::connect);
    CHECK(connect.port == 8081);
    CHECK(connect.l4 == Protocol::tcp);
    auto udp = ServiceKey::tcp_udp(Protocol::udp, ip("10.0.0.1"), 53);
    const CheckSpec& external = plan.at({udp, RealKey{ip("10.0.0.3"), 53}});
    CHECK(external.type == CheckSpec::Type::external);
    CHECK(external.l4 == Protocol::udp);
    CHECK(external.checkcommand == "/usr/local/bin/check-dns");
    CHECK(external.virtual_host_arg == "10.0.0.1");
    CHECK(external.virtual_port_arg == "53");
}

TEST_CASE("checktype=on and off need no probe") {
    Config c = parse(
        "virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate 1\n\tchecktype=on\n"
        "virtual=10.0.0.1:81\n\treal=10.0.0.2:81 gate 1\n\tchecktype=off\n");
    CHECK(plan_health_checks(c).empty());
}

TEST_CASE("checktype=external-perl is refused at load with file and line") {
    Config c = parse("virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate 1\n\tchecktype=external-perl\n");
    try {
        plan_health_checks(c);
        FAIL("external-perl was accepted");
    } catch (const ConfigError& e) {
        REQUIRE(e.errors().size() == 1);
        CHECK_THAT(e.errors()[0], Catch::StartsWith("health.cf:2: "));
        CHECK_THAT(e.errors()[0], Catch::Contains("external-perl"));
    }
}

TEST_CASE("reals count as down until their first check") {
    Config c = parse(web_config("no"));
    HealthBridge bridge;
    auto checks = bridge.set_plan(plan_health_checks(c));
    CHECK(checks.size() == 2);
    CHECK(build_model(c, bridge.view()).services.at(web).reals.empty());
    auto lines = report(bridge, checks, real1, true, "HTTP status 200");
    REQUIRE(lines.size() == 1);
    CHECK(lines[0] == "TCP 192.168.239.250:80: real 192.168.239.129:80 unknown -> up (HTTP status 200)");
    CHECK(build_model(c, bridge.view()).services.at(web).reals.count(real1) == 1);
}

namespace {

// What a data plane reports serving: `web` with these reals and weights.
std::vector<ServiceStatus> serving_web(const std::vector<std::pair<RealKey, uint32_t>>& reals) {
    ServiceStatus s;
    s.key = web;
    for (const auto& [key, weight] : reals) {
        RealStatus r;
        r.key = key;
        r.weight = weight;
        s.reals.push_back(r);
    }
    return {s};
}

}  // namespace

TEST_CASE("reals the data plane serves at start begin up, their first check decides") {
    Config c = parse(web_config("no"));
    HealthBridge bridge;
    auto checks = bridge.set_plan(plan_health_checks(c));
    CHECK(bridge.seed_serving(serving_web({{real1, 1}, {real2, 2}})).size() == 2);
    Model m = build_model(c, bridge.view());
    CHECK(m.services.at(web).reals.at(real1).weight == 1);
    CHECK(m.services.at(web).reals.at(real2).weight == 2);
    // A first check that agrees changes nothing and says nothing.
    CHECK(report(bridge, checks, real1, true, "HTTP status 200").empty());
    // One that disagrees takes the real out at once.
    auto lines = report(bridge, checks, real2, false, "connection refused");
    REQUIRE(lines.size() == 1);
    CHECK(lines[0] == "TCP 192.168.239.250:80: real 192.168.239.133:80 up -> down (connection refused)");
    CHECK(build_model(c, bridge.view()).services.at(web).reals.count(real2) == 0);
}

TEST_CASE("a real found quiescent, found elsewhere or not found stays down until checked") {
    Config c = parse(web_config("no"));
    HealthBridge bridge;
    bridge.set_plan(plan_health_checks(c));
    auto other = serving_web({{real2, 1}});
    other[0].key = ServiceKey::tcp_udp(Protocol::tcp, ip("192.168.239.250"), 8080);
    CHECK(bridge.seed_serving(serving_web({{real1, 0}})).empty());
    CHECK(bridge.seed_serving(other).empty());
    CHECK(build_model(c, bridge.view()).services.at(web).reals.empty());
}

TEST_CASE("seeding never overrides a real already checked") {
    Config c = parse(web_config("no"));
    HealthBridge bridge;
    auto checks = bridge.set_plan(plan_health_checks(c));
    report(bridge, checks, real1, false, "connection refused");
    CHECK(bridge.seed_serving(serving_web({{real1, 1}, {real2, 2}})).size() == 1);
    Model m = build_model(c, bridge.view());
    CHECK(m.services.at(web).reals.count(real1) == 0);
    CHECK(m.services.at(web).reals.at(real2).weight == 2);
}

TEST_CASE("quiescent=no removes a failed real and recovery restores its weight") {
    Config c = parse(web_config("no"));
    HealthBridge bridge;
    auto checks = bridge.set_plan(plan_health_checks(c));
    report(bridge, checks, real1, true, "HTTP status 200");
    report(bridge, checks, real2, true, "HTTP status 200");
    auto lines = report(bridge, checks, real2, false, "receive did not match");
    REQUIRE(lines.size() == 1);
    CHECK(lines[0] ==
          "TCP 192.168.239.250:80: real 192.168.239.133:80 up -> down (receive did not match)");
    Model down = build_model(c, bridge.view());
    CHECK(down.services.at(web).reals.count(real2) == 0);
    CHECK(down.services.at(web).reals.at(real1).weight == 1);
    report(bridge, checks, real2, true, "HTTP status 200");
    CHECK(build_model(c, bridge.view()).services.at(web).reals.at(real2).weight == 2);
}

TEST_CASE("quiescent=yes keeps a failed real with weight 0") {
    Config c = parse(web_config("yes"));
    HealthBridge bridge;
    auto checks = bridge.set_plan(plan_health_checks(c));
    report(bridge, checks, real1, true, "HTTP status 200");
    report(bridge, checks, real2, false, "HTTP status 404 Not Found");
    Model m = build_model(c, bridge.view());
    CHECK(m.services.at(web).reals.at(real2).weight == 0);
    CHECK(m.services.at(web).reals.at(real1).weight == 1);
}

TEST_CASE("the fallback serves when every real is down and goes when one recovers") {
    Config c = parse(web_config("no", "\tfallback=127.0.0.1:80 gate\n"));
    HealthBridge bridge;
    auto checks = bridge.set_plan(plan_health_checks(c));
    report(bridge, checks, real1, true, "HTTP status 200");
    report(bridge, checks, real2, true, "HTTP status 200");
    Model up = build_model(c, bridge.view());
    report(bridge, checks, real1, false, "connection refused");
    report(bridge, checks, real2, false, "connection refused");
    Model all_down = build_model(c, bridge.view());
    REQUIRE(all_down.services.at(web).reals.size() == 1);
    CHECK(all_down.services.at(web).reals.begin()->second.is_fallback);
    auto on = fallback_transitions(diff(up, all_down));
    REQUIRE(on.size() == 1);
    CHECK(on[0] == "TCP 192.168.239.250:80: fallback 127.0.0.1:80 on (no real is up)");
    report(bridge, checks, real2, true, "HTTP status 200");
    Model recovered = build_model(c, bridge.view());
    CHECK(recovered.services.at(web).reals.size() == 1);
    CHECK(recovered.services.at(web).reals.count(real2) == 1);
    CHECK(fallback_transitions(diff(all_down, recovered)) ==
          std::vector<std::string>{"TCP 192.168.239.250:80: fallback 127.0.0.1:80 off (a real is up)"});
}

TEST_CASE("a reload keeps subscriber ids and states of remaining reals, new reals start down") {
    Config c = parse(web_config("no"));
    HealthBridge bridge;
    auto before = bridge.set_plan(plan_health_checks(c));
    report(bridge, before, real1, true, "HTTP status 200");
    report(bridge, before, real2, true, "HTTP status 200");

    // real2's weight changes, real1's receive changes, a third real arrives.
    Config next = parse(
        "virtual=192.168.239.250:80\n"
        "\treal=192.168.239.129:80 gate 1 \"check.html\", \"Changed\"\n"
        "\treal=192.168.239.133:80 gate 5\n"
        "\treal=192.168.239.140:80 gate 1\n"
        "\tchecktype=negotiate\n\tservice=http\n"
        "\trequest=\"check.html\"\n\treceive=\"This web is OK\"\n"
        "\tcheckinterval=1\n\tchecktimeout=1\n");
    auto after = bridge.set_plan(plan_health_checks(next));
    REQUIRE(after.size() == 3);
    for (const auto& [id, spec] : before)
        CHECK(std::count_if(after.begin(), after.end(), [&](const auto& p) {
                  return p.first == id && p.second.address == spec.address;
              }) == 1);
    Model m = build_model(next, bridge.view());
    const auto& reals = m.services.at(web).reals;
    CHECK(reals.at(real1).weight == 1);  // changed check: last state until it reports
    CHECK(reals.at(real2).weight == 5);
    CHECK(reals.count(RealKey{ip("192.168.239.140"), 80}) == 0);
}

TEST_CASE("a maintenancedir file named after a real forces it down until removed") {
    fs::path dir = fs::temp_directory_path() / ("xvs-maint-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    struct Cleanup {
        fs::path p;
        ~Cleanup() { std::error_code ec; fs::remove_all(p, ec); }
    } cleanup{dir};

    Config c = parse(web_config("yes"));
    HealthBridge bridge;
    auto checks = bridge.set_plan(plan_health_checks(c));
    report(bridge, checks, real1, true, "HTTP status 200");
    report(bridge, checks, real2, true, "HTTP status 200");
    CHECK(bridge.poll_maintenance(dir.string()).empty());

    std::ofstream(dir / "192.168.239.133:80").put('\n');
    auto lines = bridge.poll_maintenance(dir.string());
    REQUIRE(lines.size() == 1);
    CHECK_THAT(lines[0], Catch::StartsWith("TCP 192.168.239.250:80: real 192.168.239.133:80 up -> down (maintenance"));
    CHECK(build_model(c, bridge.view()).services.at(web).reals.at(real2).weight == 0);
    CHECK(bridge.poll_maintenance(dir.string()).empty());  // reported once

    fs::remove(dir / "192.168.239.133:80");
    lines = bridge.poll_maintenance(dir.string());
    REQUIRE(lines.size() == 1);
    CHECK_THAT(lines[0], Catch::Contains("down -> up"));
    CHECK(build_model(c, bridge.view()).services.at(web).reals.at(real2).weight == 2);
}
