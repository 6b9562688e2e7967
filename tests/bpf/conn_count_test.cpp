// The program's per-real connection counts (struct xvs_real_conns, abi.h):
// ActiveConn, InActConn and PersistConn as IPVS means them, through every
// state change the program sees, for a reused real id, and with two CPUs
// creating and closing flows at once.
#include <bpf/bpf.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <sched.h>

#include <catch2/catch.hpp>
#include <map>
#include <thread>
#include <vector>

#include "bpf/xdp_fixture.h"

using namespace xvs;
using namespace xvs::test;

namespace {

const RealKey real2{ip("10.1.0.2"), 80};
const RealKey real3{ip("10.1.0.3"), 80};

VirtualService service(std::vector<RealServer> reals, const std::string& sched = "rr") {
    return make_service(Protocol::tcp, "10.0.0.100", 80, reals, sched);
}

xvs_real_conns counts(const XdpFixture& f, const ServiceKey& svc, const RealKey& real) {
    auto id = f.dp.real_id(svc, real);
    REQUIRE(id);
    xvs_real_conns n{};
    REQUIRE(bpf_map_lookup_elem(f.dp.map_fd("xvs_real_conns"), &*id, &n) == 0);
    return n;
}

}  // namespace

TEST_CASE("a TCP flow is counted inactive on SYN, active once established, inactive on FIN and RST") {
    XdpFixture f;
    auto svc = service({make_real("10.1.0.2", 80, ForwardMethod::gate)});
    f.set(make_model({svc}));
    auto at = [&] { return counts(f, svc.key, real2); };

    REQUIRE(real_of(f.send(tcp_segment(30000, tcp_syn))) == 2);
    CHECK(at().active == 0);
    CHECK(at().inactive == 1);
    f.send(tcp_segment(30000, tcp_ack));
    CHECK(at().active == 1);
    CHECK(at().inactive == 0);
    f.send(tcp_segment(30000, tcp_ack | tcp_psh));  // same state: no change
    CHECK(at().active == 1);
    f.send(tcp_segment(30000, tcp_fin | tcp_ack));
    CHECK(at().active == 0);
    CHECK(at().inactive == 1);
    // A SYN reusing the ports after a FIN restarts the entry (conn_reuse_mode=1).
    f.send(tcp_segment(30000, tcp_syn));
    CHECK(at().inactive == 1);
    CHECK(f.entries("xvs_conns") == 1);
    f.send(tcp_segment(30000, tcp_rst));
    CHECK(at().active == 0);
    CHECK(at().inactive == 1);

    // A second flow, established; then both age out and are seen again.
    f.send(tcp_segment(30001, tcp_syn));
    f.send(tcp_segment(30001, tcp_ack));
    CHECK(at().active == 1);
    CHECK(at().inactive == 1);
    age_all<xvs_conn_key, xvs_conn>(f.dp.map_fd("xvs_conns"), XVS_TIMEOUT_TCP_ESTABLISHED + XVS_NS_PER_SEC);
    // The stale entry is deleted and uncounted; the ACK without an entry is
    // scheduled afresh (sloppy_tcp=1) and counted as established.
    f.dp.set_behaviour(IpvsBehaviour{.sloppy_tcp = true});
    f.send(tcp_segment(30001, tcp_ack));
    CHECK(at().active == 1);
    CHECK(at().inactive == 1);  // 30000 aged too, but no packet of it came
    f.send(tcp_segment(30000, tcp_syn));
    CHECK(at().inactive == 1);  // its stale entry went, its new SYN came
    CHECK(f.entries("xvs_conns") == 2);
}

TEST_CASE("UDP flows are inactive, one-packet scheduling counts none, templates are PersistConn") {
    XdpFixture f;
    auto udp = make_service(Protocol::udp, "10.0.0.100", 53, {make_real("10.1.0.2", 53, ForwardMethod::gate)});
    auto ops = make_service(Protocol::udp, "10.0.0.100", 54, {make_real("10.1.0.2", 54, ForwardMethod::gate)});
    ops.one_packet = true;
    auto web = service({make_real("10.1.0.2", 80, ForwardMethod::gate)});
    web.persistence = {300, 32};
    f.set(make_model({udp, ops, web}));

    PacketSpec d = client_packet("10.0.0.100", 53, 17);
    f.send(d);
    d.sport = 40001;
    f.send(d);
    f.send(d);
    CHECK(counts(f, udp.key, RealKey{ip("10.1.0.2"), 53}).inactive == 2);
    CHECK(counts(f, udp.key, RealKey{ip("10.1.0.2"), 53}).active == 0);

    PacketSpec o = client_packet("10.0.0.100", 54, 17);
    REQUIRE(real_of(f.send(o)) == 2);
    CHECK(counts(f, ops.key, RealKey{ip("10.1.0.2"), 54}).inactive == 0);

    // Two flows of one client share one template; another client has its own.
    f.send(tcp_segment(31000, tcp_syn));
    f.send(tcp_segment(31001, tcp_syn));
    f.send(tcp_segment(31000, tcp_syn, "10.0.0.3"));
    auto w = counts(f, web.key, real2);
    CHECK(w.persist == 2);
    CHECK(w.inactive == 3);
    // An expired template is deleted and uncounted when its client returns,
    // and the new one is counted.
    age_all<xvs_persist_key, xvs_persist>(f.dp.map_fd("xvs_persist"), 301 * XVS_NS_PER_SEC);
    f.send(tcp_segment(31002, tcp_syn));
    CHECK(counts(f, web.key, real2).persist == 2);
    CHECK(f.entries("xvs_persist") == 2);
}

TEST_CASE("a reused real id starts from zero and the old id's flows do not count against it") {
    // One id: the removed real's id is taken back at once for the next.
    XdpOptions options = test_options();
    options.max_reals = 1;
    XdpFixture f(options);
    auto one = service({make_real("10.1.0.2", 80, ForwardMethod::gate)});
    f.set(make_model({one}));
    f.send(tcp_segment(32000, tcp_syn));
    f.send(tcp_segment(32000, tcp_ack));
    auto old_id = f.dp.real_id(one.key, real2);
    REQUIRE(old_id);
    CHECK(counts(f, one.key, real2).active == 1);

    // 10.1.0.2 goes; then 10.1.0.3 comes and takes its id.
    f.set(make_model({service({})}));
    auto other = service({make_real("10.1.0.3", 80, ForwardMethod::gate)});
    f.set(make_model({other}));
    REQUIRE(f.dp.real_id(other.key, real3) == old_id);
    CHECK(counts(f, other.key, real3).active == 0);
    CHECK(counts(f, other.key, real3).inactive == 0);
    // The old flow's next packet finds its real gone: its entry is dropped
    // without touching the new real's counts, then it is scheduled anew.
    f.dp.set_behaviour(IpvsBehaviour{.sloppy_tcp = true});
    REQUIRE(real_of(f.send(tcp_segment(32000, tcp_ack))) == 3);
    CHECK(counts(f, other.key, real3).active == 1);
    CHECK(counts(f, other.key, real3).inactive == 0);
}

TEST_CASE("counts are exact with two CPUs creating, establishing and closing flows at once") {
    REQUIRE(std::thread::hardware_concurrency() >= 2);
    XdpOptions options = test_options();
    options.connection_table_size = 65536;
    XdpFixture f(options);
    auto svc = service({make_real("10.1.0.2", 80, ForwardMethod::gate), make_real("10.1.0.3", 80, ForwardMethod::gate)},
                       "wrr");
    f.set(make_model({svc}));

    // Each CPU opens 3,000 flows of its own ports; every flow is established,
    // every third one then finished and every fifth reset.
    constexpr int flows = 3000;
    auto work = [&](int cpu) {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        pthread_setaffinity_np(pthread_self(), sizeof one, &one);
        for (int i = 0; i < flows; ++i) {
            uint16_t port = uint16_t(1024 + cpu * flows + i);
            f.send(tcp_segment(port, tcp_syn));
            f.send(tcp_segment(port, tcp_ack));
            if (i % 3 == 0) f.send(tcp_segment(port, tcp_fin | tcp_ack));
            if (i % 5 == 0) f.send(tcp_segment(port, tcp_rst));
        }
    };
    std::thread a(work, 0), b(work, 1);
    a.join();
    b.join();

    // The truth: what the connection table holds, by real and state.
    std::map<uint32_t, std::pair<int64_t, int64_t>> truth;  // real id -> (active, inactive)
    int fd = f.dp.map_fd("xvs_conns");
    xvs_conn_key key{}, next{};
    const void* prev = nullptr;
    size_t entries = 0;
    while (bpf_map_get_next_key(fd, prev, &next) == 0) {
        xvs_conn c{};
        REQUIRE(bpf_map_lookup_elem(fd, &next, &c) == 0);
        (c.state == XVS_CONN_TCP_ESTABLISHED ? truth[c.real_id].first : truth[c.real_id].second)++;
        ++entries;
        key = next;
        prev = &key;
    }
    REQUIRE(entries == 2 * flows);  // nothing evicted: the counts must be exact
    int64_t active = 0, inactive = 0;
    for (const auto& rkey : {real2, real3}) {
        auto id = f.dp.real_id(svc.key, rkey);
        REQUIRE(id);
        auto n = counts(f, svc.key, rkey);
        CHECK(n.active == truth[*id].first);
        CHECK(n.inactive == truth[*id].second);
        active += n.active;
        inactive += n.inactive;
    }
    // i % 3 == 0 or i % 5 == 0 closes 1,400 of every 3,000.
    CHECK(inactive == 2 * 1400);
    CHECK(active == 2 * (flows - 1400));
}

TEST_CASE("the census deletes entries that went quiet and takes back what they counted") {
    XdpFixture f;
    auto svc = service({make_real("10.1.0.2", 80, ForwardMethod::gate)});
    svc.persistence = {300, 32};
    f.set(make_model({svc}));
    f.send(tcp_segment(33000, tcp_syn));
    f.send(tcp_segment(33000, tcp_ack));  // established
    f.send(tcp_segment(33001, tcp_syn));  // SYN_RECV
    f.send(tcp_segment(33002, tcp_syn, "10.0.0.3"));
    REQUIRE(counts(f, svc.key, real2).active == 1);
    REQUIRE(counts(f, svc.key, real2).inactive == 2);
    REQUIRE(counts(f, svc.key, real2).persist == 2);

    // Nothing has expired: the census deletes nothing.
    f.dp.census_now();
    CHECK(f.entries("xvs_conns") == 3);
    CHECK(f.entries("xvs_persist") == 2);

    // Every entry and template goes quiet for longer than any timeout; then
    // one client comes back on a new port.
    age_all<xvs_conn_key, xvs_conn>(f.dp.map_fd("xvs_conns"), XVS_TIMEOUT_TCP_ESTABLISHED + XVS_NS_PER_SEC);
    age_all<xvs_persist_key, xvs_persist>(f.dp.map_fd("xvs_persist"), 301 * XVS_NS_PER_SEC);
    f.send(tcp_segment(33010, tcp_syn, "10.0.0.3"));
    CHECK(counts(f, svc.key, real2).persist == 2);  // its template was replaced
    f.dp.census_now();
    CHECK(f.entries("xvs_conns") == 1);  // only the new flow
    CHECK(f.entries("xvs_persist") == 1);
    auto n = counts(f, svc.key, real2);
    CHECK(n.active == 0);
    CHECK(n.inactive == 1);
    CHECK(n.persist == 1);
}

TEST_CASE("a swept entry of a removed real does not touch the counts of the real that took its id") {
    XdpOptions options = test_options();
    options.max_reals = 1;
    XdpFixture f(options);
    auto one = service({make_real("10.1.0.2", 80, ForwardMethod::gate)});
    f.set(make_model({one}));
    f.send(tcp_segment(34000, tcp_syn));
    auto old_id = f.dp.real_id(one.key, real2);
    f.set(make_model({service({})}));
    auto other = service({make_real("10.1.0.3", 80, ForwardMethod::gate)});
    f.set(make_model({other}));
    REQUIRE(f.dp.real_id(other.key, real3) == old_id);
    f.send(tcp_segment(34001, tcp_syn));
    REQUIRE(counts(f, other.key, real3).inactive == 1);

    age_all<xvs_conn_key, xvs_conn>(f.dp.map_fd("xvs_conns"), XVS_TIMEOUT_TCP_SYN + XVS_NS_PER_SEC);
    f.dp.census_now();
    CHECK(f.entries("xvs_conns") == 0);
    // 34001's entry was the new real's and is taken back; 34000's was not.
    CHECK(counts(f, other.key, real3).inactive == 0);
}

namespace {

// What xvs_conns holds, by real id: (active, inactive), and the ports of the
// flows in it.
struct TableTruth {
    std::map<uint32_t, std::pair<int64_t, int64_t>> by_real;
    std::vector<uint16_t> ports;
};

TableTruth table_truth(const XdpFixture& f) {
    TableTruth t;
    int fd = f.dp.map_fd("xvs_conns");
    xvs_conn_key key{}, next{};
    const void* prev = nullptr;
    while (bpf_map_get_next_key(fd, prev, &next) == 0) {
        xvs_conn c{};
        if (bpf_map_lookup_elem(fd, &next, &c) == 0) {
            auto& n = t.by_real[c.real_id];
            (c.state == XVS_CONN_TCP_ESTABLISHED ? n.first : n.second)++;
            t.ports.push_back(ntohs(next.sport));
        }
        key = next;
        prev = &key;
    }
    return t;
}

// Opens `flows` established flows from ports 1024.. on the calling CPU.
void open_established(XdpFixture& f, int flows) {
    for (int i = 0; i < flows; ++i) {
        f.send(tcp_segment(uint16_t(1024 + i), tcp_syn));
        f.send(tcp_segment(uint16_t(1024 + i), tcp_ack));
    }
}

}  // namespace

TEST_CASE("the census takes back what the LRU evicted unseen, exactly when nothing moves under it") {
    PinnedToOneCpu pinned;  // one CPU's LRU lists: evictions without surprises
    XdpOptions options = test_options();
    options.connection_table_size = 512;
    options.persistence_table_size = 128;
    XdpFixture f(options);
    auto svc = service({make_real("10.1.0.2", 80, ForwardMethod::gate)});
    svc.persistence = {300, 32};
    f.set(make_model({svc}));
    // 2,000 flows from 400 clients into a table of 512 and 128 templates.
    for (int i = 0; i < 2000; ++i) {
        const std::string client = "10.0." + std::to_string(1 + i % 400 / 200) + "." + std::to_string(1 + i % 200);
        f.send(tcp_segment(uint16_t(2000 + i), tcp_syn, client));
        f.send(tcp_segment(uint16_t(2000 + i), tcp_ack, client));
    }
    const auto before = counts(f, svc.key, real2);
    const size_t flows = f.entries("xvs_conns"), templates = f.entries("xvs_persist");
    INFO("counted " << before.active << " flows, " << before.persist << " templates; tables hold " << flows
                    << " and " << templates);
    REQUIRE(before.active > int64_t(flows));  // the evictions went uncounted
    REQUIRE(before.persist > int64_t(templates));

    f.dp.census_now();
    const auto after = counts(f, svc.key, real2);
    CHECK(after.active == int64_t(f.entries("xvs_conns")));
    CHECK(after.inactive == 0);
    CHECK(after.persist == int64_t(f.entries("xvs_persist")));
    REQUIRE(f.dp.last_census());
    CHECK(f.dp.last_census()->corrected ==
          uint64_t(before.active - after.active) + uint64_t(before.persist - after.persist));
    // The listing agrees: status() reads the program's counts.
    auto status = f.dp.status();
    REQUIRE(status.size() == 1);
    CHECK(status[0].reals.at(0).active_connections == f.entries("xvs_conns"));
    CHECK(status[0].reals.at(0).persistent_connections == f.entries("xvs_persist"));
    // Nothing moved: a second census changes nothing.
    f.dp.census_now();
    CHECK(f.dp.last_census()->corrected == 0);
}

TEST_CASE("flows closing while the census walks leave a count off by at most twice the changes made meanwhile, never below the truth") {
    PinnedToOneCpu pinned;
    XdpOptions options = test_options();
    options.connection_table_size = 3 * census_chunk;  // a walk of several chunks
    XdpFixture f(options);
    auto svc = service({make_real("10.1.0.2", 80, ForwardMethod::gate), make_real("10.1.0.3", 80, ForwardMethod::gate)});
    f.set(make_model({svc}));
    open_established(f, 4 * census_chunk);  // a quarter of them evicted unseen
    TableTruth start = table_truth(f);
    REQUIRE(start.ports.size() < size_t(4 * census_chunk));

    auto changes = [&](const RealKey& r) { return counts(f, svc.key, r).changes; };
    const uint64_t changes2 = changes(real2), changes3 = changes(real3);
    // After the first chunk, 300 flows the walk may or may not have read yet
    // are reset (ESTABLISHED -> CLOSE: active to inactive).
    bool reset = false;
    f.dp.census_now([&] {
        if (!reset)
            for (size_t i = 0; i < 300; ++i) f.send(tcp_segment(start.ports[i * start.ports.size() / 300], tcp_rst));
        reset = true;
        return true;
    });
    REQUIRE(reset);
    const uint64_t churn2 = changes(real2) - changes2, churn3 = changes(real3) - changes3;
    CHECK(churn2 + churn3 == 2 * 300);  // one decrement and one increment per reset
    CHECK(f.dp.last_census()->moved == churn2 + churn3);

    TableTruth end = table_truth(f);
    for (const auto& [rkey, churn] : {std::pair{real2, churn2}, std::pair{real3, churn3}}) {
        auto id = f.dp.real_id(svc.key, rkey);
        REQUIRE(id);
        const auto n = counts(f, svc.key, rkey);
        const auto [active, inactive] = end.by_real[*id];
        INFO(rkey.to_string() << ": counted " << n.active << "/" << n.inactive << ", table " << active << "/"
                              << inactive << ", changes during the walk " << churn);
        // Every drift here is an eviction (too high): never corrected below.
        CHECK(n.active >= active);
        CHECK(n.inactive >= inactive);
        CHECK(n.active - active <= 2 * int64_t(churn));
        CHECK(n.inactive - inactive <= 2 * int64_t(churn));
    }
    // Quiet again: the next census makes them exact.
    f.dp.census_now();
    end = table_truth(f);
    for (const auto& rkey : {real2, real3}) {
        auto id = f.dp.real_id(svc.key, rkey);
        const auto n = counts(f, svc.key, rkey);
        CHECK(n.active == end.by_real[*id].first);
        CHECK(n.inactive == end.by_real[*id].second);
    }
}

TEST_CASE("a census leaves counts the program kept right untouched, even with flows changing under its walk") {
    PinnedToOneCpu pinned;
    XdpOptions options = test_options();
    options.connection_table_size = 8 * census_chunk;  // room for everything: no eviction
    XdpFixture f(options);
    auto svc = service({make_real("10.1.0.2", 80, ForwardMethod::gate), make_real("10.1.0.3", 80, ForwardMethod::gate)});
    f.set(make_model({svc}));
    open_established(f, 3 * census_chunk);
    TableTruth start = table_truth(f);
    REQUIRE(start.ports.size() == size_t(3 * census_chunk));
    // Between chunks: 300 flows reset, 200 new ones opened.
    int chunk = 0;
    f.dp.census_now([&] {
        if (chunk++ == 0) {
            for (size_t i = 0; i < 300; ++i) f.send(tcp_segment(start.ports[i * 40], tcp_rst));
            for (int i = 0; i < 200; ++i) f.send(tcp_segment(uint16_t(40000 + i), tcp_syn));
        }
        return true;
    });
    REQUIRE(chunk > 1);
    CHECK(f.dp.last_census()->moved > 0);
    CHECK(f.dp.last_census()->corrected == 0);
    TableTruth end = table_truth(f);
    for (const auto& rkey : {real2, real3}) {
        auto id = f.dp.real_id(svc.key, rkey);
        const auto n = counts(f, svc.key, rkey);
        CHECK(n.active == end.by_real[*id].first);
        CHECK(n.inactive == end.by_real[*id].second);
    }
}
