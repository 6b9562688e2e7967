// Later fragments that arrive before their datagram's first: held by the
// program, taken back once the first fragment has decided, and forwarded
// like in-order ones when run through the program again (bpf/lib/frag.h,
// src/dataplane/xdp/held_fragments.h).
#include <arpa/inet.h>
#include <bpf/libbpf.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "bpf/xdp_fixture.h"

using namespace xvs;
using namespace xvs::test;

namespace {

// A 108-byte UDP datagram (8 header + 100 payload) in three fragments.
struct Piece {
    uint16_t offset, length;
    bool more;
};
constexpr Piece pieces[] = {{0, 48, true}, {48, 48, true}, {96, 12, false}};

const char* vip_of(bool v6) { return v6 ? "fd00::100" : "10.0.0.100"; }
std::string real_addr(bool v6, int n) { return (v6 ? "fd00:1::" : "10.1.0.") + std::to_string(n); }

// Counts the notifications on xvs_frag_ready.
struct ReadyRing {
    explicit ReadyRing(int fd) : ring(ring_buffer__new(fd, on_sample, &samples, nullptr)) {
        REQUIRE(ring);
    }
    ~ReadyRing() { ring_buffer__free(ring); }
    int consume() {
        ring_buffer__consume(ring);
        return samples;
    }
    static int on_sample(void* ctx, void*, size_t size) {
        if (size == sizeof(xvs_frag_key)) ++*static_cast<int*>(ctx);
        return 0;
    }
    int samples = 0;
    ring_buffer* ring;
};

// Sends the later fragments (last first), then the first; returns the first's run.
XdpRun send_reversed(XdpFixture& f, bool v6, std::vector<std::vector<uint8_t>>& later_frames) {
    for (int i = 2; i >= 1; --i) {
        auto in = build_packet(
            udp_fragment(vip_of(v6), pieces[i].offset, pieces[i].length, pieces[i].more));
        auto out = run_xdp(f.dp.program_fd(), in, f.net.client_ifindex);
        CHECK(out.action == XDP_DROP);  // held, not passed to the stack
        later_frames.push_back(in);
    }
    CHECK(f.stat(XVS_STAT_FRAG_HELD) == 2);
    CHECK(f.stat(XVS_STAT_FRAG_PASS) == 0);
    CHECK(f.dp.held_fragments().take_decided().empty());  // no decision yet
    CHECK(f.dp.held_fragments().waiting() == 2);
    return f.send(udp_fragment(vip_of(v6), 0, 48, true));
}

// The held frames, taken back and run through the program as xvsd replays
// them (here without live frames, to see what the program makes of them).
std::vector<std::pair<std::vector<uint8_t>, XdpRun>> replay(XdpFixture& f) {
    std::vector<std::pair<std::vector<uint8_t>, XdpRun>> runs;
    for (const auto& frame : f.dp.held_fragments().take_decided()) {
        CHECK(frame.ifindex == uint32_t(f.net.client_ifindex));
        runs.emplace_back(frame.bytes, run_xdp(f.dp.program_fd(), frame.bytes, int(frame.ifindex)));
    }
    return runs;
}

}  // namespace

TEST_CASE("fragments in reverse order all reach the first fragment's DR real, bytes unchanged") {
    for (bool v6 : {false, true}) {
        DYNAMIC_SECTION((v6 ? "IPv6" : "IPv4")) {
            XdpFixture f;
            f.set(
                make_model({make_service(Protocol::udp, vip_of(v6), 53,
                                         {make_real(real_addr(v6, 2), 53, ForwardMethod::gate),
                                          make_real(real_addr(v6, 3), 53, ForwardMethod::gate)})}));
            ReadyRing ready(f.dp.map_fd("xvs_frag_ready"));
            std::vector<std::vector<uint8_t>> later;
            auto first = send_reversed(f, v6, later);
            REQUIRE(first.action == XDP_REDIRECT);
            int real = real_of(first);
            REQUIRE(real != 0);
            CHECK(ready.consume() == 1);  // the first fragment told xvsd

            auto runs = replay(f);
            REQUIRE(runs.size() == 2);
            for (const auto& [in, out] : runs) {
                CHECK((in == later[0] || in == later[1]));
                CHECK(out.action == XDP_REDIRECT);
                CHECK(real_of(out) == real);
                CHECK(std::equal(f.net.real_if_mac.begin(), f.net.real_if_mac.end(),
                                 out.frame.begin() + 6));
                CHECK(std::equal(in.begin() + 12, in.end(), out.frame.begin() + 12));
            }
            CHECK(f.dp.held_fragments().waiting() == 0);
            CHECK(f.dp.held_fragments().take_decided().empty());  // each frame once
            CHECK(f.dp.status().at(0).counters.packets_in == 3);
            CHECK(f.stat(XVS_STAT_FRAG_HELD) == 2);
        }
    }
}

TEST_CASE(
    "fragments in reverse order through NAT: every one to the real, later ones' L4 untouched") {
    for (bool v6 : {false, true}) {
        DYNAMIC_SECTION((v6 ? "IPv6" : "IPv4")) {
            XdpFixture f;
            f.set(make_model(
                {make_service(Protocol::udp, vip_of(v6), 53,
                              {make_real(real_addr(v6, 2), 5353, ForwardMethod::masq)})}));
            std::vector<std::vector<uint8_t>> later;
            auto first = send_reversed(f, v6, later);
            REQUIRE(first.action == XDP_REDIRECT);
            auto parsed_first = parse_frame(first.frame);
            REQUIRE(parsed_first->ip);
            CHECK(parsed_first->ip->dst == ip(real_addr(v6, 2)));
            CHECK(parsed_first->ip->dport == 5353);

            auto runs = replay(f);
            REQUIRE(runs.size() == 2);
            size_t ip_header = v6 ? 40 : 20;
            for (const auto& [in, out] : runs) {
                REQUIRE(out.action == XDP_REDIRECT);
                CHECK(real_of(out) == 2);
                auto parsed = parse_frame(out.frame);
                REQUIRE(parsed->ip);
                CHECK(parsed->ip->dst == ip(real_addr(v6, 2)));
                CHECK(parsed->ip->src == ip(v6 ? "fd00::2" : "10.0.0.2"));
                if (!v6) CHECK(parsed->ip->header_checksum_ok);
                // Past the IP header (the IPv6 fragment header included) nothing changed.
                REQUIRE(out.frame.size() == in.size());
                CHECK(std::equal(in.begin() + 14 + ip_header, in.end(),
                                 out.frame.begin() + 14 + ip_header));
            }
        }
    }
}

TEST_CASE("a held fragment follows a first fragment that no service takes to the stack") {
    XdpFixture f;
    f.set(make_model({make_service(Protocol::udp, "10.0.0.100", 53,
                                   {make_real("10.1.0.2", 53, ForwardMethod::gate)})}));
    auto held = build_packet(udp_fragment("10.0.0.100", 96, 12, false, 0x77, 100, 9999));
    CHECK(run_xdp(f.dp.program_fd(), held, f.net.client_ifindex).action == XDP_DROP);
    CHECK(f.send(udp_fragment("10.0.0.100", 0, 48, true, 0x77, 100, 9999)).action == XDP_PASS);
    auto runs = replay(f);
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].first == held);
    CHECK(runs[0].second.action == XDP_PASS);
    CHECK(runs[0].second.frame == held);
    // In order after the first, straight to the stack.
    auto in = build_packet(udp_fragment("10.0.0.100", 48, 48, true, 0x77, 100, 9999));
    CHECK(run_xdp(f.dp.program_fd(), in, f.net.client_ifindex).action == XDP_PASS);
    CHECK(f.stat(XVS_STAT_FRAG_PASS) == 2);
}

TEST_CASE("a later fragment of another protocol than TCP and UDP passes to the stack") {
    XdpFixture f;
    f.set(make_model({make_service(Protocol::udp, "fd00::100", 53,
                                   {make_real("fd00:1::2", 53, ForwardMethod::gate)})}));
    auto in = build_packet(udp_fragment("fd00::100", 48, 48, true));
    in.at(14 + 40) = 47;  // the fragment header's next header: GRE, which no service is for
    auto out = run_xdp(f.dp.program_fd(), in, f.net.client_ifindex);
    CHECK(out.action == XDP_PASS);
    CHECK(out.frame == in);
    CHECK(f.stat(XVS_STAT_FRAG_PASS) == 1);
    CHECK(f.stat(XVS_STAT_FRAG_HELD) == 0);
}

TEST_CASE("more early fragments than slots: the rest are dropped and counted") {
    XdpFixture f;
    f.set(make_model({make_service(Protocol::udp, "10.0.0.100", 53,
                                   {make_real("10.1.0.2", 53, ForwardMethod::gate)})}));
    const uint32_t sent = XVS_FRAG_HOLD_SLOTS + 64;
    for (uint32_t id = 1; id <= sent; ++id)
        CHECK(f.send(udp_fragment("10.0.0.100", 48, 48, true, id)).action == XDP_DROP);
    uint64_t held = f.stat(XVS_STAT_FRAG_HELD), full = f.stat(XVS_STAT_FRAG_HOLD_FULL);
    CHECK(held + full == sent);
    CHECK(held <= XVS_FRAG_HOLD_SLOTS);
    CHECK(full >= 64);
    CHECK(f.dp.held_fragments().waiting() == held);

    // A frame longer than a slot is dropped as well, never passed.
    auto too_long = udp_fragment("10.0.0.100", 1496, XVS_FRAG_HOLD_BYTES, true, 0x9999, 3000);
    CHECK(f.send(too_long).action == XDP_DROP);
    CHECK(f.stat(XVS_STAT_FRAG_HOLD_TOO_LONG) == 1);
    CHECK(f.stat(XVS_STAT_PASS) == 0);
}

TEST_CASE("a held fragment whose first never comes in time expires and is counted") {
    XdpFixture f;
    f.set(make_model({make_service(Protocol::udp, "10.0.0.100", 53,
                                   {make_real("10.1.0.2", 53, ForwardMethod::gate)})}));
    CHECK(f.send(udp_fragment("10.0.0.100", 48, 48, true)).action == XDP_DROP);
    f.dp.held_fragments().expire();  // too young
    CHECK(f.dp.held_fragments().waiting() == 1);
    CHECK(f.stat(XVS_STAT_FRAG_EXPIRED) == 0);

    std::this_thread::sleep_for(std::chrono::nanoseconds(XVS_FRAG_HOLD_NS) +
                                std::chrono::milliseconds(300));
    CHECK(f.send(udp_fragment("10.0.0.100", 0, 48, true)).action == XDP_REDIRECT);
    CHECK(f.dp.held_fragments().take_decided().empty());  // too late to replay
    f.dp.held_fragments().expire();
    CHECK(f.dp.held_fragments().waiting() == 0);
    CHECK(f.stat(XVS_STAT_FRAG_EXPIRED) == 1);
    // The slot is free again.
    CHECK(f.send(udp_fragment("10.0.0.100", 48, 48, true, 0x4242)).action == XDP_DROP);
    CHECK(f.dp.held_fragments().waiting() == 1);
}

namespace {

// Frames leaving rs0 towards the reals, as rs1 (its veth peer) receives them.
class RealSideCapture {
   public:
    explicit RealSideCapture(const TestNetwork& net)
        : fd_(socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL))) {
        REQUIRE(fd_);
        // A veth takes redirected frames only when its peer runs NAPI: GRO does.
        net.capture("ethtool -K rs1 gro on");
        sockaddr_ll at{};
        at.sll_family = AF_PACKET;
        at.sll_protocol = htons(ETH_P_ALL);
        at.sll_ifindex = static_cast<int>(if_nametoindex("rs1"));
        REQUIRE(bind(fd_.get(), reinterpret_cast<sockaddr*>(&at), sizeof at) == 0);
    }
    // The next frame for `dst` within the timeout, or empty.
    std::vector<uint8_t> next_to(const Mac& dst, std::chrono::milliseconds timeout) {
        auto until = std::chrono::steady_clock::now() + timeout;
        std::vector<uint8_t> frame(2048);
        while (std::chrono::steady_clock::now() < until) {
            pollfd p{fd_.get(), POLLIN, 0};
            if (poll(&p, 1, 100) <= 0) continue;
            ssize_t n = recv(fd_.get(), frame.data(), frame.size(), 0);
            if (n >= 14 && std::equal(dst.begin(), dst.end(), frame.begin()))
                return {frame.begin(), frame.begin() + n};
        }
        return {};
    }

   private:
    UniqueFd fd_;
};

}  // namespace

TEST_CASE("the plane's replay thread sends held fragments out for real (live frames)") {
    XdpOptions options = test_options();
    options.replay_fragments = true;
    XdpFixture f(options);
    f.set(make_model({make_service(Protocol::udp, "10.0.0.100", 53,
                                   {make_real("10.1.0.2", 53, ForwardMethod::gate)})}));
    RealSideCapture rs1(f.net);
    std::vector<std::vector<uint8_t>> later;
    REQUIRE(send_reversed(f, false, later).action == XDP_REDIRECT);
    // Taken and sent by the thread: nothing is left to take here.
    std::vector<std::vector<uint8_t>> seen;
    for (int i = 0; i < 2; ++i)
        seen.push_back(rs1.next_to(TestNetwork::real_mac(2), std::chrono::seconds(5)));
    for (const auto& in : later) {
        bool found = false;
        for (const auto& out : seen)
            found = found || (out.size() == in.size() &&
                              std::equal(in.begin() + 12, in.end(), out.begin() + 12));
        CHECK(found);
    }
    CHECK(f.dp.held_fragments().waiting() == 0);
    CHECK(f.dp.status().at(0).counters.packets_in == 3);
}

TEST_CASE("a later fragment whose real was removed since its first is dropped, not passed") {
    XdpFixture f;
    auto both = make_model({make_service(Protocol::udp, "10.0.0.100", 53,
                                         {make_real("10.1.0.2", 53, ForwardMethod::gate),
                                          make_real("10.1.0.3", 53, ForwardMethod::gate)})});
    f.set(both);
    auto first = f.send(udp_fragment("10.0.0.100", 0, 48, true));
    REQUIRE(first.action == XDP_REDIRECT);
    int real = real_of(first);
    REQUIRE(real != 0);
    int other = real == 2 ? 3 : 2;
    f.set(make_model({make_service(Protocol::udp, "10.0.0.100", 53,
                                   {make_real("10.1.0." + std::to_string(other), 53,
                                              ForwardMethod::gate)})}));
    CHECK(f.send(udp_fragment("10.0.0.100", 48, 48, true)).action == XDP_DROP);
    CHECK(f.stat(XVS_STAT_DROP_NO_REAL) == 1);
    CHECK(f.stat(XVS_STAT_FRAG_PASS) == 0);
    CHECK(f.stat(XVS_STAT_FRAG_HELD) == 0);
}

// Holding comes after the ingress checks (bpf/lib/ingress.h): a frame they
// pass or drop is never held, and its slot stays free.
TEST_CASE("an early later fragment the ingress checks refuse is passed or dropped, never held") {
    XdpFixture f;
    f.set(make_model({make_service(Protocol::udp, "10.0.0.100", 53,
                                   {make_real("10.1.0.2", 53, ForwardMethod::gate)})}));
    PacketSpec other_host = udp_fragment("10.0.0.100", 48, 48, true, 0x101);
    other_host.eth_dst = mac("02:00:00:00:00:99");
    auto out = f.send(other_host);
    CHECK(out.action == XDP_PASS);
    CHECK(out.frame == build_packet(other_host));
    PacketSpec tagged = udp_fragment("10.0.0.100", 48, 48, true, 0x102);
    tagged.vlans = {100};
    CHECK(f.send(tagged).action == XDP_PASS);
    PacketSpec martian = udp_fragment("10.0.0.100", 48, 48, true, 0x103);
    martian.src = ip("127.0.0.1");
    CHECK(f.send(martian).action == XDP_DROP);
    auto bad_csum = build_packet(udp_fragment("10.0.0.100", 48, 48, true, 0x104));
    bad_csum[14 + 10] ^= 0x5a;
    CHECK(run_xdp(f.dp.program_fd(), bad_csum, f.net.client_ifindex).action == XDP_DROP);
    CHECK(f.stat(XVS_STAT_PASS_OTHER_HOST) == 1);
    CHECK(f.stat(XVS_STAT_PASS_VLAN) == 1);
    CHECK(f.stat(XVS_STAT_DROP_MARTIAN) == 1);
    CHECK(f.stat(XVS_STAT_DROP_BAD_CSUM) == 1);
    CHECK(f.stat(XVS_STAT_FRAG_HELD) == 0);
    CHECK(f.dp.held_fragments().waiting() == 0);
    // The same fragment addressed to the interface is held.
    CHECK(f.send(udp_fragment("10.0.0.100", 48, 48, true, 0x105)).action == XDP_DROP);
    CHECK(f.stat(XVS_STAT_FRAG_HELD) == 1);
}

// NAT replies come first; their later fragments are not followed. To a
// client that is itself a VIP they must not wait in a slot for a decision
// that never comes: they go to the stack, as to any other client.
TEST_CASE("later fragments of a NAT reply to a client that is a VIP go to the stack, not held") {
    XdpFixture f;
    auto nat = make_service(Protocol::udp, "10.0.0.100", 53, {make_real("10.1.0.3", 53, ForwardMethod::masq)});
    auto client_vip = make_service(Protocol::udp, "10.0.0.2", 0, {make_real("10.1.0.4", 0, ForwardMethod::gate)});
    f.set(make_model({nat, client_vip}));
    REQUIRE(f.send(client_packet("10.0.0.100", 53, 17)).action == XDP_REDIRECT);  // from 10.0.0.2:40000
    auto reply = [](uint16_t offset, uint16_t length, bool more) {
        PacketSpec s = udp_fragment("10.0.0.2", offset, length, more, 0x200);
        s.eth_src = TestNetwork::real_mac(3);
        s.src = ip("10.1.0.3");
        s.sport = 53;
        s.dport = 40000;
        return s;
    };
    auto first = f.send_from_real(reply(0, 48, true));
    CHECK(first.action == XDP_REDIRECT);
    CHECK(f.stat(XVS_STAT_NAT_REPLY) == 1);
    auto later_spec = reply(48, 60, false);
    auto later = f.send_from_real(later_spec);
    CHECK(later.action == XDP_PASS);
    CHECK(f.stat(XVS_STAT_FRAG_PASS) == 1);
    CHECK(f.stat(XVS_STAT_FRAG_HELD) == 0);
    CHECK(f.dp.held_fragments().waiting() == 0);
}
