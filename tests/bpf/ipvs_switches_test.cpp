// IPVS's behaviour switches on the XDP plane (xvs.cf's expire_nodest_conn=,
// sloppy_tcp=, conn_reuse_mode=; IpvsBehaviour): each at the kernel's
// default and set, through the program, as ip_vs_in decides.
#include <bpf/bpf.h>

#include <catch2/catch.hpp>

#include "bpf/pinned_cpu.h"
#include "bpf/xdp_fixture.h"

using namespace xvs;
using namespace xvs::test;

namespace {

VirtualService web(std::vector<RealServer> reals, const std::string& sched = "rr") {
    return make_service(Protocol::tcp, "10.0.0.100", 80, std::move(reals), sched);
}

VirtualService two_reals(uint32_t w2 = 1, uint32_t w3 = 1) {
    return web({make_real("10.1.0.2", 80, ForwardMethod::gate, w2),
                make_real("10.1.0.3", 80, ForwardMethod::gate, w3)});
}

// The real a flow started by SYN then ACK lands on.
int open_flow(XdpFixture& f, uint16_t sport) {
    int real = real_of(f.send(tcp_segment(sport, tcp_syn)));
    REQUIRE(real != 0);
    REQUIRE(real_of(f.send(tcp_segment(sport, tcp_ack))) == real);
    return real;
}

}  // namespace

TEST_CASE("without sloppy_tcp only a SYN starts a flow: other segments and RSTs go to the stack") {
    PinnedToOneCpu pin;
    XdpFixture f;
    f.set(make_model({two_reals()}));
    XdpRun ack = f.send(tcp_segment(3000, tcp_ack));
    CHECK(ack.action == XDP_PASS);
    CHECK(real_of(ack) == 0);
    CHECK(f.send(tcp_segment(3001, tcp_rst)).action == XDP_PASS);
    CHECK(f.send(tcp_segment(3002, tcp_fin | tcp_ack)).action == XDP_PASS);
    CHECK(f.stat(XVS_STAT_PASS_NOT_SYN) == 3);
    CHECK(f.entries("xvs_conns") == 0);
    CHECK(real_of(f.send(tcp_segment(3000, tcp_syn))) != 0);
    CHECK(f.entries("xvs_conns") == 1);

    // sloppy_tcp=1: a mid-stream segment is scheduled too (a flow that moved
    // here from another director), a RST still is not.
    f.dp.set_behaviour(IpvsBehaviour{.sloppy_tcp = true});
    CHECK(real_of(f.send(tcp_segment(3003, tcp_ack))) != 0);
    CHECK(f.send(tcp_segment(3004, tcp_rst)).action == XDP_PASS);
    CHECK(f.stat(XVS_STAT_PASS_NOT_SYN) == 4);
    CHECK(f.entries("xvs_conns") == 2);
}

TEST_CASE("conn_reuse_mode decides whether a SYN reusing a closed flow's ports is scheduled afresh") {
    PinnedToOneCpu pin;
    XdpFixture f;
    f.set(make_model({two_reals()}));
    auto closed_with = [&](uint16_t sport, uint8_t last) {
        int real = open_flow(f, sport);
        REQUIRE(real_of(f.send(tcp_segment(sport, last))) == real);
        return real;
    };
    SECTION("1 (the default): after a RST yes, after a FIN no") {
        int reset = closed_with(4000, tcp_rst | tcp_ack);
        // rr: the other real takes the new connection.
        CHECK(real_of(f.send(tcp_segment(4000, tcp_syn))) == 5 - reset);
        int finished = closed_with(4001, tcp_fin | tcp_ack);
        CHECK(real_of(f.send(tcp_segment(4001, tcp_syn))) == finished);
    }
    SECTION("0: never, the connection restarts on its real") {
        f.dp.set_behaviour(IpvsBehaviour{.conn_reuse_mode = 0});
        int reset = closed_with(4002, tcp_rst | tcp_ack);
        CHECK(real_of(f.send(tcp_segment(4002, tcp_syn))) == reset);
        // And the restarted flow is a flow again: its ACK keeps the real.
        CHECK(real_of(f.send(tcp_segment(4002, tcp_ack))) == reset);
    }
    SECTION("2: after a FIN (the client's side is all this plane sees), not after a RST") {
        f.dp.set_behaviour(IpvsBehaviour{.conn_reuse_mode = 2});
        int finished = closed_with(4003, tcp_fin | tcp_ack);
        CHECK(real_of(f.send(tcp_segment(4003, tcp_syn))) == 5 - finished);
        int reset = closed_with(4004, tcp_rst | tcp_ack);
        CHECK(real_of(f.send(tcp_segment(4004, tcp_syn))) == reset);
    }
    SECTION("3: after either") {
        f.dp.set_behaviour(IpvsBehaviour{.conn_reuse_mode = 3});
        int finished = closed_with(4005, tcp_fin | tcp_ack);
        CHECK(real_of(f.send(tcp_segment(4005, tcp_syn))) == 5 - finished);
        int reset = closed_with(4006, tcp_rst | tcp_ack);
        CHECK(real_of(f.send(tcp_segment(4006, tcp_syn))) == 5 - reset);
    }
}

TEST_CASE("a flow of a persistent service is never rescheduled on port reuse, as IPVS leaves templated flows") {
    PinnedToOneCpu pin;
    XdpFixture f;
    auto svc = two_reals();
    svc.persistence = {300, 32};
    f.set(make_model({svc}));
    f.dp.set_behaviour(IpvsBehaviour{.conn_reuse_mode = 3});
    int real = open_flow(f, 4100);
    REQUIRE(real_of(f.send(tcp_segment(4100, tcp_rst | tcp_ack))) == real);
    // Removing the template shows that the flow entry, not the template,
    // kept the real.
    int persist = f.dp.map_fd("xvs_persist");
    xvs_persist_key key{};
    REQUIRE(bpf_map_get_next_key(persist, nullptr, &key) == 0);
    REQUIRE(bpf_map_delete_elem(persist, &key) == 0);
    // Two other clients move rr on, so that rescheduling would pick the
    // other real.
    CHECK(real_of(f.send(tcp_segment(4101, tcp_syn, "10.0.0.9"))) == 5 - real);
    CHECK(real_of(f.send(tcp_segment(4102, tcp_syn, "10.0.0.10"))) == real);
    CHECK(real_of(f.send(tcp_segment(4100, tcp_syn))) == real);
}

TEST_CASE("a removed real's flows are dropped and kept, and continue when it is added back (expire_nodest_conn=0)") {
    PinnedToOneCpu pin;
    XdpFixture f;
    f.set(make_model({two_reals()}));
    int real = open_flow(f, 5000);
    const std::string kept = real == 2 ? "10.1.0.3" : "10.1.0.2";
    auto only_kept = web({make_real(kept, 80, ForwardMethod::gate)});
    f.set(make_model({only_kept}));
    XdpRun dropped = f.send(tcp_segment(5000, tcp_ack));
    CHECK(dropped.action == XDP_DROP);
    CHECK(f.stat(XVS_STAT_DROP_NODEST) == 1);
    CHECK(f.send(tcp_segment(5000, tcp_ack)).action == XDP_DROP);
    CHECK(f.entries("xvs_conns") == 1);
    // New connections go to the real that is left.
    CHECK(real_of(f.send(tcp_segment(5001, tcp_syn))) == 5 - real);

    // Back: the same id and generation, so the flow goes on where it was.
    f.set(make_model({two_reals()}));
    CHECK(real_of(f.send(tcp_segment(5000, tcp_ack))) == real);
    CHECK(f.stat(XVS_STAT_DROP_NODEST) == 2);
}

TEST_CASE("with expire_nodest_conn=1 a removed real's flow is deleted at its next packet, and a SYN leaves a quiescent real") {
    PinnedToOneCpu pin;
    XdpFixture f;
    f.set(make_model({two_reals()}));
    f.dp.set_behaviour(IpvsBehaviour{.expire_nodest_conn = true});
    int real = open_flow(f, 5100);
    const std::string kept = real == 2 ? "10.1.0.3" : "10.1.0.2";
    f.set(make_model({web({make_real(kept, 80, ForwardMethod::gate)})}));
    CHECK(f.send(tcp_segment(5100, tcp_ack)).action == XDP_DROP);  // dropped, as IPVS does
    CHECK(f.entries("xvs_conns") == 0);
    // The flow is gone: its next segment is no SYN, so it goes to the stack,
    // whose RST tells the client at once.
    CHECK(f.send(tcp_segment(5100, tcp_ack)).action == XDP_PASS);
    CHECK(f.stat(XVS_STAT_PASS_NOT_SYN) == 1);

    // A quiescent real keeps its flows, but a SYN on one (port reuse, or a
    // client retrying) is scheduled afresh.
    f.set(make_model({two_reals()}));
    int second = open_flow(f, 5101);
    f.set(make_model({two_reals(second == 2 ? 0 : 1, second == 3 ? 0 : 1)}));
    CHECK(real_of(f.send(tcp_segment(5101, tcp_ack))) == second);
    CHECK(real_of(f.send(tcp_segment(5101, tcp_syn))) == 5 - second);
    // Off, the SYN stays with the quiescent real.
    f.dp.set_behaviour(IpvsBehaviour{});
    int third = open_flow(f, 5102);
    REQUIRE(third == 5 - second);  // the only real with weight
    f.set(make_model({two_reals()}));
    f.set(make_model({two_reals(third == 2 ? 0 : 1, third == 3 ? 0 : 1)}));
    CHECK(real_of(f.send(tcp_segment(5102, tcp_syn))) == third);
}

TEST_CASE("a removed real's id is taken back only when no other id is left, and its old flows are then stale") {
    PinnedToOneCpu pin;
    XdpOptions options = test_options();
    options.max_reals = 2;
    XdpFixture f(options);
    f.set(make_model({two_reals()}));
    int real = open_flow(f, 5200);
    const std::string gone = real == 2 ? "10.1.0.2" : "10.1.0.3";
    const std::string kept = real == 2 ? "10.1.0.3" : "10.1.0.2";
    auto key = f.model.services.begin()->first;
    auto gone_id = f.dp.real_id(key, RealKey{ip(gone), 80});
    REQUIRE(gone_id);
    f.set(make_model({web({make_real(kept, 80, ForwardMethod::gate)})}));
    // The table is full (2 ids): a third real takes the removed one's id.
    f.set(make_model({web({make_real(kept, 80, ForwardMethod::gate),
                           make_real("10.1.0.4", 80, ForwardMethod::gate)})}));
    CHECK(f.dp.real_id(key, RealKey{ip("10.1.0.4"), 80}) == gone_id);
    // The old flow is stale, not dropped: a SYN of its ports is scheduled.
    CHECK(f.send(tcp_segment(5200, tcp_ack)).action == XDP_PASS);
    CHECK(f.stat(XVS_STAT_DROP_NODEST) == 0);
    CHECK(real_of(f.send(tcp_segment(5200, tcp_syn))) != 0);
}
