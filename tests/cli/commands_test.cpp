#include <catch2/catch.hpp>

#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <sstream>
#include <thread>

#include "cli/commands.h"
#include "control/paths.h"
#include "control/server.h"

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

    explicit FakeDaemon(bool listening = true) {
        root = fs::temp_directory_path() / ("xvs-cli-test-" + std::to_string(::getpid()));
        fs::remove_all(root);
        fs::create_directories(root / "t1");
        if (!listening) return;
        server = std::make_unique<control::ControlServer>(
            control::socket_path("t1", root.string()), [this](const control::Request& r) {
                seen.push_back(r);
                return answer;
            });
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

TEST_CASE("a daemon's error reply is printed and exits 1", "[commands]") {
    FakeDaemon daemon;
    daemon.answer = control::Reply::failure("Service not defined");
    std::string out, err;
    CHECK(daemon.run({"-Z", "-t", "10.0.0.1:80"}, out, err) == 1);
    CHECK(err == "Service not defined\n");
}

TEST_CASE("without a daemon xvsadm names the socket and exits 1", "[commands]") {
    FakeDaemon nobody(false);
    std::string out, err;
    CHECK(nobody.run({"-Ln"}, out, err) == 1);
    CHECK_THAT(err, Catch::Contains(control::socket_path("t1", nobody.root.string())));
    CHECK_THAT(err, Catch::Contains("Is xvsd running"));
}
