#include <catch2/catch.hpp>

#include <random>

#include "control/protocol.h"

using namespace xvs;
using namespace xvs::control;

namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

Reply sample_reply() {
    Reply reply;
    reply.dataplane = "xdp";
    reply.message = "reload: 1 service added";
    ServiceReport fwm;
    fwm.status.key = ServiceKey::mark(100, Family::v4);
    fwm.status.scheduler = "wrr";
    fwm.status.persistence = {360, 24};
    fwm.status.counters = {7, 100, 90, 123456789012ULL, 5};
    fwm.rates = {1, 2, 3, 4, 5};
    RealStatus r1;
    r1.key = {ip("192.168.239.129"), 0};
    r1.method = ForwardMethod::masq;
    r1.weight = 1;
    r1.active_connections = 3;
    r1.inactive_connections = 4;
    r1.persistent_connections = 2;
    r1.lower_threshold = 5;
    r1.upper_threshold = 6;
    r1.counters = {1, 2, 3, 4, 5};
    RealStatus r2 = r1;
    r2.key = {ip("192.168.239.133"), 0};
    r2.weight = 2;
    fwm.status.reals = {r1, r2};
    fwm.real_rates[r2.key] = {9, 8, 7, 6, 5};
    reply.services.push_back(fwm);

    ServiceReport v6;
    v6.status.key = ServiceKey::tcp_udp(Protocol::udp, ip("2001:db8::1"), 53);
    v6.status.scheduler = "sh";
    v6.status.scheduler_flags = {"sh-fallback", "sh-port"};
    v6.status.one_packet = true;
    reply.services.push_back(v6);

    ConnectionEntry c;
    c.protocol = Protocol::tcp;
    c.client = ip("10.0.0.7");
    c.client_port = 40000;
    c.virtual_address = ip("192.168.0.105");
    c.virtual_port = 80;
    c.real = ip("192.168.239.129");
    c.real_port = 80;
    c.state = "ESTABLISHED";
    c.expires_in_seconds = 899;
    reply.connections.push_back(c);
    c.is_template = true;
    c.state = "NONE";
    reply.connections.push_back(c);
    return reply;
}

}  // namespace

TEST_CASE("a request survives encoding and decoding", "[protocol]") {
    Request r;
    r.verb = Verb::zero;
    r.service = ServiceKey::tcp_udp(Protocol::tcp, ip("2001:db8::5"), 443);
    CHECK(decode_request(encode_request(r)) == r);
    Request plain;
    plain.verb = Verb::list_connections;
    CHECK(decode_request(encode_request(plain)) == plain);
}

TEST_CASE("every verb has a name that parses back", "[protocol]") {
    for (Verb v : {Verb::status, Verb::list_connections, Verb::zero, Verb::reload,
                   Verb::add_service, Verb::edit_service, Verb::delete_service, Verb::add_real,
                   Verb::edit_real, Verb::delete_real, Verb::clear, Verb::dataplane_status, Verb::set_timeouts, Verb::timeouts})
        CHECK(parse_verb(to_string(v)) == v);
    CHECK_FALSE(parse_verb("launch"));
}

TEST_CASE("a reply with services, reals, rates and connections survives a round trip",
          "[protocol]") {
    Reply in = sample_reply();
    Reply out = decode_reply(encode_reply(in));
    REQUIRE(out.ok);
    CHECK(out.dataplane == "xdp");
    CHECK(out.message == in.message);
    REQUIRE(out.services.size() == 2);
    const auto& s = out.services[0].status;
    CHECK(s.key == in.services[0].status.key);
    CHECK(s.persistence == in.services[0].status.persistence);
    CHECK(s.counters.bytes_in == 123456789012ULL);
    CHECK(out.services[0].rates == in.services[0].rates);
    REQUIRE(s.reals.size() == 2);
    CHECK(s.reals[1].key == in.services[0].status.reals[1].key);
    CHECK(s.reals[1].weight == 2);
    CHECK(s.reals[0].persistent_connections == 2);
    CHECK(s.reals[0].upper_threshold == 6);
    CHECK(out.services[0].real_rates == in.services[0].real_rates);
    CHECK(out.services[1].status.scheduler_flags == in.services[1].status.scheduler_flags);
    CHECK(out.services[1].status.one_packet);
    CHECK(out.services[1].status.key == in.services[1].status.key);
    REQUIRE(out.connections.size() == 2);
    CHECK(out.connections[0].state == "ESTABLISHED");
    CHECK(out.connections[0].client_port == 40000);
    CHECK(out.connections[1].is_template);
    CHECK_FALSE(out.more);
}

TEST_CASE("a part of a streamed listing says another follows, the mark takes no value", "[protocol]") {
    Reply part;
    part.more = true;
    CHECK(decode_reply(encode_reply(part)).more);
    CHECK_FALSE(decode_reply("xvs-control/1 ok\nend\n").more);
    CHECK_THROWS_AS(decode_reply("xvs-control/1 ok\nmore 1\nend\n"), ProtocolError);
}

TEST_CASE("a reply with interface states and placements survives a round trip", "[protocol]") {
    Reply in;
    in.dataplane = "xdp+ipvs";
    in.interfaces.push_back({"d0", true, 2, "native", "", 0});
    in.interfaces.push_back(
        {"d1", false, 0, "generic", "no such interface (was ifindex 3), 100% gone", 4});
    in.placements.push_back({ServiceKey::tcp_udp(Protocol::tcp, ip("10.0.0.1"), 80), "xdp"});
    in.placements.push_back({ServiceKey::mark(100, Family::v6), "ipvs"});
    Reply out = decode_reply(encode_reply(in));
    CHECK(out.interfaces == in.interfaces);
    CHECK(out.placements == in.placements);
    CHECK_THROWS_AS(decode_reply("xvs-control/1 ok\ninterface d0 2 1 native ~ 0\nend\n"),
                    ProtocolError);  // attached is 0 or 1
    CHECK_THROWS_AS(decode_reply("xvs-control/1 ok\ninterface ~ 1 1 native ~ 0\nend\n"),
                    ProtocolError);  // no name
    CHECK_THROWS_AS(decode_reply("xvs-control/1 ok\ninterface d0 1 1 native ~\nend\n"),
                    ProtocolError);  // short
    CHECK_THROWS_AS(decode_reply("xvs-control/1 ok\nplacement tcp 4 10.0.0.1 80 0 ~\nend\n"),
                    ProtocolError);  // no plane
}

TEST_CASE("an error reply carries its message, spaces and newlines included", "[protocol]") {
    Reply out = decode_reply(encode_reply(Reply::failure("bad file:\n x.cf:3: 100% wrong ~")));
    CHECK_FALSE(out.ok);
    CHECK(out.error == "bad file:\n x.cf:3: 100% wrong ~");
}

TEST_CASE("malformed requests are refused with a ProtocolError", "[protocol]") {
    const char* bad[] = {
        "",
        "\n",
        "xvs-control/1 request status",                      // no newline
        "xvs-control/2 request status\n",                    // other version
        "hello\n",
        "xvs-control/1 request\n",
        "xvs-control/1 request launch\n",
        "xvs-control/1 reply status\n",
        "xvs-control/1 request  status\n",                   // empty field
        "xvs-control/1 request zero\nservice tcp 4 10.0.0.1 99999 0\n",
        "xvs-control/1 request zero\nservice tcp 6 10.0.0.1 80 0\n",
        "xvs-control/1 request zero\nservice fwm 4 0.0.0.0 0 0\n",
        "xvs-control/1 request zero\nservice tcp 4 10.0.0.1 80\n",
        "xvs-control/1 request zero\nservice tcp 4 10.0.0.1 -1 0\n",
        "xvs-control/1 request zero\nservice tcp 4 10.0.0.1 80 0\nservice tcp 4 10.0.0.1 80 0\n",
        "xvs-control/1 request status\nextra\n",
        "xvs-control/1 request add-service\nsettings ~ ~ 0 32 0\n",       // no scheduler
        "xvs-control/1 request add-service\nsettings wrr ~ 0 129 0\n",    // prefix > 128
        "xvs-control/1 request add-real\ndest 10.0.0.2 80 nat 1 0 0\n",   // bad method
        "xvs-control/1 request add-real\ndest 10.0.0.2 80 masq 1 0\n",    // short
    };
    for (const char* text : bad) {
        INFO(text);
        CHECK_THROWS_AS(decode_request(text), ProtocolError);
    }
}

TEST_CASE("malformed replies are refused with a ProtocolError", "[protocol]") {
    std::string good = encode_reply(sample_reply());
    CHECK_NOTHROW(decode_reply(good));
    // Truncated at every line boundary: always an error, never a partial result.
    for (size_t pos = good.find('\n'); pos + 1 < good.size(); pos = good.find('\n', pos + 1)) {
        INFO(pos);
        CHECK_THROWS_AS(decode_reply(good.substr(0, pos + 1)), ProtocolError);
    }
    CHECK_THROWS_AS(decode_reply("xvs-control/1 ok\nreal 10.0.0.1 80 masq 1 0 0 0 0 0 0 0 0 0 0 "
                                 "0 0 0 0 0\nend\n"),
                    ProtocolError);
    CHECK_THROWS_AS(decode_reply("xvs-control/1 ok\nend\nend\n"), ProtocolError);
    CHECK_THROWS_AS(decode_reply("xvs-control/1 error bad%4\nend\n"), ProtocolError);
    CHECK_THROWS_AS(decode_reply("xvs-control/1 error bad%zz\nend\n"), ProtocolError);
}

TEST_CASE("random garbage never crashes the decoders", "[protocol]") {
    std::mt19937 rng(12345);
    std::string good = encode_reply(sample_reply());
    int accepted = 0;
    for (int round = 0; round < 3000; ++round) {
        std::string text = good;
        int flips = 1 + static_cast<int>(rng() % 8);
        for (int k = 0; k < flips; ++k)
            text[rng() % text.size()] = static_cast<char>(rng() % 256);
        try {
            decode_reply(text);
            ++accepted;
        } catch (const ProtocolError&) {
        }
        try {
            decode_request(text);
        } catch (const ProtocolError&) {
        }
    }
    // Some mutations (inside a number, say) still decode; most must not.
    CHECK(accepted < 3000);
}

TEST_CASE("editing requests carry settings and a real server through a round trip",
          "[protocol]") {
    Request add;
    add.verb = Verb::add_service;
    add.service = ServiceKey::tcp_udp(Protocol::udp, ip("2001:db8::1"), 53);
    ServiceSettings settings;
    settings.scheduler = "sh";
    settings.scheduler_flags = {"sh-fallback", "sh-port"};
    settings.persistence = {360, 64};
    settings.one_packet = true;
    add.settings = settings;
    CHECK(decode_request(encode_request(add)) == add);
    settings.persistence.engine = pe_sip;
    add.settings = settings;
    CHECK(decode_request(encode_request(add)) == add);

    Request real;
    real.verb = Verb::edit_real;
    real.service = ServiceKey::mark(100, Family::v4);
    RealServer r;
    r.key = {ip("192.168.239.129"), 8080};
    r.method = ForwardMethod::ipip;
    r.weight = r.configured_weight = 7;
    r.lower_threshold = 3;
    r.upper_threshold = 9;
    real.real = r;
    CHECK(decode_request(encode_request(real)) == real);
}

TEST_CASE("set-timeouts requests and timeouts replies carry the three values, within ipvsadm's bound") {
    Request set;
    set.verb = Verb::set_timeouts;
    set.timeouts = ConnectionTimeouts{100, 0, 30};
    CHECK(decode_request(encode_request(set)) == set);
    Reply shown;
    shown.timeouts = ConnectionTimeouts{900, 120, 300};
    CHECK(decode_reply(encode_reply(shown)).timeouts == shown.timeouts);
    CHECK_THROWS_WITH(decode_request("xvs-control/1 request set-timeouts\ntimeouts 1 2 2678401\n"),
                      "control message line 2: field 3 is not a number up to 2678400");
}

TEST_CASE("a listed service carries its persistence engine", "[protocol]") {
    Reply reply;
    ServiceReport report;
    report.status.key = ServiceKey::tcp_udp(Protocol::udp, ip("10.0.0.5"), 5060);
    report.status.scheduler = "rr";
    report.status.persistence = {60, 32, pe_sip};
    reply.services.push_back(report);
    CHECK(decode_reply(encode_reply(reply)).services.at(0).status.persistence.engine == "sip");
    reply.services[0].status.persistence.engine.clear();
    CHECK(decode_reply(encode_reply(reply)).services.at(0).status.persistence.engine.empty());
}

TEST_CASE("a tunnel real's type, port and checksum survive a request and a reply", "[protocol]") {
    Request r;
    r.verb = Verb::add_real;
    r.service = ServiceKey::tcp_udp(Protocol::tcp, ip("10.0.0.1"), 80);
    RealServer real;
    real.key = {ip("10.1.0.2"), 80};
    real.method = ForwardMethod::ipip;
    real.tunnel = {TunnelType::gue, 6080, TunnelChecksum::remcsum};
    r.real = real;
    std::string text = encode_request(r);
    CHECK(text.find(" ipip:gue:6080:remcsum ") != std::string::npos);
    CHECK(decode_request(text) == r);
    r.real->tunnel = {TunnelType::gre, 0, TunnelChecksum::csum};
    CHECK(decode_request(encode_request(r)) == r);
    r.real->tunnel = {};
    CHECK(encode_request(r).find(" ipip 1 ") != std::string::npos);  // as before tunnel types

    Reply reply;
    ServiceReport report;
    report.status.key = *r.service;
    RealStatus rs;
    rs.key = real.key;
    rs.method = ForwardMethod::ipip;
    rs.tunnel = {TunnelType::gre, 0, TunnelChecksum::none};
    report.status.reals.push_back(rs);
    reply.services.push_back(report);
    CHECK(decode_reply(encode_reply(reply)).services.at(0).status.reals.at(0).tunnel == rs.tunnel);
}
