// IpvsClient and IpvsDataplane against a real IPVS. This machine's kernel has
// none, so these run inside the vm-test VM (vm-test/scenarios/40-*), each
// test in the scenario's own network namespace, which starts empty.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>

#include "dataplane/ipvs/ipvs_dataplane.h"

using namespace xvs;

namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

VirtualService tcp_service(const char* vip, uint16_t port, const char* sched = "wrr") {
    VirtualService s;
    s.key = ServiceKey::tcp_udp(Protocol::tcp, ip(vip), port);
    s.scheduler = sched;
    s.persistence.prefix_len = s.key.family == Family::v6 ? 128 : 32;
    return s;
}

RealServer real(const char* addr, uint16_t port, ForwardMethod m, uint32_t weight) {
    RealServer r;
    r.key = {ip(addr), port};
    r.method = m;
    r.weight = r.configured_weight = weight;
    return r;
}

// Starts and ends every test with an empty IPVS (the namespace is private).
struct CleanIpvs {
    IpvsClient client;
    CleanIpvs() { client.flush(); }
    ~CleanIpvs() {
        try {
            client.flush();
        } catch (...) {
        }
    }
};

}  // namespace

TEST_CASE("the kernel reports its IPVS version and connection table size") {
    CleanIpvs k;
    auto info = k.client.info();
    CHECK(info.version_text() == "1.2.1");
    CHECK(info.connection_table_size == 4096);
}

TEST_CASE("services and destinations read back exactly as they were written") {
    CleanIpvs k;
    VirtualService v6 = tcp_service("2001:db8::1", 443, "sh");
    v6.scheduler_flags = {"sh-port"};
    v6.persistence = {300, 64};
    k.client.add_service(v6);
    k.client.add_destination(v6.key, real("2001:db8::10", 443, ForwardMethod::gate, 3));
    RealServer tun = real("2001:db8::11", 443, ForwardMethod::ipip, 0);
    tun.upper_threshold = 100;
    tun.lower_threshold = 10;
    k.client.add_destination(v6.key, tun);
    VirtualService mark;
    mark.key = ServiceKey::mark(100, Family::v4);
    mark.scheduler = "wrr";
    mark.persistence = {600, 24};
    k.client.add_service(mark);
    k.client.add_destination(mark.key, real("192.168.239.129", 0, ForwardMethod::masq, 1));

    auto services = k.client.services();
    REQUIRE(services.size() == 2);
    for (const auto& s : services) {
        if (s.key == v6.key) {
            CHECK(s.scheduler == "sh");
            CHECK(s.scheduler_flags == std::vector<std::string>{"sh-port"});
            CHECK(s.persistence == Persistence{300, 64});
            auto dests = k.client.destinations(s.key);
            REQUIRE(dests.size() == 2);
            for (const auto& d : dests) {
                if (d.key == tun.key) {
                    CHECK(d.method == ForwardMethod::ipip);
                    CHECK(d.weight == 0);
                    CHECK(d.upper_threshold == 100);
                    CHECK(d.lower_threshold == 10);
                } else {
                    CHECK(d.key == RealKey{ip("2001:db8::10"), 443});
                    CHECK(d.method == ForwardMethod::gate);
                    CHECK(d.weight == 3);
                }
            }
        } else {
            CHECK(s.key == mark.key);
            CHECK(s.persistence == Persistence{600, 24});
            auto dests = k.client.destinations(s.key);
            REQUIRE(dests.size() == 1);
            CHECK(dests[0].key == RealKey{ip("192.168.239.129"), 0});
            CHECK(dests[0].method == ForwardMethod::masq);
        }
    }
}

TEST_CASE("kernel refusals come back in ipvsadm's words, naming the object") {
    CleanIpvs k;
    VirtualService s = tcp_service("10.0.0.1", 80);
    k.client.add_service(s);
    CHECK_THROWS_WITH(k.client.add_service(s), "TCP 10.0.0.1:80: Service already exists");
    RealServer r = real("10.0.0.2", 80, ForwardMethod::masq, 1);
    CHECK_THROWS_WITH(k.client.edit_destination(s.key, r), "10.0.0.2:80 in TCP 10.0.0.1:80: No such destination");
    CHECK_THROWS_WITH(k.client.delete_destination(s.key, r.key),
                      "10.0.0.2:80 in TCP 10.0.0.1:80: No such destination");
    k.client.add_destination(s.key, r);
    CHECK_THROWS_WITH(k.client.add_destination(s.key, r),
                      "10.0.0.2:80 in TCP 10.0.0.1:80: Destination already exists");
    ServiceKey missing = ServiceKey::tcp_udp(Protocol::udp, ip("10.0.0.9"), 53);
    CHECK_THROWS_WITH(k.client.add_destination(missing, r), "10.0.0.2:80 in UDP 10.0.0.9:53: Service not defined");
    CHECK_THROWS_WITH(k.client.delete_service(missing), "UDP 10.0.0.9:53: No such service");
    CHECK_THROWS_WITH(k.client.add_service(tcp_service("10.0.0.3", 80, "nosuch")),
                      "TCP 10.0.0.3:80: Scheduler or persistence engine not found");
}

TEST_CASE("a diff the kernel refuses half-way leaves IPVS as it was") {
    CleanIpvs k;
    IpvsDataplane plane(std::make_unique<IpvsClient>(), std::make_unique<NftFwmarkRules>("kt" + std::to_string(getpid())));
    VirtualService good = tcp_service("10.0.0.1", 80);
    good.reals[{ip("10.0.0.2"), 80}] = real("10.0.0.2", 80, ForwardMethod::masq, 1);
    Model first;
    first.services[good.key] = good;
    ModelDiff add_first;
    add_first.added_services = {good};
    plane.apply(add_first);

    VirtualService bad = tcp_service("10.0.0.5", 80, "nosuch");
    RealServer heavier = good.reals.begin()->second;
    heavier.weight = 5;
    ModelDiff change;
    change.changed_reals = {{good.key, good.reals.begin()->second, heavier}};
    change.added_services = {bad};
    Model second = first;
    second.services[good.key].reals.begin()->second = heavier;
    second.services[bad.key] = bad;
    CHECK_THROWS_WITH(plane.apply(change), "TCP 10.0.0.5:80: Scheduler or persistence engine not found");

    auto status = plane.status();
    REQUIRE(status.size() == 1);
    CHECK(status[0].key == good.key);
    REQUIRE(status[0].reals.size() == 1);
    CHECK(status[0].reals[0].weight == 1);
    CHECK(plane.programmed() == first);
    plane.clear();
    CHECK(k.client.services().empty());
}

TEST_CASE("status and zeroing cover only the services xvs programmed") {
    CleanIpvs k;
    k.client.add_service(tcp_service("10.9.9.9", 22, "rr"));  // someone else's
    IpvsDataplane plane(std::make_unique<IpvsClient>(), std::make_unique<NftFwmarkRules>("kt" + std::to_string(getpid())));
    VirtualService ours = tcp_service("10.0.0.1", 80);
    Model m;
    m.services[ours.key] = ours;
    ModelDiff d;
    d.added_services = {ours};
    plane.apply(d);
    auto status = plane.status();
    REQUIRE(status.size() == 1);
    CHECK(status[0].key == ours.key);
    plane.zero_counters();
    plane.clear();
    auto left = k.client.services();
    REQUIRE(left.size() == 1);
    CHECK(left[0].key == tcp_service("10.9.9.9", 22).key);
    CHECK(plane.connections().empty());
}

TEST_CASE("the kernel takes a zero of one service and answers an unknown one with No such service") {
    CleanIpvs k;
    VirtualService web = tcp_service("10.0.0.1", 80);
    VirtualService mark;
    mark.key = ServiceKey::mark(7, Family::v4);
    mark.scheduler = "rr";
    mark.persistence.prefix_len = 32;
    k.client.add_service(web);
    k.client.add_service(mark);
    k.client.zero(web.key);
    k.client.zero(mark.key);
    try {
        k.client.zero(tcp_service("10.0.0.2", 80).key);
        FAIL("zeroing a service IPVS does not have succeeded");
    } catch (const IpvsError& e) {
        CHECK(e.error_number() == ESRCH);
        CHECK_THAT(e.what(), Catch::EndsWith("No such service"));
    }
    CHECK(k.client.services().size() == 2);
}
