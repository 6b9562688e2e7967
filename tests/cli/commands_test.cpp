#include <catch2/catch.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <thread>

#include "cli/commands.h"
#include "cli/dataplane_status.h"
#include "control/paths.h"
#include "control/server.h"
#include "common/unique_fd.h"

using namespace xvs;
using namespace xvs::cli;
namespace fs = std::filesystem;

namespace {

struct FakeDaemon {
    fs::path root;
    std::vector<control::Request> seen;
    control::Reply answer;
    std::unique_ptr<control::ControlServer> server;
    std::atomic<bool> stop{false};
    std::thread thread;

    explicit FakeDaemon(bool listening = true, control::ControlServer::Limits limits = {}) {
        root = fs::temp_directory_path() / ("xvs-cli-test-" + std::to_string(::getpid()));
        fs::remove_all(root);
        fs::create_directories(root / "t1");
        if (!listening) return;
        server = std::make_unique<control::ControlServer>(
            control::socket_path("t1", root.string()), [this](const control::Request& r) {
                seen.push_back(r);
                return answer;
            },
            std::move(limits));
        thread = std::thread([this] {
            while (!stop) {
                pollfd p{server->fd(), POLLIN, 0};
                if (::poll(&p, 1, 20) > 0) server->process();
            }
        });
    }
    ~FakeDaemon() {
        stop = true;
        if (thread.joinable()) thread.join();
        server.reset();
        std::error_code ec;
        fs::remove_all(root, ec);
    }

    int run(std::vector<std::string> args, std::string& out, std::string& err) {
        args.insert(args.begin(), {"--instance", "t1"});
        std::ostringstream o, e;
        int rc = run_command(parse_arguments(args), o, e, root.string());
        out = o.str();
        err = e.str();
        return rc;
    }
};

control::ServiceReport seed_service() {
    control::ServiceReport s;
    s.status.key = ServiceKey::mark(100, Family::v4);
    s.status.scheduler = "wrr";
    s.status.persistence = {360, 32};
    RealStatus r;
    r.key = {*IpAddress::parse("192.168.239.129"), 0};
    r.method = ForwardMethod::masq;
    r.weight = 1;
    s.status.reals.push_back(r);
    return s;
}

}  // namespace

TEST_CASE("xvsadm -Ln asks the daemon for status and prints the table", "[commands]") {
    FakeDaemon daemon;
    daemon.answer.services.push_back(seed_service());
    std::string out, err;
    REQUIRE(daemon.run({"-Ln"}, out, err) == 0);
    CHECK(err.empty());
    CHECK(out.find("FWM  100 wrr persistent 360\n") != std::string::npos);
    CHECK(out.rfind("IP Virtual Server version 1.2.1 (size=4096)\n", 0) == 0);
    REQUIRE(daemon.seen.size() == 1);
    CHECK(daemon.seen[0].verb == control::Verb::status);
}

namespace {

control::Reply plane_status(bool d1_attached) {
    control::Reply reply;
    reply.dataplane = "xdp+ipvs";
    reply.interfaces.push_back({"d0", true, 2, "native", "", 0});
    if (d1_attached)
        reply.interfaces.push_back({"d1", true, 7, "native", "", 1});
    else
        reply.interfaces.push_back(
            {"d1", false, 0, "native", "no such interface (was ifindex 3), the XDP program is not attached", 0});
    reply.placements.push_back({ServiceKey::tcp_udp(Protocol::tcp, *IpAddress::parse("10.0.0.1"), 80), "xdp"});
    reply.placements.push_back({ServiceKey::mark(100, Family::v4), "ipvs"});
    return reply;
}

}  // namespace

TEST_CASE("xvsadm --status lists interfaces and planes, exit 0 when all are attached", "[commands]") {
    FakeDaemon daemon;
    daemon.answer = plane_status(true);
    std::string out, err;
    REQUIRE(daemon.run({"--status"}, out, err) == 0);
    CHECK(err.empty());
    REQUIRE(daemon.seen.size() == 1);
    CHECK(daemon.seen[0].verb == control::Verb::dataplane_status);
    CHECK(out ==
          "Data plane: xdp+ipvs\n"
          "Interface        State     Mode      Ifindex  Reattached\n"
          "d0               attached  native    2        0\n"
          "d1               attached  native    7        1\n"
          "Service                                          Plane\n"
          "TCP  10.0.0.1:80                                 xdp\n"
          "FWM  100                                         ipvs\n");
}

TEST_CASE("xvsadm --status exits 3 and names the missing interface", "[commands]") {
    FakeDaemon daemon;
    daemon.answer = plane_status(false);
    std::string out, err;
    REQUIRE(daemon.run({"--status"}, out, err) == exit_interface_missing);
    CHECK(out.find("d1               MISSING   native    -        0\n"
                   "  no such interface (was ifindex 3), the XDP program is not attached\n") !=
          std::string::npos);
    CHECK(err ==
          "xvsadm: interface d1 is missing: no such interface (was ifindex 3), the XDP program is "
          "not attached\n");
}

TEST_CASE("xvsadm --status without an XDP plane says interfaces are not used", "[commands]") {
    FakeDaemon daemon;
    daemon.answer.dataplane = "ipvs";
    std::string out, err;
    REQUIRE(daemon.run({"--status"}, out, err) == 0);
    CHECK(out == "Data plane: ipvs\n"
                 "Interfaces: none attached (no XDP plane serves; IPVS does not use interface=)\n"
                 "Services: none\n");
}

TEST_CASE("xvsadm -Ln keeps ipvsadm's output and exit code, and warns of a missing interface",
          "[commands]") {
    FakeDaemon daemon;
    daemon.answer.services.push_back(seed_service());
    daemon.answer.interfaces = plane_status(false).interfaces;
    std::string out, err;
    REQUIRE(daemon.run({"-Ln"}, out, err) == 0);
    CHECK(out.rfind("IP Virtual Server version 1.2.1 (size=4096)\n", 0) == 0);
    CHECK(err == "xvsadm: warning: interface d1 is missing: no such interface (was ifindex 3), "
                 "the XDP program is not attached (see xvsadm --status)\n");
}

TEST_CASE("xvsadm -Z -f 100 sends a zero request for that service", "[commands]") {
    FakeDaemon daemon;
    std::string out, err;
    REQUIRE(daemon.run({"-Z", "-f", "100"}, out, err) == 0);
    REQUIRE(daemon.seen.size() == 1);
    CHECK(daemon.seen[0].verb == control::Verb::zero);
    CHECK(daemon.seen[0].service == ServiceKey::mark(100, Family::v4));
}

TEST_CASE("xvsadm -Ln -t lists one service or says it does not exist", "[commands]") {
    FakeDaemon daemon;
    daemon.answer.services.push_back(seed_service());
    std::string out, err;
    CHECK(daemon.run({"-Ln", "-f", "100"}, out, err) == 0);
    CHECK(out.find("FWM  100") != std::string::npos);
    CHECK(daemon.run({"-Ln", "-t", "10.0.0.1:80"}, out, err) == 1);
    CHECK(err == "No such service\n");
}

TEST_CASE("a daemon's error reply to a listing is printed and exits 1", "[commands]") {
    FakeDaemon daemon;
    daemon.answer = control::Reply::failure("the data plane is gone");
    std::string out, err;
    CHECK(daemon.run({"-Ln"}, out, err) == 1);
    CHECK(err == "the data plane is gone\n");
}

TEST_CASE("xvsadm -Z -t and -u send that service, -Z alone none", "[commands]") {
    FakeDaemon daemon;
    std::string out, err;
    REQUIRE(daemon.run({"-Z", "-t", "10.0.0.1:80"}, out, err) == 0);
    REQUIRE(daemon.run({"-Z", "-u", "[2001:db8::1]:53"}, out, err) == 0);
    REQUIRE(daemon.run({"-Z"}, out, err) == 0);
    CHECK(out.empty());
    REQUIRE(daemon.seen.size() == 3);
    CHECK(daemon.seen[0].verb == control::Verb::zero);
    CHECK(daemon.seen[0].service ==
          ServiceKey::tcp_udp(Protocol::tcp, *IpAddress::parse("10.0.0.1"), 80));
    CHECK(daemon.seen[1].service ==
          ServiceKey::tcp_udp(Protocol::udp, *IpAddress::parse("2001:db8::1"), 53));
    CHECK(daemon.seen[2].verb == control::Verb::zero);
    CHECK_FALSE(daemon.seen[2].service);
}

TEST_CASE("a refused -Z prints ipvsadm's text and exits 255 as ipvsadm", "[commands]") {
    FakeDaemon daemon;
    daemon.answer = control::Reply::failure("No such service");
    std::string out, err;
    CHECK(daemon.run({"-Z", "-t", "10.0.0.1:80"}, out, err) == 255);
    CHECK(err == "No such service\n");
}

TEST_CASE("a busy daemon is reported as busy, with a non-zero exit", "[commands]") {
    control::ControlServer::Limits limits;
    limits.max_clients = 1;
    FakeDaemon daemon(true, limits);
    // The one slot is taken by a client that sends nothing.
    UniqueFd idle(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, control::socket_path("t1", daemon.root.string()).c_str());
    REQUIRE(::connect(idle.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    std::string out, err;
    CHECK(daemon.run({"-Ln"}, out, err) == 1);
    CHECK_THAT(err, Catch::StartsWith("xvsd is busy: 1 control clients are connected"));
    CHECK(daemon.run({"-A", "-t", "10.0.0.1:80"}, out, err) == 255);
    CHECK_THAT(err, Catch::Contains("xvsd is busy"));
    CHECK(daemon.seen.empty());
}

TEST_CASE("without a daemon xvsadm names the socket and exits 1", "[commands]") {
    FakeDaemon nobody(false);
    std::string out, err;
    CHECK(nobody.run({"-Ln"}, out, err) == 1);
    CHECK_THAT(err, Catch::Contains(control::socket_path("t1", nobody.root.string())));
    CHECK_THAT(err, Catch::Contains("Is xvsd running"));
}

TEST_CASE("xvsadm -A sends ipvsadm's defaults: wlc, no persistence, /32", "[commands]") {
    FakeDaemon daemon;
    std::string out, err;
    REQUIRE(daemon.run({"-A", "-t", "10.0.0.1:80"}, out, err) == 0);
    REQUIRE(daemon.run({"-A", "-u", "10.0.0.1:53", "-s", "rr", "-p", "-M", "255.255.255.0"},
                       out, err) == 0);
    REQUIRE(daemon.seen.size() == 2);
    CHECK(daemon.seen[0].verb == control::Verb::add_service);
    REQUIRE(daemon.seen[0].settings);
    CHECK(daemon.seen[0].settings->scheduler == "wlc");
    CHECK(daemon.seen[0].settings->persistence == Persistence{0, 32});
    CHECK(daemon.seen[1].settings->scheduler == "rr");
    CHECK(daemon.seen[1].settings->persistence == Persistence{360, 24});
}

TEST_CASE("xvsadm -a applies ipvsadm's real port rule and defaults", "[commands]") {
    FakeDaemon daemon;
    std::string out, err;
    REQUIRE(daemon.run({"-a", "-t", "10.0.0.1:80", "-r", "10.0.1.1:8080"}, out, err) == 0);
    REQUIRE(daemon.run({"-a", "-t", "10.0.0.1:80", "-r", "10.0.1.2:8080", "-m", "-w", "3"}, out,
                       err) == 0);
    REQUIRE(daemon.run({"-d", "-t", "10.0.0.1:80", "-r", "10.0.1.3"}, out, err) == 0);
    REQUIRE(daemon.seen.size() == 3);
    const auto& gate = *daemon.seen[0].real;
    CHECK(gate.key.port == 80);  // -g cannot map ports
    CHECK(gate.method == ForwardMethod::gate);
    CHECK(gate.weight == 1);
    CHECK(daemon.seen[1].real->key.port == 8080);
    CHECK(daemon.seen[1].real->weight == 3);
    CHECK(daemon.seen[2].verb == control::Verb::delete_real);
    CHECK(daemon.seen[2].real->key.port == 80);  // a missing port is the service's
}

TEST_CASE("a refused edit prints the daemon's text and exits 255 as ipvsadm", "[commands]") {
    FakeDaemon daemon;
    daemon.answer = control::Reply::failure("Service already exists");
    std::string out, err;
    CHECK(daemon.run({"-A", "-t", "10.0.0.1:80", "-s", "rr"}, out, err) == 255);
    CHECK(err == "Service already exists\n");
}

TEST_CASE("xvsadm -R runs every line, goes on after a refusal, stops at a usage error",
          "[commands]") {
    FakeDaemon daemon;
    std::string out, err;
    std::istringstream rules(
        "-A -t 10.0.0.1:80 -s wrr\n"
        "\n"
        "# a comment\n"
        "-a -t 10.0.0.1:80 -r 10.0.1.1:80 -g -w 2\n"
        "-a -t 10.0.0.1:80 -r bogus\n"
        "-C\n");
    std::ostringstream o, e;
    auto args = parse_arguments({"--instance", "t1", "-R"});
    int rc = run_command(args, o, e, daemon.root.string(), rules);
    CHECK(rc == 2);
    CHECK(e.str() == "illegal real server address[:port] specified\n");
    REQUIRE(daemon.seen.size() == 2);
    CHECK(daemon.seen[0].verb == control::Verb::add_service);
    CHECK(daemon.seen[1].verb == control::Verb::add_real);
}

TEST_CASE("xvsadm -L --timeout prints the daemon's timeouts as ipvsadm does, --set sends the three values", "[commands]") {
    FakeDaemon daemon;
    daemon.answer.timeouts = ConnectionTimeouts{100, 120, 30};
    std::string out, err;
    CHECK(daemon.run({"-L", "--timeout"}, out, err) == 0);
    CHECK(out == "Timeout (tcp tcpfin udp): 100 120 30\n");
    CHECK(err.empty());
    REQUIRE(daemon.seen.size() == 1);
    CHECK(daemon.seen[0].verb == control::Verb::timeouts);

    CHECK(daemon.run({"--set", "100", "0", "30"}, out, err) == 0);
    REQUIRE(daemon.seen.size() == 2);
    CHECK(daemon.seen[1].verb == control::Verb::set_timeouts);
    CHECK(daemon.seen[1].timeouts == ConnectionTimeouts{100, 0, 30});
    daemon.answer = control::Reply::failure("the xdp data plane refused the change: no");
    CHECK(daemon.run({"--set", "1", "1", "1"}, out, err) == 255);
    CHECK(err == "the xdp data plane refused the change: no\n");
}

TEST_CASE("xvsadm -L --daemon prints nothing: xvsd runs no sync daemon", "[commands]") {
    FakeDaemon nobody(false);
    std::string out, err;
    CHECK(nobody.run({"-L", "--daemon"}, out, err) == 0);
    CHECK(out.empty());
}
