// Packets through the real program (BPF_PROG_TEST_RUN), judged by a
// reference written independently of the BPF code.
//
// The seeded run sends 1,000,000 frames: structured ones (clients and NAT
// reals, right and wrong destination MACs, VLAN tags, martian sources, LAND,
// bad IPv4 header checksums, TTLs down to 0, service and other ports) whose
// action and output the reference predicts exactly, and mutations of them
// (truncation, bit flips, random bytes) of which it only knows what may be
// forwarded. A frame that is passed must come back untouched; one that is
// forwarded must be allowed and go to a real of its service (or, for a NAT
// reply, back to its client from the VIP) with valid checksums. Fragmented
// datagrams are sent in order and later fragment first: an early one is held
// and, taken back as xvsd replays it, must go where its first fragment went.
#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <sstream>

#include "bpf/xdp_fixture.h"

using namespace xvs;
using namespace xvs::test;

namespace {

Model fuzz_model() {
    auto dr = make_service(Protocol::tcp, "10.0.0.100", 80,
                           {make_real("10.1.0.2", 80, ForwardMethod::gate),
                            make_real("10.1.0.3", 80, ForwardMethod::gate)});
    auto nat = make_service(Protocol::udp, "10.0.0.100", 53,
                            {make_real("10.1.0.4", 5353, ForwardMethod::masq)});
    auto tun = make_service(Protocol::tcp, "fd00::100", 443,
                            {make_real("fd00:1::3", 443, ForwardMethod::ipip)});
    auto nat6 = make_service(Protocol::udp, "fd00::100", 53,
                             {make_real("fd00:1::2", 0, ForwardMethod::masq)});
    auto nat_tcp = make_service(Protocol::tcp, "10.0.0.100", 8080,
                                {make_real("10.1.0.3", 80, ForwardMethod::masq)});
    // A virtual on every port of an address that is also a client: replies
    // of NAT flows to it must not be balanced here (NAT replies first).
    auto client_vip = make_service(Protocol::tcp, "10.0.0.7", 0,
                                   {make_real("10.1.0.4", 0, ForwardMethod::gate)});
    return make_model({dr, nat, tun, nat6, nat_tcp, client_vip});
}

bool is_vip(const IpAddress& a) {
    return a == ip("10.0.0.100") || a == ip("fd00::100") || a == ip("10.0.0.7");
}

bool is_service(const ParsedIp& p) {
    if (p.dst == ip("10.0.0.100"))
        return (p.proto == 6 && (p.dport == 80 || p.dport == 8080)) || (p.proto == 17 && p.dport == 53);
    if (p.dst == ip("fd00::100")) return (p.proto == 6 && p.dport == 443) || (p.proto == 17 && p.dport == 53);
    if (p.dst == ip("10.0.0.7")) return p.proto == 6;
    return false;
}

// What the kernel's IP input refuses (bpf/lib/ingress.h), from the reference's
// own reading of the addresses.
bool martian_source(const IpAddress& src, const IpAddress& dst) {
    if (src == dst) return true;
    const auto& b = src.bytes;
    if (!src.is_v6()) return b[0] == 0 || b[0] == 127 || b[0] >= 224;
    if (b[0] == 0xff) return true;
    bool zero10 = std::all_of(b.begin(), b.begin() + 10, [](uint8_t x) { return x == 0; });
    if (zero10 && b[10] == 0xff && b[11] == 0xff) return true;  // v4-mapped
    bool zero15 = zero10 && std::all_of(b.begin() + 10, b.begin() + 15, [](uint8_t x) { return x == 0; });
    return zero15 && (b[15] == 0 || b[15] == 1);
}

// The frame is addressed to the interface it arrives on, untagged.
bool frame_for_us(const std::vector<uint8_t>& frame, const Mac& own) {
    if (frame.size() < 14 || !std::equal(own.begin(), own.end(), frame.begin())) return false;
    uint16_t type = uint16_t(frame[12] << 8 | frame[13]);
    return type != 0x8100 && type != 0x88a8;
}

// The reference: may the program forward this frame (arriving at an
// interface whose MAC is own)?
bool may_forward(const std::vector<uint8_t>& frame, const Mac& own) {
    if (!frame_for_us(frame, own)) return false;
    auto f = parse_frame(frame);
    if (!f || !f->ip) return false;
    const ParsedIp& p = *f->ip;
    if (!p.header_checksum_ok || martian_source(p.src, p.dst)) return false;

    size_t l4_left = p.l3_offset + p.total_length - p.l4_offset;
    bool later_fragment = p.is_fragment && p.sport == 0 && p.dport == 0 && p.tcp_flags == 0;
    // Follows a first fragment if one was seen, else is held (dropped) until one is.
    if (later_fragment) return is_vip(p.dst);
    if (p.proto == 1 || p.proto == 58)
        return is_vip(p.dst) && p.inner && p.inner->src == p.dst && l4_left >= 8;
    bool nat_reply = p.src == ip("10.1.0.4") || p.src == ip("10.1.0.3") || p.src == ip("fd00:1::2");
    bool nat_service = (p.dst == ip("10.0.0.100") && (p.dport == 53 || p.dport == 8080)) ||
                       (p.dst == ip("fd00::100") && p.dport == 53);

    if (p.proto == 6) {
        if (l4_left < 20) return false;
        size_t doff = (frame[p.l4_offset + 12] >> 4) * 4u;
        if (doff < 20 || doff > l4_left) return false;
    } else if (p.proto == 17) {
        if (l4_left < 8) return false;
        if (((frame[p.l4_offset + 4] << 8) | frame[p.l4_offset + 5]) < 8) return false;
    } else {
        return false;
    }
    // NAT (both ways) routes, and does not forward what would leave with TTL 0.
    return (is_service(p) && !(nat_service && p.ttl <= 1)) || (nat_reply && p.ttl > 1);
}

std::vector<PacketSpec> seeds() {
    std::vector<PacketSpec> out;
    PacketSpec dr;
    dr.payload = std::vector<uint8_t>(40, 0xab);
    out.push_back(dr);
    PacketSpec opts = dr;
    opts.ip_options = {0x01, 0x01, 0x01, 0x00};
    opts.vlans = {7};
    out.push_back(opts);
    PacketSpec nat = dr;
    nat.proto = 17;
    nat.dport = 53;
    out.push_back(nat);
    PacketSpec tun;
    tun.src = ip("fd00::2");
    tun.dst = ip("fd00::100");
    tun.dport = 443;
    tun.ext_headers = {{0, 8}};
    tun.payload = std::vector<uint8_t>(20, 1);
    out.push_back(tun);
    PacketSpec nat6 = tun;
    nat6.proto = 17;
    nat6.dport = 53;
    nat6.ext_headers.clear();
    out.push_back(nat6);
    PacketSpec frag = nat;
    frag.payload = std::vector<uint8_t>(64, 3);
    frag.fragment = Fragment{77, 0, 40, true};
    out.push_back(frag);
    PacketSpec later = frag;
    later.fragment = Fragment{77, 40, 32, false};
    out.push_back(later);
    PacketSpec icmp;
    icmp.src = ip("10.0.0.254");
    icmp.proto = 1;
    icmp.icmp_type = 3;
    icmp.icmp_code = 4;
    PacketSpec quoted;
    quoted.src = ip("10.0.0.100");
    quoted.dst = ip("10.0.0.2");
    quoted.sport = 80;
    quoted.dport = 40000;
    icmp.icmp_quote = build_ip_packet(quoted);
    icmp.icmp_quote.resize(28);
    out.push_back(icmp);
    return out;
}

}  // namespace

TEST_CASE("a VIP packet cut short at any length is passed untouched, never forwarded") {
    XdpFixture f;
    f.set(fuzz_model());
    for (const auto& spec : seeds()) {
        auto whole = build_packet(spec);
        // BPF_PROG_TEST_RUN refuses frames shorter than an Ethernet header.
        for (size_t len = 14; len < whole.size(); ++len) {
            std::vector<uint8_t> cut(whole.begin(), whole.begin() + len);
            auto out = run_xdp(f.dp.program_fd(), cut, f.net.client_ifindex);
            INFO("seed proto " << int(spec.proto) << ", cut at " << len << " of " << whole.size());
            CHECK(out.action == XDP_PASS);
            CHECK(out.frame == cut);
        }
    }
}


namespace {

// The structured half: frames the reference knows the exact outcome of.
enum class Expect { pass, drop, forward_service, forward_reply };

struct Service {
    IpAddress vip;
    uint16_t port;  // 0 = every port
    uint8_t proto;
    ForwardMethod method;
    IpAddress real;
    uint16_t real_port;  // 0 = keep
    int real_mac;        // TestNetwork::real_mac(n)
};

const std::vector<Service>& services() {
    static const std::vector<Service> all = {
        {ip("10.0.0.100"), 80, 6, ForwardMethod::gate, ip("10.1.0.2"), 80, 2},
        {ip("10.0.0.100"), 53, 17, ForwardMethod::masq, ip("10.1.0.4"), 5353, 4},
        {ip("fd00::100"), 443, 6, ForwardMethod::ipip, ip("fd00:1::3"), 443, 3},
        {ip("fd00::100"), 53, 17, ForwardMethod::masq, ip("fd00:1::2"), 0, 2},
        {ip("10.0.0.100"), 8080, 6, ForwardMethod::masq, ip("10.1.0.3"), 80, 3},
        {ip("10.0.0.7"), 0, 6, ForwardMethod::gate, ip("10.1.0.4"), 0, 4},
    };
    return all;
}

// The DR service on 10.0.0.100:80 has two reals.
bool real_of_service(const Service& svc, int mac_n) {
    if (svc.vip == ip("10.0.0.100") && svc.port == 80) return mac_n == 2 || mac_n == 3;
    return mac_n == svc.real_mac;
}

struct NatFlow {  // a NAT flow the program forwarded: what its replies look like
    const Service* svc;
    IpAddress client;
    uint16_t client_port;
    uint16_t vport;
};

struct Case {
    PacketSpec spec;
    bool from_real = false;
    Expect expect = Expect::pass;
    const Service* svc = nullptr;
    const NatFlow* flow = nullptr;
    bool bad_checksum = false;  // IPv4 header checksum spoilt after building
};

class Generator {
   public:
    explicit Generator(uint32_t seed) : rng_(seed) {}

    Case next(const TestNetwork& net, const std::vector<NatFlow>& flows) {
        Case c;
        if (!flows.empty() && pick(4) == 0) reply(c, flows[pick(flows.size())], net);
        else client(c, net);
        disturb(c, net);
        return c;
    }
    // A client's datagram, to be sent in fragments (never a NAT reply).
    Case datagram(const TestNetwork& net) {
        Case c;
        client(c, net);
        disturb(c, net);
        return c;
    }
    uint32_t pick(size_t n) { return uint32_t(rng_() % n); }
    std::mt19937& rng() { return rng_; }

   private:
    void client(Case& c, const TestNetwork& net) {
        const Service& svc = services()[pick(services().size())];
        bool v6 = svc.vip.is_v6();
        PacketSpec& s = c.spec;
        // 10.0.0.7 is a client too (and a VIP), of the other VIPs.
        static const char* v4_clients[] = {"10.0.0.2", "10.0.0.3", "10.0.0.7", "192.0.2.9"};
        static const char* v6_clients[] = {"fd00::2", "fd00::3", "2001:db8::9"};
        do s.src = ip(v6 ? v6_clients[pick(3)] : v4_clients[pick(4)]);
        while (s.src == svc.vip);
        s.dst = svc.vip;
        s.proto = svc.proto;
        s.sport = uint16_t(40000 + pick(64));
        s.dport = svc.port ? svc.port : uint16_t(1 + pick(65535));
        c.svc = &svc;
        if (pick(8) == 0 && svc.port) {  // a port no service of the VIP has
            s.dport = 9;
            c.svc = nullptr;
        }
        s.tcp_flags = std::array<uint8_t, 4>{tcp_syn, tcp_ack, tcp_ack | tcp_psh, tcp_fin | tcp_ack}[pick(4)];
        s.payload.assign(pick(64), uint8_t(pick(256)));
        if (pick(2)) {  // arrives on the real side (reals may be clients of a VIP)
            c.from_real = true;
            s.eth_dst = net.real_if_mac;
        }
        c.expect = c.svc ? Expect::forward_service : Expect::pass;
    }

    void reply(Case& c, const NatFlow& f, const TestNetwork& net) {
        PacketSpec& s = c.spec;
        s.src = f.svc->real;
        s.dst = f.client;
        s.proto = f.svc->proto;
        s.sport = f.svc->real_port ? f.svc->real_port : f.vport;
        s.dport = f.client_port;
        s.tcp_flags = tcp_syn | tcp_ack;
        s.eth_dst = net.real_if_mac;
        s.eth_src = TestNetwork::real_mac(f.svc->real_mac);
        s.payload.assign(pick(32), 0x42);
        c.from_real = true;
        c.flow = &f;
        c.svc = f.svc;
        c.expect = Expect::forward_reply;
    }

    // The ways a frame stops being ours, each with the outcome it must have.
    void disturb(Case& c, const TestNetwork& net) {
        PacketSpec& s = c.spec;
        bool ours = c.expect != Expect::pass;
        bool v6 = s.dst.is_v6();
        switch (pick(16)) {
            case 0: {  // another host's MAC, broadcast, multicast, the other interface's
                static const char* macs[] = {"02:00:00:00:00:99", "ff:ff:ff:ff:ff:ff",
                                             "01:00:5e:01:02:03", "33:33:00:00:00:01"};
                s.eth_dst = pick(5) == 0 ? (c.from_real ? net.client_if_mac : net.real_if_mac)
                                         : mac(macs[pick(4)]);
                c.expect = Expect::pass;
                return;
            }
            case 1:  // tagged
                s.vlans = pick(2) ? std::vector<uint16_t>{100} : std::vector<uint16_t>{200, 100};
                c.expect = Expect::pass;
                return;
            case 2: {  // martian source or LAND
                static const char* v4[] = {"127.0.0.1", "0.0.0.0", "255.255.255.255", "224.0.0.5", "240.1.1.1"};
                static const char* v6s[] = {"::1", "::", "ff02::2", "::ffff:10.0.0.2"};
                if (pick(4) == 0) {
                    s.src = s.dst;
                    s.sport = s.dport;
                } else {
                    s.src = ip(v6 ? v6s[pick(4)] : v4[pick(5)]);
                }
                // Only a packet the program looks at (for a VIP, from a NAT real) is dropped.
                c.expect = is_vip(s.dst) ? Expect::drop : Expect::pass;
                return;
            }
            case 3:  // TTL / hop limit at the end: NAT drops, DR and TUN do not look
                s.ttl = uint8_t(pick(3));
                if (s.ttl <= 1 && ours && c.svc->method == ForwardMethod::masq) c.expect = Expect::drop;
                return;
            case 4:
                if (!v6) {
                    c.bad_checksum = true;
                    if (ours || is_vip(s.dst)) c.expect = Expect::drop;
                }
                return;
            default:
                return;
        }
    }

    std::mt19937 rng_;
};

}  // namespace

namespace {

std::string hex(const std::vector<uint8_t>& frame) {
    std::string out;
    char b[4];
    for (uint8_t c : frame) {
        std::snprintf(b, sizeof b, "%02x", c);
        out += b;
    }
    return out;
}

// What is wrong with the program's forwarding of c (empty: nothing).
std::string misforward(const Case& c, const std::vector<uint8_t>& in, const XdpRun& out,
                       const TestNetwork& net) {
    auto parsed = parse_frame(out.frame);
    auto sent = parse_frame(in);
    if (!parsed || !parsed->ip || !sent || !sent->ip) return "output unreadable";
    const ParsedIp& o = *parsed->ip;
    const ParsedIp& i = *sent->ip;
    if (!checksums_valid(*parsed)) return "bad checksums out";
    if (c.expect == Expect::forward_reply) {
        const NatFlow& f = *c.flow;
        if (o.src != f.svc->vip || o.sport != f.vport || o.dst != f.client || o.dport != f.client_port)
            return "NAT reply not back from VIP:vport to its client";
        if (parsed->dst != net.client_mac) return "NAT reply to the wrong MAC";
        if (o.ttl != i.ttl - 1) return "NAT reply TTL not decremented";
        return "";
    }
    const Service& svc = *c.svc;
    switch (svc.method) {
        case ForwardMethod::gate: {
            int n = real_of(out);
            if (!real_of_service(svc, n)) return "DR to a MAC not of the service's reals";
            if (!std::equal(in.begin() + 12, in.end(), out.frame.begin() + 12)) return "DR changed the packet";
            return "";
        }
        case ForwardMethod::masq:
            if (o.dst != svc.real || o.dport != (svc.real_port ? svc.real_port : i.dport) || o.src != i.src ||
                o.sport != i.sport)
                return "NAT to the wrong real or port";
            if (!real_of_service(svc, real_of(out))) return "NAT to the wrong MAC";
            if (o.ttl != i.ttl - 1) return "NAT TTL not decremented";
            return "";
        default:
            if (o.dst != svc.real || !o.inner || o.inner->src != i.src || o.inner->dst != i.dst ||
                o.inner->ttl != i.ttl)
                return "TUN to the wrong real or with a changed inner packet";
            return "";
    }
}

// What is wrong with the program's forwarding of a later fragment of c,
// whose first fragment went out as first_out (empty: nothing). A later
// fragment carries no ports: it goes where its first went, to the same real.
std::string later_misforward(const Case& c, const XdpRun& first_out, const std::vector<uint8_t>& in,
                             const XdpRun& out) {
    auto parsed = parse_frame(out.frame);
    auto sent = parse_frame(in);
    if (!parsed || !parsed->ip || !sent || !sent->ip) return "later fragment: output unreadable";
    const ParsedIp& o = *parsed->ip;
    const ParsedIp& i = *sent->ip;
    if (!checksums_valid(*parsed)) return "later fragment: bad checksums out";
    if (real_of(out) == 0 || real_of(out) != real_of(first_out))
        return "later fragment not to the MAC its first fragment went to";
    const Service& svc = *c.svc;
    switch (svc.method) {
        case ForwardMethod::gate:
            if (!std::equal(in.begin() + 12, in.end(), out.frame.begin() + 12))
                return "later fragment: DR changed the packet";
            return "";
        case ForwardMethod::masq:
            if (o.dst != svc.real || o.src != i.src || !o.is_fragment) return "later fragment: NAT to the wrong real";
            if (o.ttl != i.ttl - 1) return "later fragment: NAT TTL not decremented";
            return "";
        default:
            if (o.dst != svc.real || !o.inner || o.inner->src != i.src || o.inner->dst != i.dst ||
                o.inner->ttl != i.ttl || !o.inner->is_fragment)
                return "later fragment: TUN to the wrong real or with a changed inner packet";
            return "";
    }
}

void mutate(std::vector<uint8_t>& frame, std::mt19937& rng) {
    switch (rng() % 4) {
        case 0:
            frame.resize(14 + rng() % (frame.size() - 14));
            break;
        case 1: {
            int flips = 1 + rng() % 3;
            for (int k = 0; k < flips; ++k)
                frame[rng() % std::min<size_t>(frame.size(), 96)] ^= uint8_t(1u << (rng() % 8));
            break;
        }
        case 2:
            frame[rng() % std::min<size_t>(frame.size(), 96)] = uint8_t(rng());
            break;
        default: {
            size_t extra = rng() % 64;
            for (size_t k = 0; k < extra; ++k) frame.push_back(uint8_t(rng()));
            break;
        }
    }
}

}  // namespace

TEST_CASE("a million packets through the program: 0 misforwards against the reference", "[fuzz]") {
    XdpFixture f;
    f.set(fuzz_model());
    // The reference lets any segment start a flow, as the program does with
    // sloppy_tcp=1; which segments may start one is ipvs_switches_test.cpp's.
    f.dp.set_behaviour(IpvsBehaviour{.sloppy_tcp = true});
    // Every client is reachable, so NAT replies are forwarded, not dropped for want of a neighbour.
    for (const char* c : {"10.0.0.3", "10.0.0.7"})
        f.net.ip(std::string("neigh add ") + c + " lladdr 02:00:00:00:00:02 dev cli0 nud permanent");
    f.net.ip("neigh add fd00::3 lladdr 02:00:00:00:00:02 dev cli0 nud permanent");
    f.net.ip("route add 192.0.2.0/24 via 10.0.0.2");
    f.net.ip("route add 2001:db8::/64 via fd00::2");

    constexpr int packet_count = 1000000;
    Generator gen(20261202);
    std::vector<NatFlow> flows;
    std::map<std::tuple<const Service*, IpAddress, uint16_t>, size_t> flow_index;
    flows.reserve(4096);
    std::map<std::string, size_t> seen;  // outcome classes exercised
    size_t wrong_action = 0, misforwards = 0, mutated_forwarded = 0;
    std::ostringstream samples;
    auto sample = [&](const std::string& what, const std::vector<uint8_t>& frame, const XdpRun& out) {
        if (wrong_action + misforwards > 10) return;
        samples << what << " (" << xdp_action_name(out.action) << "): " << hex(frame) << "\n";
    };
    auto remember_flow = [&](const Case& c) {
        if (c.expect == Expect::forward_service && c.svc->method == ForwardMethod::masq) {
            auto key = std::make_tuple(c.svc, c.spec.src, c.spec.sport);
            if (!flow_index.count(key)) {
                flow_index[key] = flows.size();
                flows.push_back({c.svc, c.spec.src, c.spec.sport, c.spec.dport});
            }
        }
    };
    auto own_mac = [&](int ifindex) -> const Mac& {
        return ifindex == f.net.real_ifindex ? f.net.real_if_mac : f.net.client_if_mac;
    };
    // Judges the action on a structured frame; true when it was the expected one.
    auto judge = [&](const std::string& what, Expect expect, const std::vector<uint8_t>& in,
                     const XdpRun& out) {
        bool forwarded = out.action == XDP_TX || out.action == XDP_REDIRECT;
        if (out.action == XDP_ABORTED) {
            ++wrong_action;
            sample(what + ": aborted", in, out);
            return false;
        }
        if (out.action == XDP_PASS && out.frame != in) {
            ++misforwards;
            sample(what + ": passed but changed", in, out);
            return false;
        }
        Expect got = forwarded ? Expect::forward_service : out.action == XDP_DROP ? Expect::drop : Expect::pass;
        if (got != expect) {
            if (forwarded) ++misforwards;
            else ++wrong_action;
            sample(what + ": expected " + std::to_string(int(expect)), in, out);
            return false;
        }
        ++seen[what + " " + std::to_string(int(got))];
        return true;
    };
    // A client's datagram in two fragments, in order or the later one first.
    // The later one first is held (dropped) by the program wherever it would
    // otherwise have to guess: for a VIP, on a frame the ingress checks take.
    // The first fragment then decides, and the held frame, taken back as
    // xvsd takes it, must follow that decision when run through the program
    // again: to the first's real, to the stack, or dropped.
    uint32_t next_frag_id = 0x100;  // distinct from every unfragmented frame's (1)
    auto fragmented = [&] {
        Case c = gen.datagram(f.net);
        if (c.spec.payload.size() < 24) c.spec.payload.resize(24 + gen.pick(40), 0x5c);
        const size_t l4 = (c.spec.proto == 6 ? 20 : 8) + c.spec.payload.size();
        const uint32_t id = next_frag_id++;
        PacketSpec first = c.spec, later = c.spec;
        first.fragment = Fragment{id, 0, 24, true};
        later.fragment = Fragment{id, 24, uint16_t(l4 - 24), false};
        auto build = [&](const PacketSpec& s) {
            auto frame = build_packet(s);
            if (c.bad_checksum) frame[s.vlans.size() * 4 + 14 + 10] ^= 0x5a;
            return frame;
        };
        const auto first_frame = build(first), later_frame = build(later);
        const int ingress = c.from_real ? f.net.real_ifindex : f.net.client_ifindex;
        const Mac& own = own_mac(ingress);
        // Held: to a VIP, past the MAC, VLAN, checksum and martian checks.
        const bool holdable = [&] {
            if (!frame_for_us(later_frame, own)) return false;
            auto p = parse_frame(later_frame);
            return p && p->ip && p->ip->header_checksum_ok && !martian_source(p->ip->src, p->ip->dst) &&
                   is_vip(p->ip->dst);
        }();
        XdpRun first_out;
        auto send_first = [&] {
            first_out = run_xdp(f.dp.program_fd(), first_frame, ingress);
            if (!judge("first fragment", c.expect, first_frame, first_out)) return false;
            if (c.expect != Expect::forward_service) return true;
            if (std::string why = misforward(c, first_frame, first_out, f.net); !why.empty()) {
                ++misforwards;
                sample("first fragment: " + why, first_frame, first_out);
                return false;
            }
            remember_flow(c);
            return true;
        };
        auto check_later = [&](const std::string& what, Expect expect, const XdpRun& out) {
            if (!judge(what, expect, later_frame, out) || expect != Expect::forward_service) return;
            if (std::string why = later_misforward(c, first_out, later_frame, out); !why.empty()) {
                ++misforwards;
                sample(why, later_frame, out);
            }
        };
        if (!gen.pick(2)) {
            // In order: the later fragment follows its first's decision.
            if (send_first())
                check_later("later fragment after its first", c.expect,
                            run_xdp(f.dp.program_fd(), later_frame, ingress));
            return;
        }
        const uint64_t held_before = f.stat(XVS_STAT_FRAG_HELD), full_before = f.stat(XVS_STAT_FRAG_HOLD_FULL);
        XdpRun early = run_xdp(f.dp.program_fd(), later_frame, ingress);
        const bool held = f.stat(XVS_STAT_FRAG_HELD) == held_before + 1;
        const bool full = f.stat(XVS_STAT_FRAG_HOLD_FULL) == full_before + 1;
        if (held == full && holdable) {
            ++wrong_action;
            sample("early later fragment neither held nor counted as no slot free", later_frame, early);
            return;
        }
        if ((held || full) && !holdable) {
            ++wrong_action;
            sample("early later fragment held though the ingress checks refuse it", later_frame, early);
            return;
        }
        if (full) ++seen["early later fragment: no slot"];
        if (!judge("early later fragment", holdable ? Expect::drop : c.expect, later_frame, early)) return;
        if (!send_first()) return;
        // A first fragment forwarded or sent to the stack recorded a decision;
        // a dropped one may have (an established NAT flow whose TTL runs out).
        const bool decided = c.expect != Expect::drop;
        size_t replayed = 0;
        for (const auto& h : f.dp.held_fragments().take_decided()) {
            XdpRun out = run_xdp(f.dp.program_fd(), h.bytes, int(h.ifindex));
            if (h.bytes != later_frame) {
                // Another datagram's (a mutated frame held before): may it be forwarded?
                bool forwarded = out.action == XDP_TX || out.action == XDP_REDIRECT;
                if (forwarded && !may_forward(h.bytes, own_mac(int(h.ifindex)))) {
                    ++misforwards;
                    sample("replayed frame forwarded", h.bytes, out);
                }
                continue;
            }
            ++replayed;
            if (int(h.ifindex) != ingress) {
                ++wrong_action;
                sample("held fragment replayed on another interface", h.bytes, out);
                continue;
            }
            check_later("replayed later fragment", c.expect, out);
        }
        if (replayed > 1 || (held && decided && replayed != 1) || (!held && replayed)) {
            ++wrong_action;
            sample("held fragment replayed " + std::to_string(replayed) + " times", later_frame, early);
        }
    };
    for (int n = 0; n < packet_count; ++n) {
        // As xvsd's sweep: frames held past XVS_FRAG_HOLD_NS free their slots.
        if (n % 16384 == 0) f.dp.held_fragments().expire();
        if (gen.pick(20) == 0) {
            fragmented();
            ++n;  // two frames
            continue;
        }
        Case c = gen.next(f.net, flows);
        std::vector<uint8_t> frame = build_packet(c.spec);
        if (c.bad_checksum) frame[c.spec.vlans.size() * 4 + 14 + 10] ^= 0x5a;
        const int ingress = c.from_real ? f.net.real_ifindex : f.net.client_ifindex;
        const Mac& own = c.from_real ? f.net.real_if_mac : f.net.client_if_mac;
        bool mutated = gen.pick(4) == 0;
        if (mutated) mutate(frame, gen.rng());
        XdpRun out = run_xdp(f.dp.program_fd(), frame, ingress);
        bool forwarded = out.action == XDP_TX || out.action == XDP_REDIRECT;
        if (out.action == XDP_ABORTED) {
            ++wrong_action;
            sample("aborted", frame, out);
            continue;
        }
        if (out.action == XDP_PASS && out.frame != frame) {
            ++misforwards;
            sample("passed but changed", frame, out);
            continue;
        }
        if (mutated) {
            if (!forwarded) continue;
            ++mutated_forwarded;
            bool input_valid = [&] {
                auto p = parse_frame(frame);
                return p && checksums_valid(*p);
            }();
            auto parsed = parse_frame(out.frame);
            if (!may_forward(frame, own) || (input_valid && !(parsed && checksums_valid(*parsed)))) {
                ++misforwards;
                sample("mutated frame forwarded", frame, out);
            }
            continue;
        }
        Expect got = forwarded ? (c.expect == Expect::forward_reply ? Expect::forward_reply : Expect::forward_service)
                     : out.action == XDP_DROP ? Expect::drop
                                              : Expect::pass;
        if (got != c.expect) {
            if (forwarded) ++misforwards;
            else ++wrong_action;
            sample("expected " + std::to_string(int(c.expect)), frame, out);
            continue;
        }
        ++seen[std::to_string(int(got)) + (c.bad_checksum ? " bad checksum" : "")];
        if (!forwarded) continue;
        if (std::string why = misforward(c, frame, out, f.net); !why.empty()) {
            ++misforwards;
            sample(why, frame, out);
            continue;
        }
        remember_flow(c);
    }
    INFO(samples.str());
    CHECK(misforwards == 0);
    CHECK(wrong_action == 0);
    // Every outcome was exercised, and plenty of it.
    CHECK(seen["0"] > 50000);                // passed: other MAC, VLAN, other port
    CHECK(seen["1"] > 10000);                // dropped: martian, LAND, TTL
    CHECK(seen["1 bad checksum"] > 5000);
    CHECK(seen["2"] > 200000);               // forwarded to a real
    CHECK(seen["3"] > 50000);                // NAT replies back to their client
    CHECK(mutated_forwarded > 10000);
    // Fragments, both orders: held, and replayed where their first went.
    CHECK(seen["first fragment 2"] > 10000);
    CHECK(seen["later fragment after its first 2"] > 5000);
    CHECK(seen["early later fragment 1"] > 10000);   // held (or no slot free)
    CHECK(seen["replayed later fragment 2"] > 5000); // to the first's real
    CHECK(seen["replayed later fragment 0"] > 300);  // to the stack, with its first
    CHECK(seen["early later fragment 0"] > 1000);    // other MAC, VLAN: never held
}
