// The checker against real servers on loopback.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "health/health_checker.h"
#include "checker_support.h"
#include "local_servers.h"

using namespace xvs;
using namespace xvs::test;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

namespace {

// A port nothing listens on: bound, never listened, held until the test ends.
struct ClosedPort {
    UniqueFd fd;
    uint16_t port = 0;
    explicit ClosedPort(Family family) {
        auto addr = loopback(family);
        fd.reset(::socket(addr.af(), SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_storage ss{};
        socklen_t len = family == Family::v6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
        ss.ss_family = static_cast<sa_family_t>(addr.af());
        if (family == Family::v6)
            reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr = in6addr_loopback;
        else
            reinterpret_cast<sockaddr_in*>(&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) == 0);
        getsockname(fd.get(), reinterpret_cast<sockaddr*>(&ss), &len);
        port = ntohs(family == Family::v6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                          : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
    }
};

LocalTcpServer::Handler http_handler(std::string response, std::shared_ptr<std::vector<std::string>> requests = {}) {
    auto mutex = std::make_shared<std::mutex>();
    return [response, requests, mutex](int fd, LocalTcpServer&) {
        std::string request = read_http_request(fd);
        if (requests) {
            std::lock_guard lock(*mutex);
            requests->push_back(request);
        }
        write_all(fd, response);
    };
}

}  // namespace

TEST_CASE("connect check is up against a listening port, v4 and v6") {
    auto family = GENERATE(Family::v4, Family::v6);
    LocalTcpServer server(family);
    auto c = first_result(connect_spec(server.address(), server.port()));
    CHECK(c.up);
    CHECK(c.first);
    CHECK(c.round == 1);
    CHECK(c.reason == "connected");
    // The kernel completes the handshake before the server thread accepts.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (server.accepted() == 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    CHECK(server.accepted() >= 1);
}

TEST_CASE("connect check to a closed port is down with connection refused") {
    ClosedPort closed(Family::v4);
    auto c = first_result(connect_spec(loopback(Family::v4), closed.port));
    CHECK_FALSE(c.up);
    CHECK(c.first);
    CHECK(c.reason == "connection refused");
}

TEST_CASE("http check is up on 2xx with a matching body") {
    auto requests = std::make_shared<std::vector<std::string>>();
    LocalTcpServer server(Family::v4, http_handler("HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<p>This web is OK</p>\n", requests));
    auto spec = negotiate_spec("http", server.address(), server.port());
    spec.request = "check.html";
    spec.receive = "This web is OK";
    spec.virtualhost = "www.example.test";
    auto c = first_result(spec);
    CHECK(c.up);
    CHECK(c.reason == "HTTP status 200 OK");
    REQUIRE(!requests->empty());
    CHECK_THAT(requests->front(), StartsWith("GET /check.html HTTP/1.0\r\n"));
    CHECK_THAT(requests->front(), Contains("Host: www.example.test\r\n"));
}

TEST_CASE("http check is down on 404 with the status as reason") {
    LocalTcpServer server(Family::v6, http_handler("HTTP/1.1 404 Not Found\r\nContent-Length: 14\r\n\r\nThis web is OK"));
    auto spec = negotiate_spec("http", server.address(), server.port());
    spec.receive = "This web is OK";
    auto c = first_result(spec);
    CHECK_FALSE(c.up);
    CHECK(c.reason == "HTTP status 404 Not Found");
}

TEST_CASE("http check is down when the body does not match receive") {
    LocalTcpServer server(Family::v4, http_handler("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nmaintenance"));
    auto spec = negotiate_spec("http", server.address(), server.port());
    spec.receive = "This web is OK";
    auto c = first_result(spec);
    CHECK_FALSE(c.up);
    CHECK_THAT(c.reason, StartsWith("receive did not match"));
}

TEST_CASE("http HEAD check sends HEAD and judges the status alone") {
    auto requests = std::make_shared<std::vector<std::string>>();
    // Content-Length without a body, as a HEAD answer has.
    LocalTcpServer server(Family::v4, http_handler("HTTP/1.1 204 No Content\r\nContent-Length: 500\r\n\r\n", requests));
    auto spec = negotiate_spec("http", server.address(), server.port());
    spec.httpmethod = "HEAD";
    auto c = first_result(spec);
    CHECK(c.up);
    REQUIRE(!requests->empty());
    CHECK_THAT(requests->front(), StartsWith("HEAD / HTTP/1.0\r\n"));
}

TEST_CASE("https check completes TLS without verification and sends SNI") {
    SelfSignedTls tls;
    auto sni = std::make_shared<std::string>();
    LocalTcpServer server(Family::v4, tls_http_handler(tls.ctx, "HTTP/1.0 200 OK\r\n\r\nsecure OK\n", sni));
    auto spec = negotiate_spec("https", server.address(), server.port());
    spec.receive = "secure OK";
    spec.virtualhost = "secure.example.test";
    auto c = first_result(spec);
    CHECK(c.up);
    CHECK(c.reason == "HTTP status 200 OK");
    CHECK(*sni == "secure.example.test");
}

TEST_CASE("https check against a plain TCP server fails the handshake") {
    // Speaks first and hangs up, as an SSH or SMTP server would.
    LocalTcpServer server(Family::v4, [](int fd, LocalTcpServer&) { write_all(fd, "SSH-2.0-OpenSSH_9.2\r\n"); });
    auto spec = negotiate_spec("https", server.address(), server.port());
    auto c = first_result(spec);
    CHECK_FALSE(c.up);
    CHECK_THAT(c.reason, StartsWith("TLS handshake failed"));
}

TEST_CASE("simpletcp check sends the request and matches a reply line") {
    auto received = std::make_shared<std::string>();
    LocalTcpServer server(Family::v4, [received](int fd, LocalTcpServer&) {
        std::string got;
        char buf[256];
        ssize_t n;
        while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) got.append(buf, static_cast<size_t>(n));  // until SHUT_WR
        *received = got;
        write_all(fd, "hello\n+PONG ready\n");
    });
    auto spec = negotiate_spec("simpletcp", server.address(), server.port());
    spec.request = "PING\\n";
    spec.receive = "^\\+PONG";
    auto c = first_result(spec);
    CHECK(c.up);
    CHECK(*received == "PING\n");
}

TEST_CASE("dns check over UDP is up when the A record matches receive") {
    UdpDnsResponder dns("www.example.test", "192.0.2.10");
    auto spec = negotiate_spec("dns", loopback(Family::v4), dns.port());
    spec.l4 = Protocol::udp;
    spec.request = "www.example.test";
    spec.receive = "192.0.2.10";
    auto wrong = spec;
    wrong.receive = "198.51.100.1";
    auto missing = spec;
    missing.request = "nope.example.test";
    auto first = first_results({{1, spec}, {2, wrong}, {3, missing}});
    CHECK(first.at(1).up);
    CHECK_FALSE(first.at(2).up);
    CHECK(first.at(2).reason == "receive did not match the DNS answer");
    CHECK_FALSE(first.at(3).up);
    CHECK(first.at(3).reason == "DNS error NXDOMAIN");
}

TEST_CASE("dns check over TCP frames the query for a TCP virtual") {
    LocalTcpServer server(Family::v4, [](int fd, LocalTcpServer&) {
        std::string got;
        char buf[512];
        while (got.size() < 2 || got.size() < 2u + (static_cast<uint8_t>(got[0]) << 8 | static_cast<uint8_t>(got[1]))) {
            ssize_t n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) return;
            got.append(buf, static_cast<size_t>(n));
        }
        std::string reply = dns_answer(got.substr(2), "tcp.example.test", "192.0.2.20");
        std::string framed{static_cast<char>(reply.size() >> 8), static_cast<char>(reply.size() & 0xff)};
        write_all(fd, framed + reply);
    });
    auto spec = negotiate_spec("dns", server.address(), server.port());
    spec.request = "tcp.example.test";
    spec.receive = "^192\\.0\\.2\\.20$";
    auto c = first_result(spec);
    CHECK(c.up);
    CHECK(c.reason == "DNS answer 192.0.2.20");
}

TEST_CASE("a server that never answers times out with the phase in the reason") {
    LocalTcpServer server(Family::v4, [](int, LocalTcpServer& self) { self.wait_for_stop(30); });
    auto spec = negotiate_spec("http", server.address(), server.port());
    spec.negotiate_timeout_s = 0.5;
    auto c = first_result(spec);
    CHECK_FALSE(c.up);
    CHECK(c.reason == "timeout after 0.5s while waiting for the reply");
    CHECK(c.latency_s >= 0.5);
}

TEST_CASE("failurecount=3 needs three consecutive failed rounds, failurecount=1 one") {
    // One check, two subscribers: the probe runs once per round for both, so
    // the round numbers of their down transitions differ by exactly two.
    auto server = std::make_unique<LocalTcpServer>(Family::v4);
    auto address = server->address();
    uint16_t port = server->port();
    auto spec = connect_spec(address, port);
    spec.interval_s = 0.1;
    auto strict = spec;
    spec.failurecount = 1;
    strict.failurecount = 3;
    RunningChecker running({{1, spec}, {3, strict}});
    auto& [checker, log] = running;
    REQUIRE(running.wait_for_each({1, 3}));
    REQUIRE(log.of(1)[0].up);
    REQUIRE(log.of(3)[0].up);
    server.reset();  // the port now refuses connections
    auto down1 = log.wait_for(1, 2);
    auto down3 = log.wait_for(3, 2);
    REQUIRE(down1);
    REQUIRE(down3);
    CHECK_FALSE(down1->up);
    CHECK_FALSE(down3->up);
    CHECK(down3->round == down1->round + 2);
    CHECK(down3->reason == "connection refused");
    CHECK(checker.stats().checks == 1);
}

TEST_CASE("a subscriber assumed up counts failurecount from up and reports no first success") {
    // Subscribers 1 and 2 share one check of a refusing port; 1 is assumed up
    // (a real a restarted daemon found serving) with failurecount=3, 2 starts
    // unknown. 2 reports down at its first round, 1 only two rounds later.
    auto refused = std::make_unique<LocalTcpServer>(Family::v4);
    auto spec = connect_spec(refused->address(), refused->port());
    refused.reset();
    spec.interval_s = 0.1;
    auto assumed = spec;
    assumed.failurecount = 3;
    // And 3, assumed up on a port that answers, reports nothing at all.
    LocalTcpServer server(Family::v4);
    auto alive = connect_spec(server.address(), server.port());
    alive.interval_s = 0.1;
    RunningChecker running({{1, assumed}, {2, spec}, {3, alive}, {4, alive}}, {1, 3});
    auto& log = running.log;
    REQUIRE(running.wait_for_each({1, 2, 4}));
    auto first1 = log.of(1).at(0), first2 = log.of(2).at(0);
    CHECK_FALSE(first1.up);
    CHECK_FALSE(first2.up);
    CHECK(first1.round == first2.round + 2);
    // By now the answering check has run several rounds too (same interval).
    CHECK(log.of(4).at(0).up);
    CHECK(log.of(3).empty());
}

TEST_CASE("identical checks of two subscribers run once per round") {
    LocalTcpServer server(Family::v4);
    auto spec = connect_spec(server.address(), server.port());
    spec.interval_s = 0.1;
    auto other_virtual = spec;
    other_virtual.failurecount = 2;  // not part of what is probed
    RunningChecker running({{10, spec}, {20, other_virtual}});
    auto& [checker, log] = running;
    REQUIRE(running.wait_for_each({10, 20}));
    // Let a few more rounds run, then compare probes with accepted connections.
    auto rounds_before = checker.stats().probes_finished;
    REQUIRE(log.wait([&](const ChangeLog&) { return checker.stats().probes_finished >= rounds_before + 3; }));
    checker.stop();
    auto stats = checker.stats();
    CHECK(stats.checks == 1);
    CHECK(stats.subscribers == 2);
    // Every accept comes from one probe; the server may not have accepted the
    // last connection yet, but never more than probes started.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (server.accepted() < stats.probes_finished && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    CHECK(server.accepted() == stats.probes_finished);
    CHECK(stats.probes_finished == stats.probes_started);
}

TEST_CASE("replacing the set keeps the state of unchanged checks and resets changed ones") {
    LocalTcpServer server(Family::v4);
    ClosedPort closed(Family::v4);
    auto good = connect_spec(server.address(), server.port());
    RunningChecker running({{1, good}, {2, good}});
    auto& [checker, log] = running;
    REQUIRE(running.wait_for_each({1, 2}));
    auto moved = connect_spec(loopback(Family::v4), closed.port);
    checker.set_checks({{1, good}, {2, moved}, {3, good}});
    // 3 joins a check that already has a result: it gets it at once.
    auto third = log.wait_for(3);
    REQUIRE(third);
    CHECK(third->up);
    CHECK(third->first);
    auto second = log.wait_for(2, 2);
    REQUIRE(second);
    CHECK_FALSE(second->up);
    CHECK(second->first);  // a changed spec starts from unknown
    // Subscriber 1 kept its state: no second "first" report.
    size_t firsts = 0;
    for (const auto& c : log.of(1)) firsts += c.first;
    CHECK(firsts == 1);
    CHECK(checker.stats().checks == 2);
}

TEST_CASE("checktype on is up and off is down without probing") {
    CheckSpec on;
    on.type = CheckSpec::Type::on;
    CheckSpec off;
    off.type = CheckSpec::Type::off;
    CheckSpec none;
    none.type = CheckSpec::Type::negotiate;
    none.service = "none";
    RunningChecker running({{1, on}, {2, off}, {3, none}});
    auto& [checker, log] = running;
    REQUIRE(running.wait_for_each({1, 2, 3}));
    CHECK(log.of(1)[0].up);
    CHECK(log.of(1)[0].reason == "checktype=on");
    CHECK_FALSE(log.of(2)[0].up);
    CHECK(log.of(2)[0].reason == "checktype=off");
    CHECK(log.of(3)[0].up);
    CHECK(checker.stats().probes_started == 0);
}

TEST_CASE("checktype=N runs N connect rounds between negotiate rounds") {
    auto kinds = std::make_shared<std::vector<char>>();  // 'n' = HTTP request, 'c' = bare connect
    auto mutex = std::make_shared<std::mutex>();
    LocalTcpServer server(Family::v4, [kinds, mutex](int fd, LocalTcpServer&) {
        std::string request = read_http_request(fd);
        {
            std::lock_guard lock(*mutex);
            kinds->push_back(request.empty() ? 'c' : 'n');
        }
        if (!request.empty()) write_all(fd, "HTTP/1.0 200 OK\r\n\r\nOK");
    });
    auto spec = negotiate_spec("http", server.address(), server.port());
    spec.type = CheckSpec::Type::combined;
    spec.connect_then_negotiate_every = 2;
    spec.interval_s = 0.05;
    RunningChecker running({{1, spec}});
    auto& [checker, log] = running;
    REQUIRE(log.wait([&](const ChangeLog&) {
        std::lock_guard lock(*mutex);
        return kinds->size() >= 6;
    }));
    checker.stop();
    std::lock_guard lock(*mutex);
    CHECK(std::string(kinds->begin(), kinds->begin() + 6) == "nccncc");
}

TEST_CASE("external check: exit 0 is up, other exits are down") {
    CheckSpec ok;
    ok.type = CheckSpec::Type::external;
    ok.checkcommand = "/bin/true";
    ok.address = loopback(Family::v4);
    ok.port = 80;
    ok.interval_s = 0.2;
    auto bad = ok;
    bad.checkcommand = "/bin/false";
    auto missing = ok;
    missing.checkcommand = "/nonexistent/xvs-check";
    auto first = first_results({{1, ok}, {2, bad}, {3, missing}});
    CHECK(first.at(1).up);
    CHECK_FALSE(first.at(2).up);
    CHECK(first.at(2).reason == "/bin/false exit status 1");
    CHECK_FALSE(first.at(3).up);
}

TEST_CASE("external check gets ldirectord's four arguments") {
    TempDir dir;
    std::string out = dir.path() + "/args";
    std::string script = dir.write_file("check.sh", "#!/bin/sh\necho \"$1 $2 $3 $4\" > " + out + "\n", true);
    CheckSpec spec;
    spec.type = CheckSpec::Type::external;
    spec.checkcommand = script;
    spec.virtual_host_arg = "192.168.0.105";
    spec.virtual_port_arg = "80";
    spec.address = *IpAddress::parse("192.168.239.129");
    spec.port = 8080;
    spec.interval_s = 5;
    auto c = first_result(spec);
    CHECK(c.up);
    std::ifstream in(out);
    std::string line;
    std::getline(in, line);
    CHECK(line == "192.168.0.105 80 192.168.239.129 8080");
}

TEST_CASE("external check that overruns its timeout is killed with its children") {
    TempDir dir;
    std::string pidfile = dir.path() + "/pid";
    std::string script = dir.write_file("slow.sh", "#!/bin/sh\necho $$ > " + pidfile + "\nsleep 30\n", true);
    CheckSpec spec;
    spec.type = CheckSpec::Type::external;
    spec.checkcommand = script;
    spec.address = loopback(Family::v4);
    spec.port = 80;
    spec.timeout_s = 0.5;
    spec.interval_s = 60;
    auto c = first_result(spec);
    CHECK_FALSE(c.up);
    CHECK_THAT(c.reason, StartsWith("timeout after 0.5s while waiting for " + script));
    pid_t pid = 0;
    std::ifstream(pidfile) >> pid;
    REQUIRE(pid > 0);
    // Killed and reaped by the checker: the pid disappears.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (::kill(pid, 0) == 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK(::kill(pid, 0) == -1);
    CHECK(errno == ESRCH);
}

TEST_CASE("ping check answers for 127.0.0.1 and ::1") {
    CheckSpec v4;
    v4.type = CheckSpec::Type::ping;
    v4.address = loopback(Family::v4);
    v4.interval_s = 0.2;
    v4.timeout_s = 2;
    auto v6 = v4;
    v6.address = loopback(Family::v6);
    // connect on a UDP virtual is a ping too
    auto udp_connect = v4;
    udp_connect.type = CheckSpec::Type::connect;
    udp_connect.l4 = Protocol::udp;
    udp_connect.port = 53;
    auto first = first_results({{4, v4}, {6, v6}, {17, udp_connect}});
    CHECK(first.at(4).up);
    CHECK(first.at(6).up);
    CHECK(first.at(17).up);
    CHECK(first.at(4).reason == "echo reply");
}

TEST_CASE("set_checks refuses an invalid set and keeps the running one") {
    LocalTcpServer server(Family::v4);
    auto good = connect_spec(server.address(), server.port());
    RunningChecker running({{1, good}});
    auto& [checker, log] = running;
    CheckSpec perl;
    perl.type = CheckSpec::Type::external_perl;
    CHECK_THROWS_AS(checker.set_checks({{1, good}, {2, perl}}), std::invalid_argument);
    CHECK_THROWS_AS(checker.set_checks({{1, good}, {1, good}}), std::invalid_argument);
    REQUIRE(log.wait_for(1));
    CHECK(checker.stats().subscribers == 1);
    CHECK(checker.error().empty());
}
