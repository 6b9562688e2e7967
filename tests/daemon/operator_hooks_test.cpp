// ldirectord's operator hooks on a running xvsd (fake data plane, real
// checks and real commands): monitorfile=, fallbackcommand=, callback=,
// readdquiescent=, per-virtual cleanstop=, execute=.
#include <catch2/catch.hpp>

#include <regex>

#include "daemon_fixture.h"

using namespace xvs;
using namespace xvs::testing;

namespace {

std::vector<std::string> lines_of(const fs::path& path) {
    std::vector<std::string> out;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

void write_script(const fs::path& path, const std::string& body) {
    std::ofstream(path) << "#!/bin/sh\n" << body;
    fs::permissions(path, fs::perms::owner_all);
}

// An external check whose verdict the test sets: DIR/state says up or down.
struct SwitchableReal {
    fs::path state;
    fs::path script;
    explicit SwitchableReal(const fs::path& dir, const std::string& name = "real")
        : state(dir / (name + ".state")), script(dir / (name + ".check")) {
        set(true);
        write_script(script, "[ \"$(cat " + state.string() + ")\" = up ]\n");
    }
    void set(bool up) const { std::ofstream(state) << (up ? "up" : "down"); }
};

RealServer real_key_only(const char* address, uint16_t port) {
    RealServer r;
    r.key = RealKey{*IpAddress::parse(address), port};
    return r;
}

const RealStatus* find_real(const control::Reply& reply, const char* address) {
    for (const auto& s : reply.services)
        for (const auto& r : s.status.reals)
            if (r.key.address.to_string() == address) return &r;
    return nullptr;
}

}  // namespace

TEST_CASE("monitorfile has ldirectord's line for every check result, up and down", "[daemon]") {
    DaemonFixture f;
    SwitchableReal real(f.dir);
    const fs::path monitor = f.dir / "monitor.log";
    std::ofstream(f.config_path()) << "logfile=\"" << f.log_path() << "\"\ncheckinterval=1\n"
                                   << "virtual=10.9.0.1:80\n    real=10.9.1.1:8080 masq 3\n"
                                   << "    checktype=external\n    checkcommand=" << real.script.string() << "\n"
                                   << "    monitorfile=\"" << monitor.string() << "\"\n";
    REQUIRE(f.start());
    REQUIRE(eventually([&] { return lines_of(monitor).size() >= 3; }));
    real.set(false);
    REQUIRE(eventually([&] {
        auto lines = lines_of(monitor);
        return std::count_if(lines.begin(), lines.end(),
                             [](const std::string& l) { return l.find("[down]") != std::string::npos; }) >= 2;
    }));
    CHECK(f.stop() == 0);
    auto lines = lines_of(monitor);
    INFO(file_text(monitor));
    // [localtime] [pid] check protocol address port virtualhost checkport
    // weight forwarding request receive (each run of ':' one space) [state] message
    const std::regex shape(R"(^\[\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\] \[(\d+)\] external )" +
                           std::regex_replace(real.script.string(), std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)") +
                           R"( tcp 10\.9\.1\.1 8080 3 masq /  \[(up|down)\] (.*)$)");
    size_t ups = 0, downs = 0;
    for (const auto& line : lines) {
        std::smatch m;
        REQUIRE(std::regex_match(line, m, shape));
        CHECK(m[1] == std::to_string(f.final_pid));
        (m[2] == "up" ? ups : downs)++;
        if (m[2] == "up") CHECK(m[3] == real.script.string() + " exit status 0");
    }
    // Every result, not only the one change.
    CHECK(ups >= 3);
    CHECK(downs >= 2);
}

TEST_CASE("a monitorfile that cannot be opened stops the start with the virtual's line", "[daemon]") {
    DaemonFixture f;
    std::ofstream(f.config_path()) << "logfile=\"" << f.log_path() << "\"\n"
                                   << "virtual=10.9.0.1:80\n    real=10.9.1.1:80 masq\n    checktype=on\n"
                                   << "    monitorfile=" << (f.dir / "missing" / "monitor.log").string() << "\n";
    CHECK_FALSE(f.start());
    CHECK_THAT(f.stderr_text(), Catch::Contains(f.config_path() + ":2: unable to open monitorfile " +
                                             (f.dir / "missing" / "monitor.log").string() +
                                             ": No such file or directory"));
}

TEST_CASE("fallbackcommand runs start when no real is up and stop when the first comes back, once each",
          "[daemon]") {
    DaemonFixture f;
    SwitchableReal real(f.dir);
    real.set(false);
    const fs::path calls = f.dir / "calls";
    const fs::path command = f.dir / "fallback.sh";
    write_script(command, "echo \"$@\" >> " + calls.string() + "\n");
    std::ofstream(f.config_path()) << "logfile=\"" << f.log_path() << "\"\ncheckinterval=1\n"
                                   << "fallbackcommand=\"" << command.string() << "\"\n"
                                   << "virtual=10.9.0.1:80\n    real=10.9.1.1:80 masq\n"
                                   << "    checktype=external\n    checkcommand=" << real.script.string() << "\n"
                                   << "virtual=100\n    match=tcp 10.9.0.2:443\n    real=10.9.1.2:443 masq\n"
                                   << "    checktype=off\n";
    REQUIRE(f.start());
    auto calls_are = [&](const std::vector<std::string>& expected) {
        return eventually([&] { return lines_of(calls) == expected; });
    };
    // At start no real is up in either (ldirectord's fallback_on at start-up);
    // the external check keeps failing: no second start.
    std::vector<std::string> at_start{"start 10.9.0.1:80 tcp", "start 100 fwm"};
    auto sorted = [&] {
        auto l = lines_of(calls);
        std::sort(l.begin(), l.end());
        return l;
    };
    REQUIRE(eventually([&] { return sorted() == at_start; }));
    REQUIRE(eventually([&] { return f.log_text().find("10.9.1.1:80 unknown -> down") != std::string::npos; }));
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // more failing rounds
    CHECK(sorted() == at_start);
    auto before = lines_of(calls);
    real.set(true);
    before.push_back("stop 10.9.0.1:80 tcp");
    CHECK(calls_are(before));
    real.set(false);
    before.push_back("start 10.9.0.1:80 tcp");
    CHECK(calls_are(before));
    CHECK(f.stop() == 0);
}

TEST_CASE("callback runs with the file's name when its content changes on disk, not when only touched",
          "[daemon]") {
    DaemonFixture f;
    const fs::path calls = f.dir / "calls";
    const fs::path callback = f.dir / "callback.sh";
    write_script(callback, "echo \"$@\" >> " + calls.string() + "\n");
    // Written whole and renamed onto the file, as an editor saves it: the
    // daemon never reads a half-written file.
    auto config = [&](const std::string& comment) {
        std::string next = f.config_path() + ".new";
        std::ofstream(next) << "logfile=\"" << f.log_path() << "\"\ncallback=\"" << callback.string()
                            << "\"\n# " << comment << "\nvirtual=10.9.0.1:80\n    real=10.9.1.1:80 masq\n"
                            << "    checktype=on\n";
        fs::rename(next, f.config_path());
    };
    config("first");
    REQUIRE(f.start());
    config("first");  // rewritten with the same content
    config("second");
    REQUIRE(eventually([&] { return lines_of(calls).size() == 1; }));
    CHECK(lines_of(calls)[0] == f.config_path());
    // Not reloaded: autoreload=no (the callback is the operator's way).
    CHECK_THAT(f.log_text(), !Catch::Contains("autoreload"));
    fs::last_write_time(f.config_path(), fs::file_time_type::clock::now());
    config("second");
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    CHECK(lines_of(calls).size() == 1);
    config("third");
    CHECK(eventually([&] { return lines_of(calls).size() == 2; }));
    CHECK(f.stop() == 0);
}

TEST_CASE("an xvsadm -d of a checked real lasts until its state changes, readdquiescent decides for down",
          "[daemon]") {
    for (bool readd : {false, true}) {
        DYNAMIC_SECTION("readdquiescent=" << (readd ? "yes" : "no")) {
            DaemonFixture f;
            SwitchableReal real(f.dir);
            std::ofstream(f.config_path())
                << "logfile=\"" << f.log_path() << "\"\ncheckinterval=1\nquiescent=yes\n"
                << "readdquiescent=" << (readd ? "yes" : "no") << "\n"
                << "virtual=10.9.0.1:80\n    real=10.9.1.1:80 masq 5\n    real=10.9.1.2:80 masq 5\n"
                << "    checktype=external\n    checkcommand=" << real.script.string() << "\n";
            REQUIRE(f.start());
            auto weight = [&]() -> std::optional<uint32_t> {
                auto reply = f.call(control::Verb::status);
                const RealStatus* r = find_real(reply, "10.9.1.1");
                if (!r) return std::nullopt;
                return r->weight;
            };
            REQUIRE(eventually([&] { return weight() == std::optional<uint32_t>(5); }));
            control::Request del{control::Verb::delete_real, ServiceKey::tcp_udp(Protocol::tcp, *IpAddress::parse("10.9.0.1"), 80)};
            del.real = real_key_only("10.9.1.1", 80);
            REQUIRE(f.call(del).ok);
            REQUIRE(weight() == std::nullopt);
            real.set(false);  // both reals go down
            REQUIRE(eventually([&] { return f.log_text().find("10.9.1.1:80 up -> down") != std::string::npos; }));
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
            if (readd)
                CHECK(weight() == std::optional<uint32_t>(0));  // back, quiescent
            else
                CHECK(weight() == std::nullopt);  // the removal stands
            real.set(true);
            CHECK(eventually([&] { return weight() == std::optional<uint32_t>(5); }));  // coming up re-adds
            CHECK(f.stop() == 0);
        }
    }
}

TEST_CASE("cleanstop=no in one virtual leaves that one served after SIGTERM, the others are removed",
          "[daemon]") {
    DaemonFixture f;
    std::ofstream(f.config_path()) << "logfile=\"" << f.log_path() << "\"\n"
                                   << "virtual=10.9.0.1:80\n    real=10.9.1.1:80 masq\n    checktype=on\n"
                                   << "virtual=10.9.0.2:80\n    real=10.9.1.2:80 masq\n    checktype=on\n"
                                   << "    cleanstop=no\n"
                                   << "virtual=10.9.0.3:80\n    real=10.9.1.3:80 masq\n    checktype=on\n";
    REQUIRE(f.start());
    REQUIRE(f.call(control::Verb::status).services.size() == 3);
    CHECK(f.stop() == 0);
    CHECK(f.final_services() == "1");
    CHECK_THAT(f.log_text(), Catch::Contains("cleanstop=no: leaving 1 service(s) on the fake data plane"));
}

TEST_CASE("execute= runs another instance per file, reloads it with the daemon and stops it with it",
          "[daemon]") {
    DaemonFixture f;
    const fs::path record = f.dir / "child";
    // A stand-in for the xvsd binary: records its arguments and signals.
    f.program = (f.dir / "xvsd-stand-in").string();
    write_script(f.program, "echo \"args $*\" >> " + record.string() + "\n" +
                                "trap 'echo hup >> " + record.string() + "' HUP\n" +
                                "trap 'echo term >> " + record.string() + "; exit 0' TERM\n" +
                                // Gone with its parent, also when a failed check kills it.
                                "while kill -0 $PPID 2>/dev/null; do sleep 0.1; done\n");
    const fs::path second = f.dir / "second.cf";
    std::ofstream(f.config_path()) << "logfile=\"" << f.log_path() << "\"\nexecute=" << second.string() << "\n"
                                   << "virtual=10.9.0.1:80\n    real=10.9.1.1:80 masq\n    checktype=on\n";
    REQUIRE(f.start());
    std::string args =
        "args -f " + second.string() + " --instance second --foreground --state-dir " + f.state_root();
    REQUIRE(eventually([&] { return lines_of(record) == std::vector<std::string>{args}; }));
    REQUIRE(::kill(f.pid, SIGHUP) == 0);
    REQUIRE(eventually([&] { return lines_of(record) == std::vector<std::string>{args, "hup"}; }));
    CHECK(f.stop() == 0);
    CHECK(lines_of(record) == std::vector<std::string>{args, "hup", "term"});
}

TEST_CASE("execute= naming this daemon's own instance is refused with its line", "[daemon]") {
    DaemonFixture f;
    std::ofstream(f.config_path()) << "logfile=\"" << f.log_path() << "\"\nexecute=" << (f.dir / (f.instance + ".cf")).string()
                                   << "\nvirtual=10.9.0.1:80\n    real=10.9.1.1:80 masq\n    checktype=on\n";
    CHECK_FALSE(f.start());
    CHECK_THAT(f.stderr_text(), Catch::Contains(f.config_path() + ":2: execute=") &&
                                 Catch::Contains("would run as instance " + f.instance +
                                                 ", which is this daemon's own: rename the file"));
}

namespace {

// Python's smtpd (tests/daemon/smtp_sink.py) on a free loopback port,
// killed by PID and reaped even when the test fails.
struct SmtpSink {
    fs::path mails;
    uint16_t port = 0;
    pid_t pid = -1;
    explicit SmtpSink(const fs::path& dir) : mails(dir / "mails") {
        fs::create_directories(mails);
        SilentListener probe(true);  // a port nobody listens on now
        port = probe.port;
        pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            std::string p = std::to_string(port);
            ::execl("/usr/bin/python3", "python3", "-W", "ignore", SMTP_SINK_PATH, p.c_str(),
                    mails.c_str(), nullptr);
            ::_exit(127);
        }
        REQUIRE(eventually([&] {
            UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
            sockaddr_in a{};
            a.sin_family = AF_INET;
            a.sin_port = htons(port);
            a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            return ::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
        }));
    }
    ~SmtpSink() {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
    }
    std::vector<std::string> received() const {
        std::vector<fs::path> files;
        for (const auto& e : fs::directory_iterator(mails))
            if (e.path().extension() != ".tmp") files.push_back(e.path());
        std::sort(files.begin(), files.end());
        std::vector<std::string> out;
        for (const auto& f : files) out.push_back(file_text(f));
        return out;
    }
};

bool any_contains(const std::vector<std::string>& mails, const std::string& text) {
    return std::any_of(mails.begin(), mails.end(),
                       [&](const std::string& m) { return m.find(text) != std::string::npos; });
}

}  // namespace

TEST_CASE("emailalert mails ldirectord's alerts through smtp=, repeats while down, stops on return",
          "[daemon]") {
    DaemonFixture f;
    SwitchableReal real(f.dir);
    SmtpSink smtp(f.dir);
    std::ofstream(f.config_path()) << "logfile=\"" << f.log_path() << "\"\ncheckinterval=1\nquiescent=yes\n"
                                   << "emailalertfrom=\"LB\" <lb@example.com>\n"
                                   << "virtual=10.9.0.1:80\n    real=10.9.1.1:80 masq 4\n"
                                   << "    checktype=external\n    checkcommand=" << real.script.string() << "\n"
                                   << "    emailalert=\"ops@example.com, noc@example.com\"\n"
                                   << "    emailalertfreq=1\n    smtp=127.0.0.1:" << smtp.port << "\n"
                                   << "    servicename=web\n    comment=front page\n";
    REQUIRE(f.start());
    // The first check finds it up: restored from quiescent, during start-up.
    REQUIRE(eventually([&] { return any_contains(smtp.received(), "Restored real server"); }));
    auto first = smtp.received().front();
    INFO(first);
    CHECK_THAT(first, Catch::StartsWith("root@"));
    CHECK_THAT(first, Catch::Contains("\nops@example.com,noc@example.com\n"));
    CHECK_THAT(first, Catch::Contains("From: \"LB\" <lb@example.com>"));
    CHECK_THAT(first, Catch::Contains("To: ops@example.com, noc@example.com"));
    CHECK_THAT(first, Catch::Contains(
                          "Subject: [web] Restored real server: 10.9.1.1:80 (10.9.0.1:80) (Weight set to 4)"));
    CHECK_THAT(first, Catch::Contains("\nLog-Message: Restored real server: 10.9.1.1:80 (10.9.0.1:80) (Weight set to 4)\n"));
    CHECK_THAT(first, Catch::Contains("\nDaemon-Status: starting\n"));
    CHECK_THAT(first, Catch::Contains("\nService name: web\nComment: front page"));

    real.set(false);
    REQUIRE(eventually([&] {
        auto mails = smtp.received();
        return std::count_if(mails.begin(), mails.end(), [](const std::string& m) {
                   return m.find("Subject: [web] Inaccessible real server: 10.9.1.1:80 (10.9.0.1:80)") !=
                          std::string::npos;
               }) >= 2;
    }));
    auto mails = smtp.received();
    CHECK(any_contains(mails, "Subject: [web] Quiescent real server: 10.9.1.1:80 (10.9.0.1:80) (Weight set to 0)"));
    CHECK(any_contains(mails, "Daemon-Status: running"));
    real.set(true);
    REQUIRE(eventually([&] {
        auto m = smtp.received();
        return std::count_if(m.begin(), m.end(), [](const std::string& t) {
                   return t.find("Restored real server") != std::string::npos;
               }) == 2;
    }));
    size_t settled = smtp.received().size();
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // no repeats once it is back
    CHECK(smtp.received().size() == settled);
    CHECK(f.stop() == 0);
    // ld_stop: the served real is purged, mailed in "stopping".
    auto last = smtp.received().back();
    CHECK_THAT(last, Catch::Contains("Subject: [web] Purged real server (stop): 10.9.1.1:80 (10.9.0.1:80)"));
    CHECK_THAT(last, Catch::Contains("Daemon-Status: stopping"));
}

TEST_CASE("emailalert without smtp= pipes the mail to sendmail, emailalertstatus filters by daemon state",
          "[daemon]") {
    DaemonFixture f;
    SwitchableReal real(f.dir);
    const fs::path record = f.dir / "sendmail.out";
    // A stand-in for sendmail: records its arguments and the message.
    f.sendmail = (f.dir / "sendmail-stand-in").string();
    write_script(f.sendmail, "echo \"args $*\" >> " + record.string() + "\ncat >> " + record.string() + "\n");
    std::ofstream(f.config_path()) << "logfile=\"" << f.log_path() << "\"\ncheckinterval=1\n"
                                   << "emailalert=admin@example.com\nemailalertstatus=running\n"
                                   << "virtual=10.9.0.1:80\n    real=10.9.1.1:80 masq 2\n"
                                   << "    checktype=external\n    checkcommand=" << real.script.string() << "\n";
    REQUIRE(f.start());
    REQUIRE(eventually([&] { return f.log_text().find("unknown -> up") != std::string::npos; }));
    real.set(false);
    REQUIRE(eventually([&] { return file_text(record).find("Subject: Deleted real server") != std::string::npos; }));
    CHECK(f.stop() == 0);
    std::string out = file_text(record);
    INFO(out);
    CHECK_THAT(out, Catch::StartsWith("args -oi -f root@"));
    CHECK_THAT(out, Catch::Contains(" -- admin@example.com\n"));
    CHECK_THAT(out, Catch::Contains("Subject: Deleted real server: 10.9.1.1:80 (10.9.0.1:80)\n"));
    // Only "running": neither the start-up's "Added" nor the stop's "Purged".
    CHECK_THAT(out, !Catch::Contains("Added real server"));
    CHECK_THAT(out, !Catch::Contains("Purged"));
}
