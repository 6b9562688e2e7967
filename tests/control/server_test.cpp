#include <catch2/catch.hpp>

#include "support/temp_dir.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <future>
#include <optional>
#include <stdexcept>
#include <thread>

#include "control/client.h"
#include "control/framing.h"
#include "control/server.h"
#include "common/unique_fd.h"

using namespace xvs;
using namespace xvs::control;
namespace fs = std::filesystem;

namespace {

struct TempDir : testing::TempDir {
    TempDir() : testing::TempDir("control-test") {}
};

// Runs a ControlServer's process() on its own thread, as the daemon loop would.
class RunningServer {
   public:
    RunningServer(const std::string& path, ControlServer::Handler handler,
                  ControlServer::Limits limits = {})
        : server_(path, std::move(handler), std::move(limits)), thread_([this] { loop(); }) {}
    ~RunningServer() {
        stop_ = true;
        thread_.join();
    }
    const ControlServer& server() const { return server_; }

   private:
    void loop() {
        while (!stop_) {
            pollfd p{server_.fd(), POLLIN, 0};
            if (::poll(&p, 1, 20) > 0) server_.process();
        }
    }
    ControlServer server_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

Reply echo_handler(const Request& r) {
    if (r.verb == Verb::reload) throw std::runtime_error("x.cf:3: no such directive");
    Reply reply;
    reply.message = std::string("handled ") + to_string(r.verb);
    return reply;
}

// A client connected to the server at `path` that has sent nothing yet.
UniqueFd connect_to(const std::string& path) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    REQUIRE(fd);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, path.c_str());
    REQUIRE(::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    return fd;
}

// Sends raw bytes and returns the decoded reply.
Reply raw_exchange(const std::string& path, const std::string& bytes) {
    UniqueFd fd = connect_to(path);
    write_all(fd.get(), bytes, "test write");
    return decode_reply(read_frame(fd.get(), max_reply_bytes, "test read"));
}

}  // namespace

TEST_CASE("the server answers a request through the client", "[server]") {
    TempDir dir;
    std::string path = (dir.path / "control.sock").string();
    RunningServer running(path, echo_handler);
    Reply reply = call_daemon(path, Request{Verb::status, {}});
    CHECK(reply.ok);
    CHECK(reply.message == "handled status");
    reply = call_daemon(path, Request{Verb::zero, {}});
    CHECK(reply.message == "handled zero");
}

TEST_CASE("the control socket is private to root", "[server]") {
    TempDir dir;
    std::string path = (dir.path / "control.sock").string();
    {
        ControlServer server(path, echo_handler);
        struct stat st{};
        REQUIRE(::stat(path.c_str(), &st) == 0);
        CHECK(S_ISSOCK(st.st_mode));
        CHECK((st.st_mode & 0777) == 0600);
    }
    CHECK_FALSE(fs::exists(path));  // removed with the server
}

TEST_CASE("a handler's exception becomes an error reply", "[server]") {
    TempDir dir;
    std::string path = (dir.path / "control.sock").string();
    RunningServer running(path, echo_handler);
    Reply reply = call_daemon(path, Request{Verb::reload, {}});
    CHECK_FALSE(reply.ok);
    CHECK(reply.error == "x.cf:3: no such directive");
}

TEST_CASE("garbage, oversized and abandoned requests get errors and leave the server serving",
          "[server]") {
    TempDir dir;
    std::string path = (dir.path / "control.sock").string();
    RunningServer running(path, echo_handler);

    Reply garbage = raw_exchange(path, frame("\x01\x02 not a request\n"));
    CHECK_FALSE(garbage.ok);
    CHECK_THAT(garbage.error, Catch::Contains("not an xvs control message"));

    std::string huge_header = frame(std::string(max_request_bytes + 1, 'x')).substr(0, 4);
    Reply huge = raw_exchange(path, huge_header);
    CHECK_FALSE(huge.ok);
    CHECK_THAT(huge.error, Catch::Contains("exceeds the limit"));

    {  // connects, sends half a header, goes away
        UniqueFd fd = connect_to(path);
        write_all(fd.get(), std::string("\0\0", 2), "half header");
    }
    Reply after = call_daemon(path, Request{Verb::status, {}});
    CHECK(after.ok);
}

TEST_CASE("a missing daemon is reported with the socket path", "[server]") {
    TempDir dir;
    std::string path = (dir.path / "control.sock").string();
    try {
        call_daemon(path, Request{});
        FAIL("call_daemon should have thrown");
    } catch (const DaemonUnreachable& e) {
        CHECK_THAT(e.what(), Catch::Contains(path));
        CHECK_THAT(e.what(), Catch::Contains("No such file or directory"));
    }
}

TEST_CASE("binding over an existing path fails instead of stealing it", "[server]") {
    TempDir dir;
    std::string path = (dir.path / "control.sock").string();
    ControlServer first(path, echo_handler);
    CHECK_THROWS_AS(ControlServer(path, echo_handler), std::system_error);
}

TEST_CASE("a client without a whole request is told so and closed after the idle timeout",
          "[server]") {
    TempDir dir;
    std::string path = (dir.path / "control.sock").string();
    ControlServer::Limits limits;
    limits.idle_timeout = std::chrono::milliseconds(200);
    RunningServer running(path, echo_handler, limits);
    std::vector<UniqueFd> idle;
    for (int i = 0; i < 3; ++i) idle.push_back(connect_to(path));
    // Half a header, then a byte now and then: that does not keep it open.
    idle.push_back(connect_to(path));
    write_all(idle.back().get(), std::string("\0", 1), "a first byte");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    write_all(idle.back().get(), std::string("\0", 1), "a second byte");
    for (auto& fd : idle) {
        // A bound against hanging (the server never closing), not a timing claim.
        pollfd p{fd.get(), POLLIN, 0};
        REQUIRE(::poll(&p, 1, 10000) == 1);
        Reply reply = decode_reply(read_frame(fd.get(), max_reply_bytes, "idle client"));
        CHECK_FALSE(reply.ok);
        CHECK(reply.error == running.server().idle_message());
        char byte;
        CHECK(::read(fd.get(), &byte, 1) == 0);  // then EOF
    }
    CHECK(call_daemon(path, Request{Verb::status, {}}).ok);
}

TEST_CASE("a full server answers busy at once, and serves again once idle clients time out",
          "[server]") {
    TempDir dir;
    std::string path = (dir.path / "control.sock").string();
    ControlServer::Limits limits;
    limits.max_clients = 4;
    limits.idle_timeout = std::chrono::milliseconds(1000);
    RunningServer running(path, echo_handler, limits);
    std::vector<UniqueFd> idle;
    for (size_t i = 0; i < limits.max_clients; ++i) idle.push_back(connect_to(path));

    Reply busy = call_daemon(path, Request{Verb::status, {}});
    CHECK_FALSE(busy.ok);
    CHECK(busy.error == running.server().busy_message());
    CHECK_THAT(busy.error, Catch::Contains("busy"));

    // The idle clients are closed; then requests are served again (polled,
    // with a generous bound).
    bool served = false;
    for (int i = 0; i < 200 && !served; ++i) {
        served = call_daemon(path, Request{Verb::status, {}}).ok;
        if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    CHECK(served);
}

TEST_CASE("a daemon that closes on the client is an error, not SIGPIPE", "[server]") {
    int pair[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0);
    UniqueFd client(pair[0]), daemon(pair[1]);
    SECTION("closed without an answer") {
        daemon.reset();
        try {
            exchange(client.get(), Request{Verb::status, {}});
            FAIL("exchange should have thrown");
        } catch (const std::system_error& e) {
            CHECK(e.code().value() == EPIPE);
            CHECK_THAT(e.what(), Catch::Contains("xvsd closed the connection before answering"));
        }
    }
    SECTION("closed after answering busy: the answer is what the client gets") {
        write_all(daemon.get(), frame(encode_reply(Reply::failure("xvsd is busy"))), "busy");
        daemon.reset();
        Reply reply = exchange(client.get(), Request{Verb::status, {}});
        CHECK_FALSE(reply.ok);
        CHECK(reply.error == "xvsd is busy");
    }
}

namespace {

// Runs process() on the test's thread until `done` (bounded: 20 s).
template <typename F>
bool serve_until(ControlServer& server, F done) {
    for (int i = 0; i < 1000 && !done(); ++i) {
        pollfd p{server.fd(), POLLIN, 0};
        if (::poll(&p, 1, 20) > 0) server.process();
    }
    return done();
}

}  // namespace

TEST_CASE("a deferred reply is sent by complete() while other clients are served", "[server]") {
    TempDir dir;
    std::string path = (dir.path / "control.sock").string();
    ControlServer* self = nullptr;
    std::optional<uint64_t> ticket;
    ControlServer server(path, [&](const Request& r) {
        if (r.verb == Verb::reload) {
            ticket = self->defer();
            return Reply::failure("never sent");
        }
        return echo_handler(r);
    });
    self = &server;

    auto deferred = std::async(std::launch::async, [&] { return call_daemon(path, Request{Verb::reload, {}}); });
    REQUIRE(serve_until(server, [&] { return ticket.has_value(); }));
    auto other = std::async(std::launch::async, [&] { return call_daemon(path, Request{Verb::status, {}}); });
    REQUIRE(serve_until(server, [&] { return other.wait_for(std::chrono::seconds(0)) == std::future_status::ready; }));
    CHECK(other.get().message == "handled status");
    CHECK(deferred.wait_for(std::chrono::seconds(0)) == std::future_status::timeout);

    Reply later;
    later.message = "reload: 1 real changed";
    server.complete(*ticket, later);
    REQUIRE(serve_until(server, [&] { return deferred.wait_for(std::chrono::seconds(0)) == std::future_status::ready; }));
    CHECK(deferred.get().message == "reload: 1 real changed");
    server.complete(*ticket, later);  // answered already: nothing happens
}

TEST_CASE("a client that hangs up while its reply is deferred is dropped", "[server]") {
    TempDir dir;
    std::string path = (dir.path / "control.sock").string();
    ControlServer* self = nullptr;
    std::optional<uint64_t> ticket;
    ControlServer server(path, [&](const Request&) {
        ticket = self->defer();
        return Reply{};
    });
    self = &server;
    CHECK_THROWS_AS(server.defer(), std::logic_error);  // only inside the handler

    {
        UniqueFd fd = connect_to(path);
        write_all(fd.get(), frame(encode_request(Request{Verb::reload, {}})), "test write");
        REQUIRE(serve_until(server, [&] { return ticket.has_value(); }));
    }
    // The hang-up is noticed (the server stops reporting it), and completing
    // afterwards touches nothing.
    bool quiet = false;
    for (int i = 0; i < 100 && !quiet; ++i) {
        pollfd p{server.fd(), POLLIN, 0};
        quiet = ::poll(&p, 1, 20) == 0;
        if (!quiet) server.process();
    }
    CHECK(quiet);
    server.complete(*ticket, Reply{});
}

TEST_CASE("a deferred client outlasts the idle timeout and gets its reply", "[server]") {
    TempDir dir;
    std::string path = (dir.path / "control.sock").string();
    ControlServer::Limits limits;
    limits.idle_timeout = std::chrono::milliseconds(100);
    ControlServer* self = nullptr;
    std::optional<uint64_t> ticket;
    ControlServer server(
        path,
        [&](const Request&) {
            ticket = self->defer();
            return Reply{};
        },
        limits);
    self = &server;
    auto deferred = std::async(std::launch::async, [&] { return call_daemon(path, Request{Verb::reload, {}}); });
    REQUIRE(serve_until(server, [&] { return ticket.has_value(); }));
    // Several idle timeouts pass while the reply is being made (a long parse).
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
    serve_until(server, [&] { return std::chrono::steady_clock::now() >= until; });
    CHECK(server.clients() == 1);
    Reply later;
    later.message = "reload: no change";
    server.complete(*ticket, later);
    REQUIRE(serve_until(server, [&] { return deferred.wait_for(std::chrono::seconds(0)) == std::future_status::ready; }));
    CHECK(deferred.get().message == "reload: no change");
}

TEST_CASE("a handed-over client leaves the server and is answered by whoever took it", "[server]") {
    TempDir dir;
    std::string path = (dir.path / "control.sock").string();
    ControlServer* self = nullptr;
    UniqueFd taken;
    ControlServer server(path, [&](const Request& r) {
        if (r.verb == Verb::list_connections) {
            taken = self->hand_over();
            return Reply::failure("never sent");
        }
        return echo_handler(r);
    });
    self = &server;
    CHECK_THROWS_AS(server.hand_over(), std::logic_error);  // only inside the handler

    std::vector<Reply> parts;
    auto listing = std::async(std::launch::async, [&] {
        call_daemon(path, Request{Verb::list_connections, {}}, [&](Reply& part) { parts.push_back(part); });
    });
    REQUIRE(serve_until(server, [&] { return taken.valid(); }));
    CHECK(server.clients() == 0);  // no longer counted, timed or answered by the server
    auto other = std::async(std::launch::async, [&] { return call_daemon(path, Request{Verb::status, {}}); });
    REQUIRE(serve_until(server, [&] { return other.wait_for(std::chrono::seconds(0)) == std::future_status::ready; }));
    CHECK(other.get().message == "handled status");

    Reply first, last;
    first.more = true;
    first.message = "part 1";
    last.message = "part 2";
    write_all(taken.get(), frame(encode_reply(first)), "test write");
    write_all(taken.get(), frame(encode_reply(last)), "test write");
    taken.reset();
    listing.get();
    REQUIRE(parts.size() == 2);
    CHECK(parts[0].message == "part 1");
    CHECK(parts[1].message == "part 2");
}

TEST_CASE("a stream cut short before its last part is an error for the client", "[server]") {
    TempDir dir;
    std::string path = (dir.path / "control.sock").string();
    ControlServer* self = nullptr;
    UniqueFd taken;
    ControlServer server(path, [&](const Request&) {
        taken = self->hand_over();
        return Reply{};
    });
    self = &server;
    auto listing = std::async(std::launch::async, [&] {
        call_daemon(path, Request{Verb::list_connections, {}}, [](Reply&) {});
    });
    REQUIRE(serve_until(server, [&] { return taken.valid(); }));
    Reply first;
    first.more = true;
    write_all(taken.get(), frame(encode_reply(first)), "test write");
    taken.reset();  // the daemon went away mid-listing
    CHECK_THROWS_AS(listing.get(), std::system_error);
}
