// IpvsDataplane's ordering, ownership and rollback, against a recording fake
// of the kernel (FakeIpvs keeps the services it was given, like IPVS would).
#include <catch2/catch.hpp>
#include <cerrno>
#include <fstream>
#include <map>
#include <unistd.h>

#include "dataplane/ipvs/ipvs_dataplane.h"
#include "support/temp_dir.h"

using namespace xvs;

namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

// An in-memory IPVS: enforces the kernel's existence rules, records every
// command, and fails the command whose number is `fail_at` (1-based).
class FakeIpvs final : public IpvsCommands {
   public:
    std::vector<std::string> log;
    int fail_at = 0;
    std::map<ServiceKey, VirtualService> kernel;

    void add_service(const VirtualService& s) override {
        step("add " + ipvs_service_label(s.key), IpvsOperation::add_service, s.key);
        if (kernel.count(s.key)) throw error(IpvsOperation::add_service, EEXIST, s.key);
        VirtualService copy = s;
        copy.reals.clear();
        kernel[s.key] = copy;
    }
    void edit_service(const VirtualService& s) override {
        step("edit " + ipvs_service_label(s.key) + " " + s.scheduler, IpvsOperation::edit_service, s.key);
        auto& k = existing(IpvsOperation::edit_service, s.key);
        auto reals = k.reals;
        k = s;
        k.reals = reals;
    }
    void delete_service(const ServiceKey& key) override {
        step("delete " + ipvs_service_label(key), IpvsOperation::delete_service, key);
        existing(IpvsOperation::delete_service, key);
        kernel.erase(key);
    }
    void add_destination(const ServiceKey& svc, const RealServer& r) override {
        step("add " + r.key.to_string() + " w" + std::to_string(r.weight), IpvsOperation::add_destination, svc);
        auto& k = existing(IpvsOperation::add_destination, svc);
        if (k.reals.count(r.key)) throw error(IpvsOperation::add_destination, EEXIST, svc);
        k.reals[r.key] = r;
    }
    void edit_destination(const ServiceKey& svc, const RealServer& r) override {
        step("edit " + r.key.to_string() + " w" + std::to_string(r.weight), IpvsOperation::edit_destination, svc);
        auto& k = existing(IpvsOperation::edit_destination, svc);
        if (!k.reals.count(r.key)) throw error(IpvsOperation::edit_destination, ENOENT, svc);
        k.reals[r.key] = r;
    }
    void delete_destination(const ServiceKey& svc, const RealKey& r) override {
        step("delete " + r.to_string(), IpvsOperation::delete_destination, svc);
        auto& k = existing(IpvsOperation::delete_destination, svc);
        if (!k.reals.erase(r)) throw error(IpvsOperation::delete_destination, ENOENT, svc);
    }
    std::vector<ServiceStatus> services() override {
        std::vector<ServiceStatus> out;
        for (const auto& [key, s] : kernel) {
            ServiceStatus st;
            st.key = key;
            st.scheduler = s.scheduler;
            out.push_back(st);
        }
        return out;
    }
    std::vector<RealStatus> destinations(const ServiceKey& svc) override {
        std::vector<RealStatus> out;
        for (const auto& [key, r] : existing(IpvsOperation::list_destinations, svc).reals) {
            RealStatus st;
            st.key = key;
            st.weight = r.weight;
            out.push_back(st);
        }
        return out;
    }
    void zero(const ServiceKey& svc) override { log.push_back("zero " + ipvs_service_label(svc)); }
    ConnectionTimeouts kernel_timeouts;
    void set_timeouts(const ConnectionTimeouts& t) override {
        log.push_back("timeouts " + std::to_string(t.tcp) + " " + std::to_string(t.tcp_fin) + " " +
                      std::to_string(t.udp));
        if (++commands_ == fail_at) throw IpvsError(ipvs_error_text(IpvsOperation::set_timeouts, ENOMEM), ENOMEM);
        kernel_timeouts = merge_timeouts(kernel_timeouts, t);
    }
    ConnectionTimeouts timeouts() override { return kernel_timeouts; }

   private:
    int commands_ = 0;
    void step(const std::string& what, IpvsOperation op, const ServiceKey& key) {
        log.push_back(what);
        if (++commands_ == fail_at) throw error(op, ENOMEM, key);
    }
    static IpvsError error(IpvsOperation op, int e, const ServiceKey& key) {
        return IpvsError(ipvs_service_label(key) + ": " + ipvs_error_text(op, e), e);
    }
    VirtualService& existing(IpvsOperation op, const ServiceKey& key) {
        auto it = kernel.find(key);
        if (it == kernel.end()) throw error(op, ESRCH, key);
        return it->second;
    }
};

class FakeRules final : public FwmarkRules {
   public:
    std::vector<std::string> installs;
    bool fail = false;
    void install(const Model& model) override {
        if (fail) throw DataplaneError("nftables: no nf_tables");
        installs.push_back(fwmark_rule_lines(model));
    }
};

RealServer real(const char* addr, uint32_t weight) {
    RealServer r;
    r.key = {ip(addr), 0};
    r.method = ForwardMethod::masq;
    r.weight = r.configured_weight = weight;
    return r;
}

VirtualService seed_service() {
    VirtualService s;
    s.key = ServiceKey::mark(100, Family::v4);
    s.scheduler = "wrr";
    s.persistence.timeout = 600;
    s.matches = {{Protocol::tcp, ip("192.168.0.105"), 80}, {Protocol::tcp, ip("192.168.0.105"), 8080}};
    for (auto r : {real("192.168.239.129", 1), real("192.168.239.133", 2)}) s.reals[r.key] = r;
    return s;
}

Model with(std::initializer_list<VirtualService> services) {
    Model m;
    for (const auto& s : services) m.services[s.key] = s;
    return m;
}

struct Fixture {
    FakeIpvs* ipvs;
    FakeRules* rules;
    IpvsDataplane plane;
    Fixture() : Fixture(std::make_unique<FakeIpvs>(), std::make_unique<FakeRules>()) {}
    Fixture(std::unique_ptr<FakeIpvs> i, std::unique_ptr<FakeRules> r)
        : ipvs(i.get()), rules(r.get()), plane(std::move(i), std::move(r), "/nonexistent/ip_vs_conn") {}

    void add_seed() {
        ModelDiff d;
        d.added_services = {seed_service()};
        plane.apply(d);
    }
};

}  // namespace

TEST_CASE("adding the seed fwmark service programs it, its two reals and its mark rules") {
    Fixture f;
    f.add_seed();
    CHECK(f.ipvs->log == std::vector<std::string>{"add FWM 100", "add 192.168.239.129:0 w1",
                                                  "add 192.168.239.133:0 w2"});
    REQUIRE(f.rules->installs.size() == 1);
    CHECK(f.rules->installs[0] ==
          "ip daddr 192.168.0.105 tcp dport 80 meta mark set 100\n"
          "ip daddr 192.168.0.105 tcp dport 8080 meta mark set 100\n");
    CHECK(f.plane.programmed() == with({seed_service()}));
    CHECK(f.plane.name() == "ipvs");
    CHECK(f.plane.unsupported(with({seed_service()})).empty());
}

TEST_CASE("a quiescent real is a weight change and a removed real a destination delete") {
    Fixture f;
    f.add_seed();
    f.ipvs->log.clear();
    VirtualService after = seed_service();
    RealServer before_r = after.reals.begin()->second;
    RealServer quiet = before_r;
    quiet.weight = 0;
    after.reals[quiet.key] = quiet;
    ModelDiff d;
    d.changed_reals = {{after.key, before_r, quiet}};
    f.plane.apply(d);
    CHECK(f.ipvs->log == std::vector<std::string>{"edit 192.168.239.129:0 w0"});
    CHECK(f.ipvs->kernel.at(after.key).reals.at(quiet.key).weight == 0);
    CHECK(f.rules->installs.size() == 1);  // the marks did not change

    VirtualService removed = after;
    removed.reals.erase(quiet.key);
    ModelDiff d2;
    d2.removed_reals = {{after.key, quiet}};
    f.plane.apply(d2);
    CHECK(f.ipvs->log.back() == "delete 192.168.239.129:0");
    CHECK(f.ipvs->kernel.at(after.key).reals.size() == 1);
}

TEST_CASE("a failure half-way undoes the commands already done, in reverse, and reports the kernel's message") {
    Fixture f;
    f.ipvs->fail_at = 3;  // the second real
    ModelDiff d;
    d.added_services = {seed_service()};
    CHECK_THROWS_WITH(f.plane.apply(d), "FWM 100: Memory allocation problem");
    CHECK(f.ipvs->log == std::vector<std::string>{"add FWM 100", "add 192.168.239.129:0 w1",
                                                  "add 192.168.239.133:0 w2", "delete 192.168.239.129:0",
                                                  "delete FWM 100"});
    CHECK(f.ipvs->kernel.empty());
    CHECK(f.plane.programmed().services.empty());
    CHECK(f.rules->installs.empty());
}

TEST_CASE("a removed service that fails later in the diff is restored with its reals") {
    Fixture f;
    f.add_seed();
    VirtualService other;
    other.key = ServiceKey::tcp_udp(Protocol::tcp, ip("10.0.0.1"), 80);
    other.scheduler = "no-such-sched";
    f.ipvs->log.clear();
    f.ipvs->fail_at = 5;  // the delete (3 adds before) then the add of `other`
    ModelDiff d;
    d.removed_services = {seed_service()};
    d.added_services = {other};
    CHECK_THROWS_AS(f.plane.apply(d), DataplaneError);
    CHECK(f.ipvs->kernel.size() == 1);
    CHECK(f.ipvs->kernel.at(seed_service().key).reals.size() == 2);
    CHECK(f.plane.programmed() == with({seed_service()}));
}

TEST_CASE("a fwmark rule failure rolls the IPVS commands back") {
    Fixture f;
    f.rules->fail = true;
    ModelDiff d;
    d.added_services = {seed_service()};
    CHECK_THROWS_WITH(f.plane.apply(d), "nftables: no nf_tables");
    CHECK(f.ipvs->kernel.empty());
}

TEST_CASE("services not programmed by xvs are never touched, listed or zeroed") {
    Fixture f;
    VirtualService stranger;
    stranger.key = ServiceKey::tcp_udp(Protocol::tcp, ip("10.9.9.9"), 22);
    stranger.scheduler = "rr";
    f.ipvs->add_service(stranger);  // made by someone else (ipvsadm)
    f.add_seed();
    f.ipvs->log.clear();
    ModelDiff d;
    d.removed_services = {stranger};
    CHECK_THROWS_WITH(f.plane.apply(d),
                      "IPVS: refusing to change TCP 10.9.9.9:22: not programmed by xvs");
    CHECK(f.ipvs->log.empty());
    auto status = f.plane.status();
    REQUIRE(status.size() == 1);
    CHECK(status[0].key == seed_service().key);
    CHECK(status[0].reals.size() == 2);
    f.plane.zero_counters();
    CHECK(f.ipvs->log == std::vector<std::string>{"zero FWM 100"});
    f.plane.clear();
    CHECK(f.ipvs->kernel.size() == 1);
    CHECK(f.ipvs->kernel.count(stranger.key) == 1);
    CHECK(f.rules->installs.back().empty());  // the mark table goes with the service
}

TEST_CASE("zeroing one service sends one zero for it, a stranger's is refused unsent") {
    Fixture f;
    VirtualService stranger;
    stranger.key = ServiceKey::tcp_udp(Protocol::tcp, ip("10.9.9.9"), 22);
    stranger.scheduler = "rr";
    f.ipvs->add_service(stranger);
    f.add_seed();
    f.ipvs->log.clear();
    f.plane.zero_service_counters(seed_service().key);
    CHECK(f.ipvs->log == std::vector<std::string>{"zero FWM 100"});
    f.ipvs->log.clear();
    CHECK_THROWS_WITH(f.plane.zero_service_counters(stranger.key),
                      "TCP 10.9.9.9:22: No such service");
    CHECK(f.ipvs->log.empty());
}

TEST_CASE("a changed scheduler is one edit, undone with the old settings on failure") {
    Fixture f;
    f.add_seed();
    VirtualService after = seed_service();
    after.scheduler = "sh";
    RealServer extra = real("192.168.239.140", 3);
    ModelDiff d;
    d.changed_services = {{seed_service(), after}};
    d.added_reals = {{after.key, extra}};
    f.ipvs->log.clear();
    f.ipvs->fail_at = 5;  // 3 commands for add_seed, then edit, then the real
    CHECK_THROWS_AS(f.plane.apply(d), DataplaneError);
    CHECK(f.ipvs->log == std::vector<std::string>{"edit FWM 100 sh", "add 192.168.239.140:0 w3", "edit FWM 100 wrr"});
    CHECK(f.ipvs->kernel.at(after.key).scheduler == "wrr");
}

TEST_CASE("an adopted model is owned without IPVS commands and can then be removed") {
    Fixture f;
    f.ipvs->kernel[seed_service().key] = seed_service();  // left by an earlier run
    f.plane.adopt(with({seed_service()}));
    CHECK(f.ipvs->log.empty());
    REQUIRE(f.rules->installs.size() == 1);  // its mark rules are taken over
    f.plane.clear();
    CHECK(f.ipvs->log == std::vector<std::string>{"delete FWM 100"});
    CHECK(f.ipvs->kernel.empty());
    CHECK(f.rules->installs.back().empty());
}

TEST_CASE("connections come from the kernel's connection table file") {
    std::string path = "/tmp/xvs-ipvs-conn-" + std::to_string(getpid());
    struct Cleanup {
        std::string p;
        ~Cleanup() { std::remove(p.c_str()); }
    } cleanup{path};
    std::ofstream(path) << "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n"
                           "TCP C0A8000A 9C40 C0A80069 0050 C0A8EF81 0050 ESTABLISHED     899\n";
    IpvsDataplane plane(std::make_unique<FakeIpvs>(), std::make_unique<FakeRules>(), path);
    auto conns = plane.connections();
    REQUIRE(conns.size() == 1);
    CHECK(conns[0].client == ip("192.168.0.10"));
    CHECK(conns[0].real_port == 80);
}

TEST_CASE("IPVS's switches are its own sysctls, written in the plane's namespace, a refusal is an error") {
    testing::TempDir dir("ipvs-sysctl");
    IpvsDataplane plane(std::make_unique<FakeIpvs>(), std::make_unique<FakeRules>(), "/nonexistent/ip_vs_conn",
                        dir.path.string());
    auto value_of = [&](const char* name) {
        std::ifstream in(dir.file(name));
        std::string value;
        std::getline(in, value);
        return value;
    };
    plane.set_behaviour(IpvsBehaviour{.expire_quiescent_template = true});
    CHECK(value_of("expire_quiescent_template") == "1");
    CHECK(value_of("expire_nodest_conn") == "0");
    CHECK(value_of("sloppy_tcp") == "0");
    CHECK(value_of("conn_reuse_mode") == "1");
    plane.set_behaviour(IpvsBehaviour{.expire_nodest_conn = true, .sloppy_tcp = true, .conn_reuse_mode = 3});
    CHECK(value_of("expire_quiescent_template") == "0");
    CHECK(value_of("expire_nodest_conn") == "1");
    CHECK(value_of("sloppy_tcp") == "1");
    CHECK(value_of("conn_reuse_mode") == "3");
    IpvsDataplane lost(std::make_unique<FakeIpvs>(), std::make_unique<FakeRules>(), "/nonexistent/ip_vs_conn",
                       dir.file("missing"));
    CHECK_THROWS_WITH(lost.set_behaviour(IpvsBehaviour{}),
                      "cannot write " + dir.file("missing") + "/expire_nodest_conn: No such file or directory");
}
