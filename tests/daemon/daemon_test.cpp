#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <regex>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>
#include <utility>

#include "control/client.h"
#include "control/framing.h"
#include "control/paths.h"
#include "daemon/background.h"
#include "daemon/daemon.h"
#include "daemon/run_dir.h"
#include "common/unique_fd.h"
#include "daemon_fixture.h"
#include "fake_dataplane.h"

using namespace xvs;
using namespace xvs::testing;
namespace fs = std::filesystem;


TEST_CASE("xvsd serves its configured services over the control socket", "[daemon]") {
    DaemonFixture f;
    REQUIRE(f.start());
    struct stat st{};
    REQUIRE(::stat(f.socket().c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    REQUIRE(::stat(control::run_dir_path(f.instance, f.run_root()).c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);

    control::Reply reply = f.call(control::Verb::status);
    check_seed_table(reply);
    CHECK(reply.dataplane == "fake");
    CHECK(f.stop() == 0);
}

TEST_CASE("xvsd reports the plane's interfaces and each service's plane, and logs their changes",
          "[daemon]") {
    DaemonFixture f;
    f.interfaces = {{"d0", true, 2, "native", "", 0},
                    {"d1", false, 0, "native", "no such interface (was ifindex 3)", 0}};
    f.first_sync_note = {true, "d1: no such interface (was ifindex 3)"};
    REQUIRE(f.start());
    control::Reply reply = f.call(control::Verb::dataplane_status);
    REQUIRE(reply.ok);
    CHECK(reply.dataplane == "fake");
    CHECK(reply.interfaces == f.interfaces);
    REQUIRE(reply.placements.size() == 1);
    CHECK(reply.placements[0] == control::Placement{ServiceKey::mark(100, Family::v4), "fake"});
    CHECK(f.call(control::Verb::status).interfaces == f.interfaces);  // for xvsadm -L's warning
    CHECK(eventually([&] {
        return f.log_text().find("d1: no such interface (was ifindex 3)") != std::string::npos;
    }));
    CHECK(f.stop() == 0);
}

TEST_CASE("a plane without interfaces reports none", "[daemon]") {
    DaemonFixture f;
    REQUIRE(f.start());
    control::Reply reply = f.call(control::Verb::dataplane_status);
    REQUIRE(reply.ok);
    CHECK(reply.interfaces.empty());
    CHECK(reply.placements.size() == 1);
    CHECK(f.stop() == 0);
}

TEST_CASE("SIGHUP reloads: a changed weight and an added real are applied", "[daemon]") {
    DaemonFixture f;
    REQUIRE(f.start());
    f.write_config("yes", "192.168.239.140", "5");
    ::kill(f.pid, SIGHUP);
    CHECK(eventually([&] { return weight_of(f.call(control::Verb::status), "192.168.239.133") == 5; }));
    CHECK(weight_of(f.call(control::Verb::status), "192.168.239.140") == 1);
    CHECK(eventually([&] {
        return f.log_text().find("reload: 1 real added, 1 real changed") != std::string::npos;
    }));
    CHECK(f.stop() == 0);
}

TEST_CASE("a bad file on reload is reported by line and the running state is kept", "[daemon]") {
    DaemonFixture f;
    REQUIRE(f.start());
    std::ofstream(f.config_path()) << "virtual=100\n    nonsense=1\n";
    control::Reply reply = f.call(control::Verb::reload);
    CHECK_FALSE(reply.ok);
    CHECK_THAT(reply.error, Catch::Contains("running configuration is kept"));
    // The log of the old file's logfile= names the line.
    CHECK_THAT(f.log_text(), Catch::Contains(f.config_path() + ":2:"));
    control::Reply status = f.call(control::Verb::status);
    REQUIRE(status.services.size() == 1);
    CHECK(status.services[0].status.reals.size() == 2);
    CHECK(f.stop() == 0);
}

TEST_CASE("a reload request answers with the summary", "[daemon]") {
    DaemonFixture f;
    REQUIRE(f.start());
    f.write_config("yes", "", "3");
    control::Reply reply = f.call(control::Verb::reload);
    REQUIRE(reply.ok);
    CHECK(reply.message == "reload: 1 real changed");
    CHECK(f.stop() == 0);
}

// A reader that, while the file `hold` exists, says so in `parsing` and waits
// (up to 20 s, a bound against hanging) before it parses: a reload that takes
// as long as the test wants.
ConfigReader held_reader(const fs::path& hold, const fs::path& parsing) {
    return [hold, parsing](const std::string& path) {
        if (fs::exists(hold)) {
            std::ofstream(parsing).put('1');
            for (int i = 0; i < 2000 && fs::exists(hold); ++i)
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return parse_config_file(path);
    };
}

TEST_CASE("while a reload parses the daemon answers, and the reload request gets its result after", "[daemon]") {
    DaemonFixture f;
    fs::path hold = f.dir / "hold", parsing = f.dir / "parsing";
    f.reader = held_reader(hold, parsing);
    REQUIRE(f.start());
    f.write_config("yes", "", "3");
    std::ofstream(hold).put('1');
    auto reload = std::async(std::launch::async, [&] { return f.call(control::Verb::reload); });
    REQUIRE(eventually([&] { return fs::exists(parsing); }));

    // Answered from the running table, the parse still held.
    control::Reply status = f.call(control::Verb::status);
    REQUIRE(status.ok);
    CHECK(weight_of(status, "192.168.239.133") == 2);
    CHECK(reload.wait_for(std::chrono::seconds(0)) == std::future_status::timeout);
    // A SIGHUP meanwhile is served by one more parse once this one is done.
    ::kill(f.pid, SIGHUP);
    CHECK(eventually([&] { return f.log_text().find("SIGHUP: reloading") != std::string::npos; }));
    CHECK(f.call(control::Verb::status).ok);

    fs::remove(hold);
    control::Reply reply = reload.get();
    REQUIRE(reply.ok);
    CHECK(reply.message == "reload: 1 real changed");
    CHECK(weight_of(f.call(control::Verb::status), "192.168.239.133") == 3);
    CHECK(eventually([&] { return f.log_text().find("reload: no change") != std::string::npos; }));
    CHECK(f.stop() == 0);
}

TEST_CASE("a reload with a huge bad file keeps the table and logs only the first errors", "[daemon]") {
    DaemonFixture f;
    REQUIRE(f.start());
    {
        std::ofstream file(f.config_path());
        for (int i = 0; i < 1500000; ++i) file << "nonsense\n";
    }
    ::kill(f.pid, SIGHUP);
    CHECK(f.call(control::Verb::status).services.size() == 1);
    REQUIRE(eventually([&] {
        return f.log_text().find("reload: " + f.config_path() + " has 1500000 error(s)") != std::string::npos;
    }));
    std::string log = f.log_text();
    CHECK(count_lines_with(log, "nonsense") == max_reported_errors);
    CHECK(count_lines_with(log, f.config_path() + ": ... and 1499900 more errors") == 1);
    check_seed_table(f.call(control::Verb::status));
    CHECK(f.stop() == 0);
}

TEST_CASE("a reload to a file without virtual services is refused unless it says allow-empty=yes", "[daemon]") {
    DaemonFixture f;
    REQUIRE(f.start());
    std::ofstream(f.config_path()) << "logfile=\"" << f.log_path() << "\"\n";
    control::Reply refused = f.call(control::Verb::reload);
    CHECK_FALSE(refused.ok);
    CHECK_THAT(refused.error, Catch::Contains("has no virtual service and would remove the 1 running service(s)"));
    CHECK_THAT(refused.error, Catch::Contains("allow-empty=yes"));
    CHECK_THAT(f.log_text(), Catch::Contains("reload refused: " + f.config_path()));
    CHECK(f.call(control::Verb::status).services.size() == 1);

    // An empty read is the same.
    std::ofstream(f.config_path(), std::ios::trunc).flush();
    CHECK_FALSE(f.call(control::Verb::reload).ok);
    CHECK(f.call(control::Verb::status).services.size() == 1);

    std::ofstream(f.config_path()) << "logfile=\"" << f.log_path() << "\"\nallow-empty=yes\n";
    control::Reply emptied = f.call(control::Verb::reload);
    REQUIRE(emptied.ok);
    CHECK_THAT(emptied.message, Catch::Contains("1 service removed"));
    CHECK(f.call(control::Verb::status).services.empty());
    CHECK(f.stop() == 0);
}

TEST_CASE("zero clears the counters the daemon reports", "[daemon]") {
    DaemonFixture f;
    REQUIRE(f.start());
    CHECK(f.call(control::Verb::status).services[0].status.counters.connections == 42);
    CHECK(f.call(control::Verb::zero).ok);
    CHECK(f.call(control::Verb::status).services[0].status.counters.connections == 0);
    CHECK(f.stop() == 0);
}

// The connection counters of `service` and its reals in `reply`; nullopt when
// the reply does not list it.
std::optional<std::vector<uint64_t>> connection_counters(const control::Reply& reply,
                                                         const ServiceKey& service) {
    for (const auto& s : reply.services) {
        if (s.status.key != service) continue;
        std::vector<uint64_t> out{s.status.counters.connections};
        for (const auto& r : s.status.reals) out.push_back(r.counters.connections);
        return out;
    }
    return std::nullopt;
}

TEST_CASE("zeroing one service clears it and its reals, the other service keeps its counters",
          "[daemon]") {
    DaemonFixture f;
    std::ofstream(f.config_path(), std::ios::app) << "virtual=10.0.0.1:80\n"
                                                     "    real=10.0.1.1:80 gate 1\n"
                                                     "    scheduler=rr\n"
                                                     "    checktype=on\n";
    REQUIRE(f.start());
    const ServiceKey web = ServiceKey::tcp_udp(Protocol::tcp, *IpAddress::parse("10.0.0.1"), 80);
    const ServiceKey seed = ServiceKey::mark(100, Family::v4);
    control::Reply before = f.call(control::Verb::status);
    CHECK(connection_counters(before, web) == std::vector<uint64_t>{42, 42});
    CHECK(connection_counters(before, seed) == std::vector<uint64_t>{42, 42, 42});

    control::Request zero{control::Verb::zero, web};
    control::Reply reply = f.call(zero);
    CHECK(reply.ok);
    CHECK(reply.error.empty());

    control::Reply after = f.call(control::Verb::status);
    CHECK(connection_counters(after, web) == std::vector<uint64_t>{0, 0});
    CHECK(connection_counters(after, seed) == std::vector<uint64_t>{42, 42, 42});
    CHECK(f.stop() == 0);
}

TEST_CASE("zeroing a service the daemon does not serve answers No such service", "[daemon]") {
    DaemonFixture f;
    REQUIRE(f.start());
    control::Request zero{control::Verb::zero,
                          ServiceKey::tcp_udp(Protocol::udp, *IpAddress::parse("10.0.0.9"), 53)};
    control::Reply reply = f.call(zero);
    CHECK_FALSE(reply.ok);
    CHECK(reply.error == "No such service");
    CHECK(connection_counters(f.call(control::Verb::status), ServiceKey::mark(100, Family::v4)) ==
          std::vector<uint64_t>{42, 42, 42});
    CHECK(f.stop() == 0);
}

TEST_CASE("SIGTERM with cleanstop=yes removes every service", "[daemon]") {
    DaemonFixture f;
    REQUIRE(f.start());
    CHECK(f.stop(SIGTERM) == 0);
    CHECK(f.final_services() == "0");
    CHECK_FALSE(fs::exists(f.socket()));
    CHECK_FALSE(fs::exists(control::pid_file_path(f.instance, f.run_root())));
}

TEST_CASE("SIGTERM with cleanstop=no leaves the services programmed", "[daemon]") {
    DaemonFixture f;
    f.write_config("no");
    REQUIRE(f.start());
    CHECK(f.stop(SIGTERM) == 0);
    CHECK(f.final_services() == "1");
}

TEST_CASE("a second daemon for a live instance refuses to start", "[daemon]") {
    DaemonFixture f;
    REQUIRE(f.start());
    Logger log(f.instance);
    Daemon second(f.options(), log, f.fake_maker());
    CHECK(second.run() == 1);
    CHECK(f.call(control::Verb::status).ok);  // the first one is untouched
    CHECK(f.stop() == 0);
}

TEST_CASE("a killed daemon's leftovers do not block a restart", "[daemon]") {
    DaemonFixture f;
    REQUIRE(f.start());
    f.stop(SIGKILL);
    CHECK(fs::exists(f.socket()));  // left behind
    REQUIRE(f.start());
    CHECK(f.call(control::Verb::status).ok);
    CHECK(f.stop() == 0);
}


TEST_CASE("reals the data plane already serves at start stay in until their first check", "[daemon]") {
    DaemonFixture f;
    SilentListener silent;
    SilentListener closed(true);
    const std::string port = std::to_string(silent.port);
    std::ofstream(f.config_path()) << "logfile=\"" << f.log_path() << "\"\n"
                                   << "cleanstop=no\nquiescent=no\n"
                                   << "virtual=192.168.0.105:80\n"
                                   << "    real=127.0.0.1:" << port << " masq 1\n"
                                   << "    real=127.0.0.2:" << port << " masq 1\n"
                                   << "    real=127.0.0.3:" << port << " masq 1\n"
                                   << "    real=127.0.0.4:" << closed.port << " masq 1\n"
                                   << "    checktype=negotiate\n    service=http\n"
                                   << "    request=\"/\"\n    receive=\"OK\"\n"
                                   << "    negotiatetimeout=120\n    checkinterval=300\n";
    // As left by the previous daemon: .1 and .4 serving, .3 quiescent, .2 absent.
    ServiceStatus web;
    web.key = ServiceKey::tcp_udp(Protocol::tcp, *IpAddress::parse("192.168.0.105"), 80);
    web.reals = {real_status("127.0.0.1", silent.port, 1), real_status("127.0.0.3", silent.port, 0),
                 real_status("127.0.0.4", closed.port, 1)};
    f.serving_at_open = {web};
    REQUIRE(f.start());

    // The checks of .1, .2 and .3 hang for 120 s: what the daemon serves now
    // is what it started with.
    auto reply = f.call(control::Verb::status);
    REQUIRE(reply.ok);
    CHECK(weight_of(reply, "127.0.0.1") == 1);
    CHECK(weight_of(reply, "127.0.0.2") == 9999);  // not served: down until checked
    CHECK(weight_of(reply, "127.0.0.3") == 9999);  // found quiescent: down until checked
    // .4's first check is refused and takes it out (quiescent=no).
    CHECK(eventually([&] { return weight_of(f.call(control::Verb::status), "127.0.0.4") == 9999; }));
    CHECK(weight_of(f.call(control::Verb::status), "127.0.0.1") == 1);
    CHECK_THAT(f.log_text(), Catch::Contains("2 checked real(s) found serving in the fake data plane"));
    CHECK(f.stop() == 0);
}

TEST_CASE("a bad file at start is reported by line and the daemon exits 1", "[daemon]") {
    DaemonFixture f;
    std::ofstream(f.config_path()) << "checkinterval=abc\n";
    CHECK_FALSE(f.start());
    CHECK_FALSE(fs::exists(f.socket()));
}

TEST_CASE("a data plane that cannot open stops the start with its reason", "[daemon]") {
    DaemonFixture f;
    Logger log(f.instance);
    Daemon daemon(f.options(), log, [](const DataplaneRequest&, const Model&, Logger&) -> DataplaneHandle {
        throw NoDataplane("no data plane available: XDP: x; IPVS: y");
    });
    CHECK(daemon.run() == 1);
    CHECK_FALSE(fs::exists(f.socket()));
}

TEST_CASE("the --max-reals option reaches the data plane request, unset leaves the plane's default", "[daemon]") {
    DaemonFixture f;
    Logger log(f.instance);
    std::vector<std::optional<uint32_t>> asked;
    auto maker = [&asked](const DataplaneRequest& request, const Model&, Logger&) -> DataplaneHandle {
        asked.push_back(request.max_reals);
        throw NoDataplane("recorded");
    };
    DaemonOptions sized = f.options();
    sized.max_reals = 250000;
    CHECK(Daemon(sized, log, maker).run() == 1);
    CHECK(Daemon(f.options(), log, maker).run() == 1);
    REQUIRE(asked.size() == 2);
    CHECK(asked[0] == std::optional<uint32_t>(250000));
    CHECK_FALSE(asked[1]);
}

// Runs `xvsd [FLAGS] --check -f PATH`; returns its exit status and its output (both streams).
static std::pair<int, std::string> run_xvsd_check(const std::string& path,
                                                  const std::string& flags = "") {
    std::string cmd = std::string(XVSD_PATH) + " " + flags + " --check -f " + path + " 2>&1";
    FILE* p = ::popen(cmd.c_str(), "r");
    REQUIRE(p);
    std::string out;
    char buf[256];
    while (size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    return {WEXITSTATUS(::pclose(p)), out};
}

TEST_CASE("xvsd --check exits 1 and names the line of a bad file", "[daemon]") {
    DaemonFixture f;
    std::ofstream(f.config_path()) << "virtual=100\n    nonsense=1\n";
    auto [status, out] = run_xvsd_check(f.config_path());
    CHECK(status == 1);
    CHECK_THAT(out, Catch::Contains(f.config_path() + ":2:"));
}

TEST_CASE("xvsd --check refuses a check the daemon cannot run, with its line", "[daemon]") {
    DaemonFixture f;
    std::ofstream(f.config_path()) << "virtual=10.0.0.1:80\n"
                                      "    real=10.0.0.2:80 gate 1\n"
                                      "    checktype=external-perl\n"
                                      "    checkcommand=\"/usr/local/bin/check.pl\"\n";
    auto [status, out] = run_xvsd_check(f.config_path());
    CHECK(status == 1);
    CHECK_THAT(out, Catch::Contains(f.config_path() + ":2:"));
    CHECK_THAT(out, Catch::Contains("external-perl"));
}

TEST_CASE("xvsd takes --max-reals from 1 up and refuses 0", "[daemon]") {
    DaemonFixture f;
    std::ofstream(f.config_path()) << "virtual=10.0.0.1:80\n    real=10.0.0.2:80 gate 1\n";
    auto run = [&](const std::string& value) {
        return run_xvsd_check(f.config_path(), "--max-reals " + value);
    };
    CHECK(run("200000").first == 0);
    auto [status, out] = run("0");
    CHECK(status != 0);
    CHECK_THAT(out, Catch::Contains("--max-reals"));
}

TEST_CASE("xvsd --check refuses more reals than the XDP real table holds, unless IPVS serves", "[daemon]") {
    DaemonFixture f;
    std::ofstream(f.config_path()) << "virtual=10.0.0.1:80\n"
                                      "    real=10.0.0.2:80 gate 1\n"
                                      "    real=10.0.0.3:80 gate 1\n"
                                      "    real=10.0.0.4:80 gate 1\n";
    CHECK(run_xvsd_check(f.config_path(), "--max-reals 3").first == 0);
    auto [status, out] = run_xvsd_check(f.config_path(), "--max-reals 2");
    CHECK(status == 1);
    CHECK_THAT(out, Catch::Contains("needs 3 reals, the XDP real table holds 2: raise --max-reals"));
    CHECK(run_xvsd_check(f.config_path(), "--max-reals 2 --dataplane ipvs").first == 0);
}

TEST_CASE("a closed stderr pipe does not kill xvsd: it logs on and reloads on SIGHUP", "[daemon]") {
    DaemonFixture f;
    // As `xvsd ... 2>&1 | head -1` once head has exited: stderr is a pipe
    // without a reader. The daemon inherits it; the test's own fd 2 is
    // restored at once.
    int pipe_fds[2];
    REQUIRE(::pipe2(pipe_fds, O_CLOEXEC) == 0);
    UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
    UniqueFd saved_stderr(::dup(STDERR_FILENO));
    REQUIRE(saved_stderr);
    read_end.reset();
    ::dup2(write_end.get(), STDERR_FILENO);
    bool started = f.start();
    ::dup2(saved_stderr.get(), STDERR_FILENO);
    REQUIRE(started);
    ::kill(f.pid, SIGHUP);
    CHECK(eventually([&] { return f.log_text().find("reload: ") != std::string::npos; }));
    CHECK(f.call(control::Verb::status).ok);
    CHECK(f.stop() == 0);
}


TEST_CASE("out of fds, the control socket answers busy and xvsd serves on", "[daemon]") {
    DaemonFixture f;
    // Room for the daemon's own fds and a few clients: idle clients take the
    // rest, so accept fails with EMFILE well before the client limit of 64.
    f.fd_limit = 40;
    REQUIRE(f.start());
    std::vector<UniqueFd> idle;
    for (int i = 0; i < 40; ++i) idle.push_back(connect_unix(f.socket()));
    control::Reply busy = f.call(control::Verb::status);
    CHECK_FALSE(busy.ok);
    CHECK_THAT(busy.error, Catch::Contains("xvsd is busy: it has no file descriptor left"));
    CHECK(::kill(f.pid, 0) == 0);
    idle.clear();
    CHECK(eventually([&] { return f.call(control::Verb::status).ok; }));
    CHECK(eventually([&] {
        return f.log_text().find("control socket: accept: Too many open files") != std::string::npos;
    }));
    CHECK(f.stop() == 0);
}


TEST_CASE("a rack put in maintenance at once is one apply: one health line for all its reals", "[daemon]") {
    DaemonFixture f;
    AcceptingListener rack;  // connect checks succeed against it
    const fs::path maintenance = f.dir / "maintenance";
    fs::create_directories(maintenance);
    const int virtuals = 40;
    {
        std::ofstream out(f.config_path());
        out << "logfile=\"" << f.log_path() << "\"\nquiescent=yes\ncheckinterval=1\n"
            << "maintenancedir=" << maintenance.string() << "\n";
        for (int v = 1; v <= virtuals; ++v)
            out << "virtual=10.9.0." << v << ":80\n    real=127.0.0.1:" << rack.socket.port
                << " masq 1\n    checktype=connect\n";
    }
    REQUIRE(f.start());
    auto all_weights = [&](uint32_t weight) {
        auto reply = f.call(control::Verb::status);
        if (!reply.ok || reply.services.size() != size_t(virtuals)) return false;
        for (const auto& s : reply.services)
            if (s.status.reals.size() != 1 || s.status.reals[0].weight != weight) return false;
        return true;
    };
    bool up = eventually([&] { return all_weights(1); });
    INFO(f.log_text());
    REQUIRE(up);
    size_t before = f.log_text().size();

    std::ofstream(maintenance / ("127.0.0.1:" + std::to_string(rack.socket.port))) << "";
    REQUIRE(eventually([&] { return all_weights(0); }));
    std::string after = f.log_text().substr(before);
    size_t applies = 0;
    for (size_t at = after.find("health: "); at != std::string::npos; at = after.find("health: ", at + 1)) ++applies;
    CHECK(applies == 1);
    CHECK_THAT(after, Catch::Contains("health: " + std::to_string(virtuals) + " reals changed"));
    CHECK(f.stop() == 0);
}

TEST_CASE("the connection table streams in parts while the daemon goes on answering", "[daemon]") {
    DaemonFixture f;
    f.listed_connections = 10000;
    REQUIRE(f.start());
    // A raw client that reads the first part, then stops reading while it
    // asks the daemon other things on other connections.
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, f.socket().c_str(), sizeof addr.sun_path - 1);
    REQUIRE(::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
    control::write_all(fd.get(), control::frame(control::encode_request({control::Verb::list_connections, {}})),
                       "sending");
    auto part = control::decode_reply(control::read_frame(fd.get(), control::max_reply_bytes, "reading"));
    REQUIRE(part.ok);
    CHECK(part.more);
    CHECK(part.dataplane == "fake");
    size_t listed = part.connections.size(), parts = 1;
    CHECK(listed < 10000);
    check_seed_table(f.call(control::Verb::status));  // the loop is not held by the listing
    while (part.more) {
        part = control::decode_reply(control::read_frame(fd.get(), control::max_reply_bytes, "reading"));
        REQUIRE(part.ok);
        listed += part.connections.size();
        ++parts;
    }
    CHECK(listed == 10000);
    CHECK(parts >= 3);
    char byte;
    CHECK(::read(fd.get(), &byte, 1) == 0);  // then the daemon closes

    // xvsadm's way: each part handed over as it comes.
    size_t total = 0, seen_parts = 0;
    bool last_was_final = false;
    control::call_daemon(f.socket(), control::Request{control::Verb::list_connections, {}}, [&](control::Reply& r) {
        REQUIRE(r.ok);
        total += r.connections.size();
        ++seen_parts;
        last_was_final = !r.more;
    });
    CHECK(total == 10000);
    CHECK(seen_parts == parts);
    CHECK(last_was_final);
    CHECK(f.stop() == 0);
}

TEST_CASE("xvsd --check accepts every sample of ldirectord's shipped example that ldirectord itself can run",
          "[daemon]") {
    // The samples are the example's "#virtual..." lines and the "#<tab>"
    // lines after them, enabled one at a time, as in tests/config.
    std::ifstream in("/usr/share/doc/ldirectord/examples/ldirectord.cf");
    REQUIRE(in);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    // Those ldirectord cannot run either, and why:
    const std::map<std::string, std::string> rejected = {
        {"#virtual=192.168.6.240:80", "duplicate virtual server"},  // the range sample repeats the active virtual
        {"#virtual = 192.168.10.74:3306", "cannot resolve host name \"sql01\""},
        {"#virtual = 192.168.10.74:5432", "cannot resolve host name \"sql01\""},
        {"#virtual = 192.168.10.74:1521", "cannot resolve host name \"sql01\""},
        {"#virtual=192.168.6.240:5060", "invalid address \"192.168.6.2::5060\""},  // the doubled colon
    };
    DaemonFixture f;
    size_t samples = 0, accepted = 0;
    auto check_sample = [&](size_t first, size_t end, const std::function<std::string(std::string)>& edit) {
        std::string text;
        for (size_t k = 0; k < lines.size(); ++k)
            text += (k >= first && k < end ? edit(lines[k].substr(1)) : lines[k]) + "\n";
        std::ofstream(f.config_path()) << text;
        return run_xvsd_check(f.config_path());
    };
    for (size_t i = 0; i < lines.size(); ++i) {
        if (!std::regex_match(lines[i], std::regex(R"(^#virtual6?\s*=.*)"))) continue;
        size_t end = i + 1;
        while (end < lines.size() && lines[end].rfind("#\t", 0) == 0) ++end;
        ++samples;
        INFO("sample at line " << i + 1 << ": " << lines[i]);
        auto [status, out] = check_sample(i, end, [](std::string l) { return l; });
        INFO(out);
        auto reject = rejected.find(lines[i]);
        if (reject == rejected.end()) {
            CHECK(status == 0);
            accepted += status == 0;
        } else {
            CHECK(status == 1);
            CHECK_THAT(out, Catch::Contains(reject->second));
        }
        // The database samples with addresses instead of sql01->sql03: MySQL
        // and PostgreSQL pass; Oracle is refused, naming the way out.
        if (lines[i].find("192.168.10.74") != std::string::npos) {
            auto [fixed_status, fixed_out] = check_sample(i, end, [](std::string l) {
                auto at = l.find("sql01->sql03");
                return at == std::string::npos ? l : l.replace(at, 12, "192.168.10.1->192.168.10.3");
            });
            INFO(fixed_out);
            if (lines[i].find(":1521") != std::string::npos) {
                CHECK(fixed_status == 1);
                CHECK_THAT(fixed_out, Catch::Contains("service=oracle cannot be checked by xvs"));
                CHECK_THAT(fixed_out, Catch::Contains("checktype=external"));
            } else {
                CHECK(fixed_status == 0);
            }
        }
        i = end - 1;
    }
    CHECK(samples == 19);  // Debian 12's ldirectord
    CHECK(accepted == samples - rejected.size());
}
