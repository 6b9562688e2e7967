// AddressFilter: the reference-counted bit words behind the program's
// address filter (the program side is tested in tests/bpf).
#include <catch2/catch.hpp>

#include "dataplane/xdp/address_filter.h"

namespace xvs {
namespace {

IpAddress addr(const char* text) { return *IpAddress::parse(text); }

VirtualService nat_service(const char* vip, std::initializer_list<const char*> reals,
                           ForwardMethod method = ForwardMethod::masq) {
    VirtualService svc;
    svc.key = ServiceKey::tcp_udp(Protocol::tcp, addr(vip), 80);
    for (const char* r : reals) {
        RealServer real;
        real.key = RealKey{addr(r), 8080};
        real.method = method;
        svc.reals[real.key] = real;
    }
    return svc;
}

bool has(const AddressFilter& f, uint32_t set, const char* a) {
    auto [index, mask] = AddressFilter::position_of({set, addr(a)});
    return (f.word(index) & mask) != 0;
}

TEST_CASE("a service sets its VIP as destination and its NAT reals as sources") {
    AddressFilter f;
    auto changed = f.add(AddressFilter::entries_of(nat_service("10.0.0.100", {"10.1.0.2", "10.1.0.3"})));
    CHECK(!changed.empty());
    CHECK(has(f, XVS_ADDR_FILTER_DST, "10.0.0.100"));
    CHECK(has(f, XVS_ADDR_FILTER_SRC, "10.1.0.2"));
    CHECK(has(f, XVS_ADDR_FILTER_SRC, "10.1.0.3"));
    CHECK_FALSE(has(f, XVS_ADDR_FILTER_SRC, "10.0.0.100"));
    CHECK_FALSE(has(f, XVS_ADDR_FILTER_DST, "10.1.0.2"));
}

TEST_CASE("DR and TUN reals are not sources: their replies never cross the director") {
    AddressFilter f;
    f.add(AddressFilter::entries_of(nat_service("10.0.0.100", {"10.1.0.2"}, ForwardMethod::gate)));
    f.add(AddressFilter::entries_of(nat_service("10.0.0.101", {"10.1.0.3"}, ForwardMethod::ipip)));
    CHECK_FALSE(has(f, XVS_ADDR_FILTER_SRC, "10.1.0.2"));
    CHECK_FALSE(has(f, XVS_ADDR_FILTER_SRC, "10.1.0.3"));
}

TEST_CASE("a fwmark service sets its match= addresses") {
    VirtualService svc;
    svc.key = ServiceKey::mark(100, Family::v6);
    MatchRule m;
    m.address = addr("fd00::100");
    m.port = 80;
    svc.matches.push_back(m);
    AddressFilter f;
    f.add(AddressFilter::entries_of(svc));
    CHECK(has(f, XVS_ADDR_FILTER_DST, "fd00::100"));
}

TEST_CASE("a bit stays while any service still needs it") {
    AddressFilter f;
    auto a = AddressFilter::entries_of(nat_service("10.0.0.100", {"10.1.0.2"}));
    auto b = AddressFilter::entries_of(nat_service("10.0.0.100", {"10.1.0.2"}));
    f.add(a);
    CHECK(f.add(b).empty());  // nothing new to write
    CHECK(f.remove(a).empty());
    CHECK(has(f, XVS_ADDR_FILTER_DST, "10.0.0.100"));
    auto cleared = f.remove(b);
    CHECK(cleared.size() == 2);
    CHECK_FALSE(has(f, XVS_ADDR_FILTER_DST, "10.0.0.100"));
    CHECK_FALSE(has(f, XVS_ADDR_FILTER_SRC, "10.1.0.2"));
}

TEST_CASE("removing what was never added is a logic error, not a silent clear") {
    AddressFilter f;
    CHECK_THROWS_WITH(f.remove(AddressFilter::entries_of(nat_service("10.0.0.100", {}))),
                      Catch::Contains("10.0.0.100"));
}

TEST_CASE("the bits of a thousand VIPs spread over the words") {
    AddressFilter f;
    std::set<uint32_t> words;
    for (int i = 0; i < 1000; ++i) {
        std::string vip = "10." + std::to_string(i / 250) + "." + std::to_string(i % 250) + ".1";
        for (uint32_t w : f.add({{XVS_ADDR_FILTER_DST, addr(vip.c_str())}})) words.insert(w);
    }
    // Consecutive VIPs must not pile into a few words (that would make the
    // filter useless for the addresses next to them).
    CHECK(words.size() > 500);
}

}  // namespace
}  // namespace xvs
