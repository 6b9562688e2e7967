#include <catch2/catch.hpp>

#include "daemon/imperative.h"

using namespace xvs;

namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }
ServiceKey tcp(const char* vip, uint16_t port) {
    return ServiceKey::tcp_udp(Protocol::tcp, ip(vip), port);
}
RealServer real(const char* addr, uint16_t port, uint32_t weight,
                ForwardMethod m = ForwardMethod::masq) {
    RealServer r;
    r.key = {ip(addr), port};
    r.method = m;
    r.weight = r.configured_weight = weight;
    return r;
}
control::ServiceSettings sched(const char* name, uint32_t persistence = 0) {
    control::ServiceSettings s;
    s.scheduler = name;
    s.persistence.timeout = persistence;
    return s;
}

// The configuration's model: one service with two reals, as build_model makes it.
Model config_model() {
    Model m;
    VirtualService s;
    s.key = tcp("10.0.0.1", 80);
    s.scheduler = "wrr";
    s.reals[real("10.0.1.1", 80, 1).key] = real("10.0.1.1", 80, 1);
    s.reals[real("10.0.1.2", 80, 2).key] = real("10.0.1.2", 80, 2);
    m.services[s.key] = s;
    return m;
}

std::string refusal(const std::function<void()>& edit) {
    try {
        edit();
    } catch (const EditRefused& e) {
        return e.what();
    }
    return "accepted";
}

}  // namespace

TEST_CASE("no imperative change leaves the configuration's model as it is") {
    ImperativeChanges changes;
    CHECK(changes.empty());
    CHECK(changes.apply(config_model()) == config_model());
}

TEST_CASE("adding with -A puts a service without reals beside the configuration's") {
    ImperativeChanges changes;
    Model base = config_model();
    changes.add_service(base, tcp("10.0.0.2", 443), sched("rr", 360));
    Model m = changes.apply(base);
    REQUIRE(m.services.size() == 2);
    const VirtualService& added = m.services.at(tcp("10.0.0.2", 443));
    CHECK(added.scheduler == "rr");
    CHECK(added.persistence.timeout == 360);
    CHECK(added.reals.empty());
    CHECK(m.services.at(tcp("10.0.0.1", 80)) == base.services.at(tcp("10.0.0.1", 80)));
}

TEST_CASE("editing commands refuse with ipvsadm's texts") {
    ImperativeChanges changes;
    Model base = config_model();
    ServiceKey known = tcp("10.0.0.1", 80), unknown = tcp("10.0.0.9", 80);
    CHECK(refusal([&] { changes.add_service(base, known, sched("rr")); }) ==
          "Service already exists");
    CHECK(refusal([&] { changes.edit_service(base, unknown, sched("rr")); }) == "No such service");
    CHECK(refusal([&] { changes.delete_service(base, unknown); }) == "No such service");
    CHECK(refusal([&] { changes.add_real(base, unknown, real("10.0.1.3", 80, 1)); }) ==
          "Service not defined");
    CHECK(refusal([&] { changes.add_real(base, known, real("10.0.1.1", 80, 5)); }) ==
          "Destination already exists");
    CHECK(refusal([&] { changes.edit_real(base, known, real("10.0.1.9", 80, 1)); }) ==
          "No such destination");
    CHECK(refusal([&] { changes.edit_real(base, unknown, real("10.0.1.1", 80, 1)); }) ==
          "Service not defined");
    CHECK(refusal([&] { changes.delete_real(base, known, real("10.0.1.9", 80, 1).key); }) ==
          "No such destination");
    CHECK(changes.empty());  // a refused edit changes nothing
}

TEST_CASE("editing with -a, -e and -d changes reals of configured and added services") {
    ImperativeChanges changes;
    Model base = config_model();
    ServiceKey svc = tcp("10.0.0.1", 80);
    changes.add_real(base, svc, real("10.0.1.3", 8080, 4));
    changes.edit_real(base, svc, real("10.0.1.1", 80, 7, ForwardMethod::gate));
    changes.delete_real(base, svc, real("10.0.1.2", 80, 0).key);
    auto reals = changes.apply(base).services.at(svc).reals;
    REQUIRE(reals.size() == 2);
    CHECK(reals.at(real("10.0.1.3", 8080, 0).key).weight == 4);
    CHECK(reals.at(real("10.0.1.1", 80, 0).key).weight == 7);
    CHECK(reals.at(real("10.0.1.1", 80, 0).key).method == ForwardMethod::gate);
    // The deleted real can be added again.
    changes.add_real(base, svc, real("10.0.1.2", 80, 9));
    CHECK(changes.apply(base).services.at(svc).reals.at(real("10.0.1.2", 80, 0).key).weight == 9);
}

TEST_CASE("editing with -E replaces a service's settings and keeps its reals") {
    ImperativeChanges changes;
    Model base = config_model();
    ServiceKey svc = tcp("10.0.0.1", 80);
    changes.edit_service(base, svc, sched("sh", 600));
    Model m = changes.apply(base);
    const VirtualService& s = m.services.at(svc);
    CHECK(s.scheduler == "sh");
    CHECK(s.persistence.timeout == 600);
    CHECK(s.reals == base.services.at(svc).reals);
}

TEST_CASE("deleting with -D then adding with -A brings a configured service back without its configured reals") {
    ImperativeChanges changes;
    Model base = config_model();
    ServiceKey svc = tcp("10.0.0.1", 80);
    changes.add_real(base, svc, real("10.0.1.3", 80, 1));
    changes.delete_service(base, svc);
    CHECK(changes.apply(base).services.empty());
    CHECK(refusal([&] { changes.add_real(base, svc, real("10.0.1.3", 80, 1)); }) ==
          "Service not defined");
    changes.add_service(base, svc, sched("rr"));
    CHECK(changes.apply(base).services.at(svc).reals.empty());
}

TEST_CASE("clearing with -C empties the table until the file is read again, what xvsadm added since stays") {
    ImperativeChanges changes;
    Model base = config_model();
    base.services[tcp("10.0.0.9", 80)] = base.services.at(tcp("10.0.0.1", 80));
    base.services[tcp("10.0.0.9", 80)].key = tcp("10.0.0.9", 80);
    changes.edit_real(base, tcp("10.0.0.9", 80), real("10.0.1.1", 80, 7));
    changes.clear();
    CHECK(!changes.empty());
    CHECK(changes.apply(base).services.empty());
    changes.add_service(base, tcp("10.0.0.1", 80), sched("rr"));  // no longer exists
    CHECK(changes.apply(base).services.at(tcp("10.0.0.1", 80)).reals.empty());
    changes.file_reread();
    Model after = changes.apply(base);
    CHECK(after.services.at(tcp("10.0.0.1", 80)).reals.empty());  // xvsadm's -A, after the -C
    CHECK(after.services.at(tcp("10.0.0.9", 80)) == base.services.at(tcp("10.0.0.9", 80)));  // -C dropped the -e
}

TEST_CASE("the journal and the snapshot replay to the same edits") {
    Model base = config_model();
    ServiceKey svc = tcp("10.0.0.1", 80), other = tcp("10.0.0.2", 443);
    ImperativeChanges changes;
    std::vector<EditRecord> journal;
    auto take = [&] {
        for (auto& r : changes.take_journal()) journal.push_back(r);
    };
    changes.add_service(base, other, sched("rr", 300));
    take();
    changes.add_real(base, other, real("10.0.2.1", 443, 3, ForwardMethod::gate));
    changes.add_real(base, other, real("10.0.2.2", 443, 4, ForwardMethod::gate));
    take();
    changes.edit_real(base, svc, real("10.0.1.1", 80, 9));  // follows the file's checks
    changes.delete_real(base, svc, real("10.0.1.2", 80, 0).key);
    changes.edit_service(base, svc, sched("sh"));
    changes.delete_real(base, other, real("10.0.2.2", 443, 0).key);
    take();
    CHECK(changes.take_journal().empty());
    CHECK(journal.size() == 8);

    ImperativeChanges from_journal, from_snapshot;
    for (const auto& r : journal) from_journal.replay(r);
    for (const auto& r : changes.snapshot()) from_snapshot.replay(r);
    CHECK(from_journal.apply(base) == changes.apply(base));
    CHECK(from_snapshot.apply(base) == changes.apply(base));
    CHECK(from_snapshot.snapshot() == changes.snapshot());
    CHECK(from_journal.snapshot() == changes.snapshot());
    // Replaying is not a change: nothing to store again.
    CHECK(from_journal.take_journal().empty());

    // The -e keeps following health on the replayed edits too.
    Model quiesced = base;
    quiesced.services.at(svc).reals.at(real("10.0.1.1", 80, 0).key).weight = 0;
    CHECK(from_snapshot.apply(quiesced).services.at(svc).reals.at(real("10.0.1.1", 80, 0).key).weight == 0);

    // -C, then more: the journal replays to the same again.
    changes.clear();
    changes.add_service(base, other, sched("wlc"));
    for (auto& r : changes.take_journal()) from_journal.replay(r);
    changes.file_reread();
    CHECK(from_journal.apply(base) == changes.apply(base));
}

TEST_CASE("deleting what xvsadm added leaves nothing to store, deleting the file's is kept") {
    Model base = config_model();
    ServiceKey svc = tcp("10.0.0.1", 80), mine = tcp("10.0.0.2", 443);
    ImperativeChanges changes;
    changes.add_service(base, mine, sched("rr"));
    changes.add_real(base, mine, real("10.0.2.1", 443, 1));
    changes.add_real(base, svc, real("10.0.1.9", 80, 1));
    changes.delete_real(base, mine, real("10.0.2.1", 443, 0).key);
    changes.delete_real(base, svc, real("10.0.1.9", 80, 0).key);
    changes.delete_service(base, mine);
    CHECK(changes.empty());
    CHECK(changes.snapshot().empty());
    changes.delete_real(base, svc, real("10.0.1.1", 80, 0).key);
    changes.delete_service(base, svc);
    CHECK(changes.snapshot().size() == 1);  // the file's service stays deleted
    CHECK(changes.apply(base).services.empty());
}

TEST_CASE("prune drops the edits of services the file no longer has, never xvsadm's own") {
    Model base = config_model();
    ServiceKey svc = tcp("10.0.0.1", 80), mine = tcp("10.0.0.2", 443);
    ImperativeChanges changes;
    changes.edit_service(base, svc, sched("sh"));
    changes.edit_real(base, svc, real("10.0.1.1", 80, 9));
    changes.add_service(base, mine, sched("rr"));
    changes.add_real(base, mine, real("10.0.2.1", 443, 1));
    changes.drop_journal();
    CHECK(changes.prune([&](const ServiceKey& k) { return k == svc; }).empty());
    auto dropped = changes.prune([](const ServiceKey&) { return false; });
    CHECK(dropped == std::vector<ServiceKey>{svc});
    CHECK(changes.take_journal().size() == 2);  // the service edit and the real edits
    CHECK(changes.apply(Model{}).services.at(mine).reals.size() == 1);
    CHECK(changes.apply(base).services.at(svc) == base.services.at(svc));
}

TEST_CASE("an edited configured real keeps following health results") {
    ImperativeChanges changes;
    Model base = config_model();
    ServiceKey svc = tcp("10.0.0.1", 80);
    RealKey r1 = real("10.0.1.1", 80, 0).key;
    changes.edit_real(base, svc, real("10.0.1.1", 80, 5));
    CHECK(changes.apply(base).services.at(svc).reals.at(r1).weight == 5);

    Model quiesced = base;  // health: down, quiescent=yes
    quiesced.services.at(svc).reals.at(r1).weight = 0;
    CHECK(changes.apply(quiesced).services.at(svc).reals.at(r1).weight == 0);

    Model removed = base;  // health: down, quiescent=no
    removed.services.at(svc).reals.erase(r1);
    CHECK(changes.apply(removed).services.at(svc).reals.count(r1) == 0);
}

TEST_CASE("an added real stays as written whatever the configuration's health says") {
    ImperativeChanges changes;
    Model removed = config_model();
    ServiceKey svc = tcp("10.0.0.1", 80);
    RealKey r1 = real("10.0.1.1", 80, 0).key;
    removed.services.at(svc).reals.erase(r1);  // down, quiescent=no
    changes.add_real(removed, svc, real("10.0.1.1", 80, 3));
    Model quiesced = config_model();
    quiesced.services.at(svc).reals.at(r1).weight = 0;
    CHECK(changes.apply(quiesced).services.at(svc).reals.at(r1).weight == 3);
}

TEST_CASE("a persistence engine other than sip, or one without persistence, is refused as IPVS refuses it") {
    ImperativeChanges changes;
    Model base = config_model();
    ServiceKey key = ServiceKey::tcp_udp(Protocol::udp, ip("10.0.0.5"), 5060);
    auto with_pe = [](const char* engine, uint32_t persistence) {
        control::ServiceSettings s = sched("rr", persistence);
        s.persistence.engine = engine;
        return s;
    };
    CHECK(refusal([&] { changes.add_service(nullptr, key, with_pe("rtsp", 60)); }) ==
          "Scheduler or persistence engine not found");
    CHECK(refusal([&] { changes.add_service(nullptr, key, with_pe("sip", 0)); }) ==
          "Persistence engine sip needs a persistent service (-p)");
    CHECK(changes.apply(base) == base);
    changes.add_service(nullptr, key, with_pe("sip", 60));
    Model after = changes.apply(base);
    CHECK(after.services.at(key).persistence.engine == "sip");
    CHECK(refusal([&] { changes.edit_service(nullptr, key, with_pe("x", 60)); }) ==
          "Scheduler or persistence engine not found");
    CHECK(changes.apply(base).services.at(key).persistence.engine == "sip");
}
