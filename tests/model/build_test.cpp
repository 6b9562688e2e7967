// build_model(): which reals are active with which weight, given the config
// and the health results (quiescent, fallback, checktype on/off, ports).
#include <catch2/catch.hpp>

#include "config/config.h"
#include "model/build.h"

using namespace xvs;

namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

Config parse(const std::string& text) { return parse_config_text(text, "model-test.cf"); }

const VirtualService& service(const Model& m, const ServiceKey& key) {
    auto it = m.services.find(key);
    REQUIRE(it != m.services.end());
    return it->second;
}

const ServiceKey web = ServiceKey::tcp_udp(Protocol::tcp, *IpAddress::parse("10.0.0.1"), 80);
const std::string two_reals = "virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate 2\n\treal=10.0.0.3:80 gate 3\n";

RealKey real(const char* address, uint16_t port) { return RealKey{ip(address), port}; }

}  // namespace

TEST_CASE("with every real up, each real has its configured weight") {
    Model m = build_model(parse(two_reals));
    const VirtualService& s = service(m, web);
    REQUIRE(s.reals.size() == 2);
    const RealServer& r = s.reals.at(real("10.0.0.2", 80));
    CHECK(r.weight == 2);
    CHECK(r.configured_weight == 2);
    CHECK(r.method == ForwardMethod::gate);
    CHECK_FALSE(r.is_fallback);
    CHECK(s.reals.at(real("10.0.0.3", 80)).weight == 3);
    CHECK(s.scheduler == "wrr");
}

TEST_CASE("a down real is removed when quiescent=no") {
    HealthView health;
    health.set_down(web, real("10.0.0.2", 80), true);
    Model m = build_model(parse("quiescent=no\n" + two_reals), health);
    const VirtualService& s = service(m, web);
    CHECK(s.reals.size() == 1);
    CHECK(s.reals.count(real("10.0.0.3", 80)) == 1);
}

TEST_CASE("a down real stays with weight 0 when quiescent=yes, global or per virtual") {
    HealthView health;
    health.set_down(web, real("10.0.0.2", 80), true);
    for (const std::string& text : {"quiescent=yes\n" + two_reals, two_reals + "\tquiescent=yes\n"}) {
        Model m = build_model(parse(text), health);
        const RealServer& r = service(m, web).reals.at(real("10.0.0.2", 80));
        CHECK(r.weight == 0);
        CHECK(r.configured_weight == 2);
    }
    Model overridden = build_model(parse("quiescent=yes\n" + two_reals + "\tquiescent=no\n"), health);
    CHECK(service(overridden, web).reals.count(real("10.0.0.2", 80)) == 0);
}

TEST_CASE("a recovered real gets its configured weight back") {
    HealthView health;
    health.set_down(web, real("10.0.0.2", 80), true);
    health.set_down(web, real("10.0.0.2", 80), false);
    CHECK_FALSE(health.is_down(web, real("10.0.0.2", 80)));
    CHECK(service(build_model(parse(two_reals), health), web).reals.at(real("10.0.0.2", 80)).weight == 2);
}

TEST_CASE("when every real is down the fallback is put in with weight 1") {
    HealthView health;
    health.set_down(web, real("10.0.0.2", 80), true);
    health.set_down(web, real("10.0.0.3", 80), true);
    Model m = build_model(parse(two_reals + "\tfallback=127.0.0.1:8080 masq\n"), health);
    const VirtualService& s = service(m, web);
    REQUIRE(s.reals.size() == 1);
    const RealServer& fb = s.reals.at(real("127.0.0.1", 8080));
    CHECK(fb.is_fallback);
    CHECK(fb.weight == 1);
    CHECK(fb.method == ForwardMethod::masq);

    // quiescent reals stay at weight 0 next to the fallback, as in ldirectord
    Model q = build_model(parse("quiescent=yes\n" + two_reals + "\tfallback=127.0.0.1:8080 masq\n"), health);
    CHECK(service(q, web).reals.size() == 3);
    CHECK(service(q, web).reals.at(real("10.0.0.2", 80)).weight == 0);

    // one real up again: the fallback goes
    health.set_down(web, real("10.0.0.3", 80), false);
    Model back = build_model(parse(two_reals + "\tfallback=127.0.0.1:8080 masq\n"), health);
    CHECK(service(back, web).reals.size() == 1);
    CHECK(service(back, web).reals.count(real("10.0.0.3", 80)) == 1);
}

TEST_CASE("a virtual without reals gets its fallback, the global one included") {
    Model m = build_model(parse("fallback=127.0.0.1\nvirtual=10.0.0.1:80\n"));
    const VirtualService& s = service(m, web);
    REQUIRE(s.reals.size() == 1);
    CHECK(s.reals.begin()->first == real("127.0.0.1", 80));  // gate: the virtual's port
    CHECK(s.reals.begin()->second.is_fallback);
    CHECK(service(build_model(parse("virtual=10.0.0.1:80\n")), web).reals.empty());
}

TEST_CASE("checktype=off activates no real and no fallback") {
    Model m = build_model(parse(two_reals + "\tchecktype=off\n\tfallback=127.0.0.1:80\n"));
    CHECK(service(m, web).reals.empty());
}

TEST_CASE("checktype=on keeps every real active whatever the health results") {
    HealthView health;
    health.set_down(web, real("10.0.0.2", 80), true);
    health.set_down(web, real("10.0.0.3", 80), true);
    Model m = build_model(parse(two_reals + "\tchecktype=on\n\tfallback=127.0.0.1:80\n"), health);
    const VirtualService& s = service(m, web);
    REQUIRE(s.reals.size() == 2);
    CHECK(s.reals.at(real("10.0.0.2", 80)).weight == 2);
    CHECK(s.reals.at(real("10.0.0.3", 80)).weight == 3);
}

TEST_CASE("real ports follow ipvsadm: gate and ipip take the virtual's port, masq keeps its own") {
    Model m = build_model(parse("virtual=10.0.0.1:80\n"
                                "\treal=10.0.0.2:8080 gate\n"
                                "\treal=10.0.0.3:8080 ipip\n"
                                "\treal=10.0.0.4:8080 masq\n"
                                "\treal=10.0.0.5 masq\n"));
    const VirtualService& s = service(m, web);
    CHECK(s.reals.count(real("10.0.0.2", 80)) == 1);
    CHECK(s.reals.count(real("10.0.0.3", 80)) == 1);
    CHECK(s.reals.count(real("10.0.0.4", 8080)) == 1);
    CHECK(s.reals.count(real("10.0.0.5", 80)) == 1);  // omitted: the virtual's port
    CHECK(effective_real_key(web, ForwardMethod::masq, real("10.0.0.9", 0)) == real("10.0.0.9", 80));
}

TEST_CASE("fwmark reals keep their port, 0 when omitted") {
    Model m = build_model(parse("virtual=100\n\tmatch=tcp 192.168.0.105:80\n\tmatch=tcp 192.168.0.105:8080\n"
                                "\treal=192.168.239.129 masq 1\n\treal=192.168.239.133:8080 gate 2\n"
                                "\tpersistent=360\n"));
    const VirtualService& s = service(m, ServiceKey::mark(100, Family::v4));
    CHECK(s.reals.count(real("192.168.239.129", 0)) == 1);
    CHECK(s.reals.count(real("192.168.239.133", 8080)) == 1);
    CHECK(s.persistence.timeout == 360);
    CHECK(s.persistence.prefix_len == 32);
    REQUIRE(s.matches.size() == 2);
    CHECK(s.matches[0] == MatchRule{Protocol::tcp, ip("192.168.0.105"), 80});
}

TEST_CASE("service settings are carried into the model") {
    Model m = build_model(parse("virtual=10.0.0.1:53\n\treal=10.0.0.2 gate 1 l:5 u:9\n\tscheduler=sh\n"
                                "\tschedflags=sh-port\n\tops=yes\n\tpersistent=60\n\tnetmask=255.255.0.0\n"));
    const VirtualService& s = service(m, ServiceKey::tcp_udp(Protocol::udp, ip("10.0.0.1"), 53));
    CHECK(s.scheduler == "sh");
    CHECK(s.scheduler_flags == std::vector<std::string>{"sh-port"});
    CHECK(s.one_packet);
    CHECK(s.persistence == Persistence{60, 16});
    const RealServer& r = s.reals.at(real("10.0.0.2", 53));
    CHECK(r.lower_threshold == 5);
    CHECK(r.upper_threshold == 9);
    // ops only means something for UDP
    Model tcp = build_model(parse("virtual=10.0.0.1:80\n\treal=10.0.0.2 gate\n\tops=yes\n"));
    CHECK_FALSE(service(tcp, web).one_packet);
}

TEST_CASE("match order in the file does not change the model") {
    Model a = build_model(parse("virtual=7\n\tmatch=tcp 10.0.0.1:80\n\tmatch=udp 10.0.0.1\n"));
    Model b = build_model(parse("virtual=7\n\tmatch=udp 10.0.0.1\n\tmatch=tcp 10.0.0.1:80\n"));
    CHECK(a == b);
}

TEST_CASE("an IPv6 virtual uses fallback6 and per-client persistence by default") {
    ServiceKey v6 = ServiceKey::tcp_udp(Protocol::tcp, ip("2001:db8::1"), 80);
    Model m = build_model(parse("fallback6=[::1]:8080\nvirtual6=[2001:db8::1]:80\n\tpersistent=10\n"));
    const VirtualService& s = service(m, v6);
    CHECK(s.persistence.prefix_len == 128);
    REQUIRE(s.reals.size() == 1);
    CHECK(s.reals.begin()->first == (RealKey{ip("::1"), 80}));  // gate forces the virtual's port
    CHECK(s.reals.begin()->second.is_fallback);
}
