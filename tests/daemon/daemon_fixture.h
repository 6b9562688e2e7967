// What the daemon's process tests share: a daemon in a child process with a
// fake data plane (DaemonFixture), listeners for connect checks, polling.
#pragma once

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
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/unique_fd.h"
#include "control/client.h"
#include "control/paths.h"
#include "daemon/background.h"
#include "daemon/daemon.h"
#include "fake_dataplane.h"

namespace xvs::testing {

namespace fs = std::filesystem;

// The whole of a file ("" when it is missing).
inline std::string file_text(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// How many lines of `text` contain `needle`.
inline size_t count_lines_with(const std::string& text, const std::string& needle) {
    size_t n = 0;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (line.find(needle) != std::string::npos) ++n;
    return n;
}


inline const char* seed_config = R"(logfile="LOG"
cleanstop=CLEANSTOP
virtual=100
    match=tcp 192.168.0.105:80
    match=tcp 192.168.0.105:8080
    real=192.168.239.129 masq 1
    real=192.168.239.133 masq 2
    scheduler=wrr
    persistent=360
    checktype=on
)";

// A private directory with the config, the log and the run root; kills and
// reaps the daemon and removes everything even when a check fails.
struct DaemonFixture {
    fs::path dir;
    std::string instance = "t" + std::to_string(::getpid());
    pid_t pid = -1;
    pid_t final_pid = -1;  // the daemon's pid once stop() reaped it

    DaemonFixture() {
        static int serial = 0;
        dir = fs::temp_directory_path() /
              ("xvs-daemon-test-" + std::to_string(::getpid()) + "-" + std::to_string(++serial));
        fs::remove_all(dir);
        fs::create_directories(dir);
        write_config("yes");
    }
    ~DaemonFixture() {
        if (pid > 0) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
        std::error_code ec;
        fs::remove_all(dir, ec);
    }

    std::string config_path() const { return (dir / "xvs.cf").string(); }
    std::string log_path() const { return (dir / "xvs.log").string(); }
    std::string run_root() const { return (dir / "run").string(); }
    std::string state_root() const { return (dir / "state").string(); }
    std::string final_state() const { return (dir / "final").string(); }
    std::string socket() const { return control::socket_path(instance, run_root()); }

    void write_config(const std::string& cleanstop, const std::string& extra_real = "",
                      const std::string& weight_133 = "2") {
        std::string text = seed_config;
        text.replace(text.find("LOG"), 3, log_path());
        text.replace(text.find("CLEANSTOP"), 9, cleanstop);
        text.replace(text.find("133 masq 2"), 10, "133 masq " + weight_133);
        if (!extra_real.empty()) text += "    real=" + extra_real + " masq 1\n";
        std::ofstream(config_path()) << text;
    }

    // execute='s program and the mailer, when a test sets them.
    std::string program;
    std::string sendmail;

    DaemonOptions options() const {
        DaemonOptions o;
        o.config_path = config_path();
        o.instance = instance;
        o.run_root = run_root();
        o.state_root = state_root();
        o.program = program;
        if (!sendmail.empty()) o.sendmail = sendmail;
        return o;
    }

    // What the fake plane reports serving when opened (a restart's pins).
    std::vector<ServiceStatus> serving_at_open;
    // How the daemon reads its file; unset: parse_config_file.
    ConfigReader reader;

    // Interface states the fake plane reports, as an XDP plane would (none:
    // a plane without interfaces, as IPVS). Its interface check reports
    // `first_sync_note` once.
    std::vector<InterfaceState> interfaces;
    InterfaceNote first_sync_note;

    // Entries the fake plane's connection table lists.
    size_t listed_connections = 0;

    DataplaneMaker fake_maker() const {
        std::string final_file = final_state();
        size_t listed = listed_connections;
        auto serving = serving_at_open;
        auto states = interfaces;
        auto note = first_sync_note;
        return [final_file, listed, serving, states, note](const DataplaneRequest&, const Model&, Logger&) {
            DataplaneHandle h;
            h.plane = std::make_unique<testing::FakeDataplane>(final_file, listed);
            if (!serving.empty()) h.serving_at_open = [serving] { return serving; };
            if (!states.empty()) {
                h.interfaces = [states] { return states; };
                h.sync_interfaces = [note, told = false]() mutable {
                    if (told) return std::vector<InterfaceNote>{};
                    told = true;
                    return std::vector<InterfaceNote>{note};
                };
                h.interface_concerns = [](const std::string&, uint32_t) { return false; };
            }
            return h;
        };
    }

    // RLIMIT_NOFILE (soft and hard) of the daemon's process, when set.
    std::optional<rlim_t> fd_limit;

    // Starts the daemon in a child process; returns once it serves (true) or
    // has failed to start (false).
    bool start() {
        int rc = run_in_background([this](const std::function<void()>& ready) {
            if (fd_limit) {
                rlimit rl{*fd_limit, *fd_limit};
                if (::setrlimit(RLIMIT_NOFILE, &rl) != 0) return 99;
            }
            // An exception must end the child here, not run the rest of
            // the tests in it.
            try {
                // What the daemon says before it has its logfile goes here.
                UniqueFd echo(::open(stderr_path().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
                Logger log(instance, echo ? echo.get() : STDERR_FILENO);
                Daemon daemon(options(), log, fake_maker(), reader);
                return daemon.run(ready);
            } catch (...) {
                return 98;
            }
        });
        if (rc != 0) return false;
        std::ifstream in(control::pid_file_path(instance, run_root()));
        in >> pid;
        return pid > 0;
    }

    // Signals the daemon and returns its exit status.
    int stop(int signo = SIGTERM) {
        REQUIRE(::kill(pid, signo) == 0);
        int status = 0;
        REQUIRE(::waitpid(pid, &status, 0) == pid);
        final_pid = pid;
        pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }

    control::Reply call(control::Verb verb) {
        return control::call_daemon(socket(), control::Request{verb, {}});
    }
    control::Reply call(const control::Request& request) {
        return control::call_daemon(socket(), request);
    }

    std::string stderr_path() const { return (dir / "stderr").string(); }
    std::string stderr_text() const { return file_text(stderr_path()); }

    std::string log_text() const { return file_text(log_path()); }

    std::string final_services() const {
        std::ifstream in(final_state());
        std::string n;
        in >> n;
        return n;
    }
};

// Polls `done` for up to 20 s (a bound against hanging, not a timing claim).
template <typename F>
inline bool eventually(F done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
        if (done()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return done();
}

inline uint32_t weight_of(const control::Reply& reply, const char* real) {
    for (const auto& s : reply.services)
        for (const auto& r : s.status.reals)
            if (r.key.address.to_string() == real) return r.weight;
    return 9999;
}

// The table of seed_config: firewall mark 100 with its two reals, .133 at weight 2.
inline void check_seed_table(const control::Reply& reply) {
    REQUIRE(reply.ok);
    REQUIRE(reply.services.size() == 1);
    CHECK(reply.services[0].status.key == ServiceKey::mark(100, Family::v4));
    CHECK(reply.services[0].status.reals.size() == 2);
    CHECK(weight_of(reply, "192.168.239.133") == 2);
}



// A TCP listener on 0.0.0.0 that never accepts: the kernel completes the
// handshake, nobody answers, so an http check against it hangs until its
// timeout. Its port, or a port nobody listens on (closed = true).
struct SilentListener {
    UniqueFd fd;
    uint16_t port = 0;
    explicit SilentListener(bool closed = false) : fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        REQUIRE(fd);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        socklen_t len = sizeof a;
        REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        REQUIRE(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&a), &len) == 0);
        port = ntohs(a.sin_port);
        if (closed)
            fd.reset();  // the port is free again: connecting is refused
        else
            REQUIRE(::listen(fd.get(), 16) == 0);
    }
};

inline RealStatus real_status(const char* address, uint16_t port, uint32_t weight) {
    RealStatus r;
    r.key = RealKey{*IpAddress::parse(address), port};
    r.method = ForwardMethod::masq;
    r.weight = weight;
    return r;
}


// Non-blocking: a daemon that stops accepting fails the test (EAGAIN while
// the backlog stays full, for 20 s) instead of hanging it.
inline UniqueFd connect_unix(const std::string& path) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    REQUIRE(fd);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, path.c_str());
    bool connected = eventually([&] {
        return ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    });
    REQUIRE(connected);
    return fd;
}

// A listener that accepts and closes every connection on a thread of its
// own, so connect checks keep succeeding however many there are.
struct AcceptingListener {
    SilentListener socket;
    std::thread acceptor;
    AcceptingListener() {
        REQUIRE(::listen(socket.fd.get(), 4096) == 0);
        acceptor = std::thread([fd = socket.fd.get()] {
            for (;;) {
                int c = ::accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
                if (c < 0) {
                    if (errno == EINTR || errno == ECONNABORTED) continue;
                    return;  // shut down
                }
                ::close(c);
            }
        });
    }
    ~AcceptingListener() {
        ::shutdown(socket.fd.get(), SHUT_RDWR);
        acceptor.join();
    }
};

}  // namespace xvs::testing
