#include <catch2/catch.hpp>
#include <cstdio>

#include "cli/listing.h"
#include "listing_golden.h"

using namespace xvs;
using namespace xvs::cli;
using control::ServiceReport;

namespace {

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

RealStatus real(const char* addr, uint16_t port, ForwardMethod m, uint32_t weight,
                uint32_t active = 0, uint32_t inactive = 0) {
    RealStatus r;
    r.key = {ip(addr), port};
    r.method = m;
    r.weight = weight;
    r.active_connections = active;
    r.inactive_connections = inactive;
    return r;
}

ServiceReport seed_fwmark_service() {
    ServiceReport s;
    s.status.key = ServiceKey::mark(100, Family::v4);
    s.status.scheduler = "wrr";
    s.status.persistence = {360, 32};
    // Data-plane order differs from ipvsadm's sorted order on purpose.
    s.status.reals = {real("192.168.239.133", 0, ForwardMethod::masq, 2, 3, 4),
                      real("192.168.239.129", 0, ForwardMethod::masq, 1)};
    return s;
}

// Five services in an order ipvsadm's sort must change.
std::vector<ServiceReport> mixed_services() {
    std::vector<ServiceReport> all;
    all.push_back(seed_fwmark_service());

    ServiceReport v6mark;
    v6mark.status.key = ServiceKey::mark(7, Family::v6);
    v6mark.status.scheduler = "wrr";
    v6mark.status.persistence = {0, 128};
    all.push_back(v6mark);

    ServiceReport v6;
    v6.status.key = ServiceKey::tcp_udp(Protocol::tcp, ip("2001:db8::1"), 443);
    v6.status.scheduler = "sh";
    v6.status.scheduler_flags = {"sh-fallback", "sh-port"};
    v6.status.persistence = {300, 64};
    v6.status.reals = {real("2001:db8::10", 443, ForwardMethod::gate, 1)};
    all.push_back(v6);

    ServiceReport udp;
    udp.status.key = ServiceKey::tcp_udp(Protocol::udp, ip("192.168.0.105"), 53);
    udp.status.scheduler = "wrr";
    udp.status.persistence = {30, 32};
    udp.status.one_packet = true;
    udp.status.reals = {real("10.0.1.2", 53, ForwardMethod::ipip, 1, 0, 7)};
    all.push_back(udp);

    ServiceReport tcp;
    tcp.status.key = ServiceKey::tcp_udp(Protocol::tcp, ip("10.0.0.1"), 80);
    tcp.status.scheduler = "rr";
    tcp.status.persistence = {60, 24};
    tcp.status.reals = {real("10.0.1.1", 8080, ForwardMethod::masq, 5, 1, 2)};
    all.push_back(tcp);
    return all;
}

ServiceReport counted_service() {
    ServiceReport s = seed_fwmark_service();
    s.status.reals.pop_back();
    s.status.reals[0] = real("192.168.239.129", 0, ForwardMethod::masq, 1);
    s.status.counters = {5, 123456789, 99999999, 12345678901ULL, 123456789012345ULL};
    s.status.reals[0].counters = {1, 5000000000000ULL, 100000000, 999999999, 0};
    return s;
}

}  // namespace

TEST_CASE("the default listing matches ipvsadm -Ln, sorted as ipvsadm sorts", "[listing]") {
    CHECK(format_table(mixed_services(), {}) == golden_standard);
}

TEST_CASE("the stats listing scales large counters to K, M, G and T", "[listing]") {
    ListingFormat f;
    f.columns = ListingColumns::stats;
    CHECK(format_table({counted_service()}, f) == golden_stats);
}

TEST_CASE("the exact listing prints every digit, widening the column as ipvsadm does", "[listing]") {
    ListingFormat f;
    f.columns = ListingColumns::stats;
    f.exact = true;
    CHECK(format_table({counted_service()}, f) == golden_exact);
}

TEST_CASE("the rate listing prints service and real rates", "[listing]") {
    ServiceReport s = counted_service();
    s.rates = {3, 400, 380, 250000000, 1000};
    s.real_rates[s.status.reals[0].key] = {3, 400, 380, 250000000, 1000};
    ListingFormat f;
    f.columns = ListingColumns::rate;
    CHECK(format_table({s}, f) == golden_rate);
}

TEST_CASE("the thresholds and persistent-conn listings have their own columns", "[listing]") {
    ServiceReport s = counted_service();
    s.status.reals[0].upper_threshold = 100;
    s.status.reals[0].lower_threshold = 10;
    ListingFormat f;
    f.columns = ListingColumns::thresholds;
    CHECK(format_table({s}, f) == golden_thresholds);

    s.status.reals[0].persistent_connections = 13;
    s.status.reals[0].active_connections = 2;
    s.status.reals[0].inactive_connections = 1;
    f.columns = ListingColumns::persistent_conn;
    CHECK(format_table({s}, f) == golden_persistent_conn);
}

TEST_CASE("an unsorted listing keeps the data plane's order of services and reals", "[listing]") {
    ListingFormat f;
    f.sort = false;
    std::string text = format_table({seed_fwmark_service()}, f);
    CHECK(text.find("192.168.239.133:0") < text.find("192.168.239.129:0"));
    auto all = mixed_services();
    text = format_table(all, f);
    CHECK(text.find("FWM  100") < text.find("TCP  10.0.0.1:80"));
}

TEST_CASE("sorting keeps ipvsadm's wrap-around on addresses 2^31 apart", "[listing]") {
    // ipvsadm returns (int)(a - b) of host-order addresses: 10.0.0.1 - 192.168.0.1
    // wraps to a positive int, so ipvsadm lists 192.168.0.1 first.
    ServiceReport low, high;
    low.status.key = ServiceKey::tcp_udp(Protocol::tcp, ip("10.0.0.1"), 80);
    low.status.scheduler = "wlc";
    high.status.key = ServiceKey::tcp_udp(Protocol::tcp, ip("192.168.0.1"), 80);
    high.status.scheduler = "wlc";
    std::string text = format_table({low, high}, {});
    CHECK(text.find("192.168.0.1:80") < text.find("10.0.0.1:80"));
    ServiceReport near;
    near.status.key = ServiceKey::tcp_udp(Protocol::tcp, ip("10.0.0.2"), 80);
    near.status.scheduler = "wlc";
    text = format_table({near, low}, {});
    CHECK(text.find("10.0.0.1:80") < text.find("10.0.0.2:80"));
}

TEST_CASE("a single service is listed without the version line", "[listing]") {
    std::string text = format_one_service(seed_fwmark_service(), {});
    CHECK(text.rfind("Prot LocalAddress:Port Scheduler Flags\n", 0) == 0);
    CHECK(text.find("FWM  100 wrr persistent 360\n") != std::string::npos);
}

TEST_CASE("the connection table matches ipvsadm -Lnc, templates as IP/NONE", "[listing]") {
    std::vector<ConnectionEntry> conns(3);
    conns[0] = {Protocol::tcp, ip("10.0.0.7"), 40000, ip("192.168.0.105"), 80,
                ip("192.168.239.129"), 80, "ESTABLISHED", 899, false};
    conns[1] = {Protocol::fwmark, ip("10.0.0.7"), 0, ip("0.0.0.100"), 0,
                ip("192.168.239.129"), 0, "NONE", 359, true};
    conns[2] = {Protocol::udp, ip("2001:db8::7"), 5353, ip("2001:db8::1"), 53,
                ip("2001:db8::10"), 53, "UDP", 7200, false};
    CHECK(format_connections(conns, false) == golden_connections);
}

TEST_CASE("the connection table with --persistent-conn has ipvsadm's pe columns, empty", "[listing]") {
    ConnectionEntry c{Protocol::tcp, ip("10.0.0.7"), 40000, ip("192.168.0.105"), 80,
                      ip("192.168.239.129"), 80, "ESTABLISHED", 6001, false};
    // ipvsadm's own format string for the row, with its empty pe name and data.
    char row[256];
    std::snprintf(row, sizeof row, "%-3s %-6s %-11s %-18s %-18s %-18s %-16s %s\n", "TCP", "100:01", "ESTABLISHED",
                  "10.0.0.7:40000", "192.168.0.105:80", "192.168.239.129:80", "", "");
    CHECK(format_connection_rows({c}, true) == row);
    CHECK(format_connection_title(true) ==
          "IPVS connection entries\n"
          "pro expire state       source             virtual            destination        pe name          pe_data\n");
}

TEST_CASE("large numbers switch unit exactly at ipvsadm's thresholds", "[listing]") {
    CHECK(format_large_number(99999999, false) == " 99999999");
    CHECK(format_large_number(100000000, false) == "  100000K");
    CHECK(format_large_number(999999999, false) == "  999999K");
    CHECK(format_large_number(1000000000, false) == "    1000M");
    CHECK(format_large_number(99999999999ULL, false) == "   99999M");
    CHECK(format_large_number(100000000000ULL, false) == "     100G");
    CHECK(format_large_number(100000000000000ULL, false) == "     100T");
    CHECK(format_large_number(12345678, true) == " 12345678");
    CHECK(format_large_number(123456789, true) == " 123456789");
}

TEST_CASE("the save listing prints the rules as ipvsadm commands", "[listing]") {
    std::string text = format_rules(mixed_services(), true);
    CHECK(text ==
          "-A -t 10.0.0.1:80 -s rr -p 60 -M 255.255.255.0\n"
          "-a -t 10.0.0.1:80 -r 10.0.1.1:8080 -m -w 5\n"
          "-A -u 192.168.0.105:53 -s wrr -p 30 -o\n"
          "-a -u 192.168.0.105:53 -r 10.0.1.2:53 -i -w 1 --tun-type ipip\n"
          "-A -t [2001:db8::1]:443 -s sh -b sh-fallback,sh-port -p 300 -M 64\n"
          "-a -t [2001:db8::1]:443 -r [2001:db8::10]:443 -g -w 1\n"
          "-A -f 7 -6 -s wrr\n"
          "-A -f 100 -s wrr -p 360\n"
          "-a -f 100 -r 192.168.239.129:0 -m -w 1\n"
          "-a -f 100 -r 192.168.239.133:0 -m -w 2\n");
}

TEST_CASE("a persistence engine is listed and saved as ipvsadm prints it", "[listing]") {
    ServiceReport sip;
    sip.status.key = ServiceKey::tcp_udp(Protocol::udp, ip("10.0.0.5"), 5060);
    sip.status.scheduler = "rr";
    sip.status.persistence = {60, 24, pe_sip};
    sip.status.reals = {real("10.0.1.7", 5060, ForwardMethod::gate, 1)};
    ListingFormat numeric;
    CHECK(format_one_service(sip, numeric).find("\nUDP  10.0.0.5:5060 rr persistent 60 mask 255.255.255.0 pe sip\n") !=
          std::string::npos);
    CHECK(format_rules({sip}, true) ==
          "-A -u 10.0.0.5:5060 -s rr -p 60 -M 255.255.255.0 --pe sip\n"
          "-a -u 10.0.0.5:5060 -r 10.0.1.7:5060 -g -w 1\n");
}

namespace {

// A service with one real of each tunnel type and a DR real (ipvsadm's "n/a").
ServiceReport tunnel_service() {
    ServiceReport s;
    s.status.key = ServiceKey::tcp_udp(Protocol::tcp, ip("207.175.44.110"), 80);
    s.status.scheduler = "rr";
    s.status.persistence = {0, 32};
    RealStatus gue = real("192.168.10.1", 80, ForwardMethod::ipip, 1, 2, 3);
    gue.tunnel = {TunnelType::gue, 6080, TunnelChecksum::csum};
    RealStatus gre = real("192.168.10.2", 80, ForwardMethod::ipip, 2);
    gre.tunnel = {TunnelType::gre, 0, TunnelChecksum::none};
    RealStatus remcsum = real("192.168.10.3", 80, ForwardMethod::ipip, 3);
    remcsum.tunnel = {TunnelType::gue, 6079, TunnelChecksum::remcsum};
    RealStatus ipip = real("192.168.10.4", 80, ForwardMethod::ipip, 4);
    RealStatus dr = real("192.168.10.5", 80, ForwardMethod::gate, 5);
    s.status.reals = {gue, gre, remcsum, ipip, dr};
    return s;
}

}  // namespace

TEST_CASE("the tun-info listing has ipvsadm's TunnelInfo column", "[listing]") {
    ListingFormat f;
    f.columns = ListingColumns::tunnel_info;
    CHECK(format_one_service(tunnel_service(), f) ==
          "Prot LocalAddress:Port Scheduler Flags\n"
          "  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n"
          "TCP  207.175.44.110:80 rr\n"
          "  -> 192.168.10.1:80              Tunnel  gue:6080:+c   1      2          3         \n"
          "  -> 192.168.10.2:80              Tunnel  gre:-c        2      0          0         \n"
          "  -> 192.168.10.3:80              Tunnel  gue:6079:r+c  3      0          0         \n"
          "  -> 192.168.10.4:80              Tunnel  ipip          4      0          0         \n"
          "  -> 192.168.10.5:80              Route   n/a           5      0          0         \n");
}

TEST_CASE("the save listing names each tunnel real's type, port and checksum as ipvsadm 1.31", "[listing]") {
    CHECK(format_rules({tunnel_service()}, true) ==
          "-A -t 207.175.44.110:80 -s rr\n"
          "-a -t 207.175.44.110:80 -r 192.168.10.1:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum\n"
          "-a -t 207.175.44.110:80 -r 192.168.10.2:80 -i -w 2 --tun-type gre --tun-nocsum\n"
          "-a -t 207.175.44.110:80 -r 192.168.10.3:80 -i -w 3 --tun-type gue --tun-port 6079 --tun-remcsum\n"
          "-a -t 207.175.44.110:80 -r 192.168.10.4:80 -i -w 4 --tun-type ipip\n"
          "-a -t 207.175.44.110:80 -r 192.168.10.5:80 -g -w 5\n");
}
