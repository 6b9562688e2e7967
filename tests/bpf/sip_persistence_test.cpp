// Persistence engine sip: the Call-ID of a UDP datagram keys the persistence
// template (with the masked client address, as the kernel's ip_vs_pe_sip),
// and a new flow whose datagram has no Call-ID IPVS would take is dropped.
#include <bpf/bpf.h>

#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <set>
#include <string>

#include "bpf/pinned_cpu.h"
#include "bpf/xdp_fixture.h"

using namespace xvs;
using namespace xvs::test;

namespace {

// An OPTIONS request whose request line and Via header are longer than the
// 28 bytes the search skips, with `header` (a whole line without its CRLF)
// after From and To.
std::string sip_options(const std::string& header) {
    return "OPTIONS sip:100@10.0.0.100 SIP/2.0\r\n"
           "Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK776asdhds\r\n"
           "From: <sip:probe@10.0.0.2>;tag=1928301774\r\n"
           "To: <sip:100@10.0.0.100>\r\n" +
           header +
           "\r\n"
           "CSeq: 1 OPTIONS\r\n"
           "Content-Length: 0\r\n\r\n";
}

PacketSpec datagram(const std::string& payload, uint16_t sport = 5060,
                    const std::string& client = "10.0.0.2") {
    PacketSpec s;
    s.src = ip(client);
    s.dst = ip("10.0.0.100");
    s.proto = 17;
    s.sport = sport;
    s.dport = 5060;
    s.payload.assign(payload.begin(), payload.end());
    return s;
}

PacketSpec call(const std::string& call_id, uint16_t sport,
                const std::string& client = "10.0.0.2") {
    return datagram(sip_options("Call-ID: " + call_id), sport, client);
}

VirtualService sip_service(uint32_t prefix_len = 32) {
    auto svc = make_service(Protocol::udp, "10.0.0.100", 5060,
                            {make_real("10.1.0.2", 5060, ForwardMethod::gate),
                             make_real("10.1.0.3", 5060, ForwardMethod::gate)},
                            "rr");
    svc.persistence = {60, prefix_len, pe_sip};
    return svc;
}

size_t templates(const XdpFixture& f) {
    size_t n = 0;
    for (const auto& c : f.dp.connections()) n += c.is_template;
    return n;
}

}  // namespace

TEST_CASE("pe sip keeps one Call-ID on one real across client ports and rr turns") {
    PinnedToOneCpu pin;
    XdpFixture f;
    f.set(make_model({sip_service()}));
    int first = real_of(f.send(call("a84b4c76e66710@pc33.atlanta.example.com", 20000)));
    REQUIRE(first != 0);
    // Every datagram from a new port is a new flow that rr would send to
    // the other real; the Call-ID's template keeps it.
    for (uint16_t port = 20001; port < 20011; ++port)
        CHECK(real_of(f.send(call("a84b4c76e66710@pc33.atlanta.example.com", port))) == first);
    CHECK(templates(f) == 1);
    CHECK(f.stat(XVS_STAT_PERSIST_HIT) == 10);
}

TEST_CASE("pe sip schedules different Call-IDs of one client independently") {
    PinnedToOneCpu pin;
    XdpFixture f;
    f.set(make_model({sip_service()}));
    std::map<int, int> hits;
    for (uint16_t i = 0; i < 10; ++i)
        hits[real_of(f.send(call("call-" + std::to_string(i), 21000 + i)))]++;
    CHECK(hits[2] == 5);
    CHECK(hits[3] == 5);
    CHECK(templates(f) == 10);
    // And each stays where it went.
    for (uint16_t i = 0; i < 10; ++i) {
        int again = real_of(f.send(call("call-" + std::to_string(i), 22000 + i)));
        int before = real_of(f.send(call("call-" + std::to_string(i), 23000 + i)));
        CHECK(again == before);
    }
}

TEST_CASE("pe sip with netmask 0.0.0.0 keeps one Call-ID on one real from every client address") {
    PinnedToOneCpu pin;
    XdpFixture f;
    f.set(make_model({sip_service(0)}));
    int first = real_of(f.send(call("shared-dialog@example.com", 5060, "10.0.0.2")));
    REQUIRE(first != 0);
    for (int client = 3; client < 10; ++client)
        CHECK(real_of(f.send(call("shared-dialog@example.com", 5060,
                                  "10.0.0." + std::to_string(client)))) == first);
    CHECK(templates(f) == 1);
}

TEST_CASE("pe sip with the default netmask keys templates by client address and Call-ID, as IPVS") {
    PinnedToOneCpu pin;
    XdpFixture f;
    f.set(make_model({sip_service()}));
    // Same Call-ID, two client addresses: two templates, rr's two reals.
    int a = real_of(f.send(call("same@example.com", 5060, "10.0.0.2")));
    int b = real_of(f.send(call("same@example.com", 5060, "10.0.0.3")));
    CHECK(a != 0);
    CHECK(b != 0);
    CHECK(a != b);
    CHECK(templates(f) == 2);
}

TEST_CASE("pe sip takes the compact form i: and header names in any case") {
    PinnedToOneCpu pin;
    XdpFixture f;
    f.set(make_model({sip_service()}));
    int first = real_of(f.send(call("f81d4fae-7dec-11d0-a765-00a0c91e6bf6@foo.bar.com", 30000)));
    REQUIRE(first != 0);
    uint16_t port = 30001;
    for (std::string name :
         {"i:", "I:", "i :", "CALL-ID:", "call-id:", "cAlL-iD\t:", "Call-ID:\t "}) {
        INFO(name);
        CHECK(real_of(f.send(
                  datagram(sip_options(name + " f81d4fae-7dec-11d0-a765-00a0c91e6bf6@foo.bar.com"),
                           port++))) == first);
    }
    // A folded header (RFC 3261 7.3.1), as the kernel follows it.
    CHECK(real_of(f.send(datagram(
              sip_options("Call-ID:\r\n   f81d4fae-7dec-11d0-a765-00a0c91e6bf6@foo.bar.com"),
              port++))) == first);
    CHECK(templates(f) == 1);
    // The value is compared byte for byte: another case is another Call-ID.
    CHECK(real_of(f.send(call("F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6@FOO.BAR.COM", port++))) !=
          first);
    CHECK(templates(f) == 2);
}

TEST_CASE("pe sip drops a new flow's datagram without a Call-ID IPVS would take") {
    PinnedToOneCpu pin;
    XdpFixture f;
    f.set(make_model({sip_service()}));
    uint16_t port = 31000;
    auto dropped = [&](const std::string& payload) {
        INFO(payload);
        XdpRun run = f.send(datagram(payload, port++));
        CHECK(run.action == XDP_DROP);
        return run.action == XDP_DROP;
    };
    uint64_t drops = 0;
    drops += dropped(sip_options("Max-Forwards: 70"));    // none
    drops += dropped(sip_options("Call-ID abc@host"));    // no colon
    drops += dropped(sip_options("Call-IDx: abc@host"));  // the name, then no colon
    drops += dropped(sip_options("i-x: abc@host"));       // compact name, then no colon
    drops += dropped(sip_options("Call-ID: abc@host "));  // not followed by CR or LF
    drops += dropped(sip_options("Call-ID: abc;tag=1"));  // ';' is no word character
    drops += dropped(sip_options("Call-ID: abc@@host"));
    drops += dropped(sip_options("Call-ID: " + std::string(256, 'x')));  // longer than IPVS's 255
    drops += dropped(sip_options("Call-ID:\r\nCSeq: 2 OPTIONS"));  // a line break that is no fold
    drops += dropped("OPTIONS sip:100@10.0.0.100 SIP/2.0\r\nCall-ID: abc");  // runs to the end
    drops += dropped("");
    drops += dropped("x");
    // The search starts 28 bytes into the payload (the IPv4 and UDP header
    // lengths, as the kernel passes them): a Call-ID line that starts before
    // is not seen.
    drops += dropped("A\r\nCall-ID: early@host\r\n");
    CHECK(f.stat(XVS_STAT_DROP_NO_CALL_ID) == drops);
    CHECK(templates(f) == 0);
    CHECK(f.entries("xvs_conns") == 0);

    // The longest Call-ID IPVS takes.
    CHECK(real_of(f.send(call(std::string(255, 'y'), port++))) != 0);
}

TEST_CASE("pe sip searches again past an empty Call-ID value, as the kernel does") {
    PinnedToOneCpu pin;
    XdpFixture f;
    f.set(make_model({sip_service()}));
    int first = real_of(f.send(call("second@host", 32000)));
    REQUIRE(first != 0);
    // An empty value makes the kernel search again from its start offset
    // plus the value's offset: a Call-ID more than 28 bytes further is found.
    std::string payload = sip_options(
        "Call-ID: ;\r\nX-Padding: 0123456789012345678901234567890123456789\r\nCall-ID: "
        "second@host");
    CHECK(real_of(f.send(datagram(payload, 32001))) == first);
    CHECK(templates(f) == 1);
}

TEST_CASE("pe sip finds a Call-ID ending within the bytes it searches, not one past them") {
    PinnedToOneCpu pin;
    XdpFixture f;
    // The frames are longer than 2048 bytes: the reals' link takes them.
    f.net.ip("link set rs0 mtu 4000");
    f.net.ip("link set rs1 mtu 4000");
    f.set(make_model({sip_service()}));
    // Pad so that the Call-ID line begins at payload offset `at`.
    auto padded = [](size_t at, const std::string& value) {
        std::string head = "OPTIONS sip:100@10.0.0.100 SIP/2.0\r\nX-Padding: ";
        std::string pad(at - head.size() - 2, 'p');
        return head + pad + "\r\nCall-ID: " + value + "\r\nContent-Length: 0\r\n\r\n";
    };
    std::string value = "limit-test@host";
    std::string line = "Call-ID: " + value;
    // Ends (its CR) exactly at the last byte searched: found.
    std::string inside = padded(XVS_SIP_SCAN_BYTES - line.size() - 1, value);
    REQUIRE(inside.find("\r\nContent") == XVS_SIP_SCAN_BYTES - 1);
    int first = real_of(f.send(datagram(inside, 33000)));
    CHECK(first != 0);
    // One byte later its terminator is past the limit: not found, dropped.
    std::string split = padded(XVS_SIP_SCAN_BYTES - line.size(), value);
    CHECK(f.send(datagram(split, 33001)).action == XDP_DROP);
    CHECK(f.stat(XVS_STAT_DROP_NO_CALL_ID) == 1);
}

TEST_CASE("pe sip forwards a datagram without a Call-ID on a flow that has its entry") {
    PinnedToOneCpu pin;
    XdpFixture f;
    f.set(make_model({sip_service()}));
    int first = real_of(f.send(call("dialog@host", 34000)));
    REQUIRE(first != 0);
    // IPVS looks up the connection before it schedules: the engine never runs.
    CHECK(real_of(f.send(datagram("keep-alive\r\n\r\n", 34000))) == first);
    CHECK(f.stat(XVS_STAT_DROP_NO_CALL_ID) == 0);
}

TEST_CASE("pe sip: random and cut payloads are forwarded or dropped, never passed or crashed") {
    PinnedToOneCpu pin;
    XdpFixture f;
    f.set(make_model({sip_service()}));
    std::mt19937 rng(5060);
    const std::string alphabet = "Call-ID:i \t\r\n@abc;x";
    std::string good = sip_options("Call-ID: fuzz@host");
    uint16_t port = 1024;
    for (int n = 0; n < 600; ++n) {
        std::string payload;
        if (n < 200) {
            payload = good.substr(0, rng() % (good.size() + 1));  // cut anywhere
        } else {
            size_t len = rng() % 400;
            for (size_t i = 0; i < len; ++i)
                payload +=
                    n % 2 ? alphabet[rng() % alphabet.size()] : static_cast<char>(rng() & 0xff);
        }
        XdpRun run = f.send(datagram(payload, port++));
        bool forwarded = real_of(run) != 0;
        INFO(payload);
        CHECK((run.action == XDP_DROP || forwarded));
    }
}

TEST_CASE(
    "pe sip: a flow's datagrams keep their Call-ID's template alive, as IPVS's controlled "
    "connections do") {
    PinnedToOneCpu pin;
    XdpFixture f;
    f.set(make_model({sip_service()}));
    int first = real_of(f.send(call("long-dialog@host", 35000)));
    REQUIRE(first != 0);
    int conns = f.dp.map_fd("xvs_conns"), persist = f.dp.map_fd("xvs_persist");
    // 59 of the template's 60 s pass; the flow sends (its entry is old enough
    // to be refreshed), then 2 s more: the template lives.
    age_all<xvs_conn_key, xvs_conn>(conns, 59 * XVS_NS_PER_SEC);
    age_all<xvs_persist_key, xvs_persist>(persist, 59 * XVS_NS_PER_SEC);
    CHECK(real_of(f.send(call("long-dialog@host", 35000))) == first);
    age_all<xvs_persist_key, xvs_persist>(persist, 2 * XVS_NS_PER_SEC);
    CHECK(real_of(f.send(call("long-dialog@host", 35001))) == first);
    CHECK(f.stat(XVS_STAT_PERSIST_HIT) == 1);
    // A datagram of the flow with another Call-ID makes no template for it.
    CHECK(real_of(f.send(call("other@host", 35000))) == first);
    CHECK(templates(f) == 1);
    // Unrefreshed, the template expires: rr's other real takes the Call-ID.
    age_all<xvs_persist_key, xvs_persist>(persist, 61 * XVS_NS_PER_SEC);
    int after = real_of(f.send(call("long-dialog@host", 35002)));
    CHECK(after != 0);
    CHECK(after != first);
}
