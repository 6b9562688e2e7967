// ConnectionStreams over socket pairs: a table streams in parts and ends
// with the last; a failing cursor ends with its error; one listing too many
// is told the daemon is busy; a client that reads nothing is given up after
// the send timeout; stopping does not wait for such a client.
#include <fcntl.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "common/unique_fd.h"
#include "control/framing.h"
#include "control/protocol.h"
#include "daemon/connection_streams.h"

using namespace xvs;

namespace {

// `total` entries (forever when 0); throws after `fail_after` if set; each
// next() first waits until released when `gate` is set.
class ScriptedCursor : public ConnectionCursor {
   public:
    struct Gate {
        std::mutex mutex;
        std::condition_variable opened;
        bool open = false;
        void release() {
            std::lock_guard lock(mutex);
            open = true;
            opened.notify_all();
        }
    };
    ScriptedCursor(size_t total, size_t fail_after = 0, Gate* gate = nullptr)
        : total_(total), fail_after_(fail_after), gate_(gate) {}
    bool next(std::vector<ConnectionEntry>& out, size_t max) override {
        if (gate_) {
            std::unique_lock lock(gate_->mutex);
            gate_->opened.wait(lock, [this] { return gate_->open; });
        }
        for (; max > 0 && (total_ == 0 || made_ < total_); --max) {
            if (fail_after_ && made_ == fail_after_) throw DataplaneError("xvs_conns: Bad address");
            ConnectionEntry e;
            e.client_port = static_cast<uint16_t>(++made_);
            e.state = "ESTABLISHED";
            out.push_back(e);
        }
        return total_ == 0 || made_ < total_;
    }

   private:
    size_t total_, fail_after_;
    Gate* gate_;
    size_t made_ = 0;
};

struct Pair {
    Pair() {
        int fds[2];
        REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds) == 0);
        daemon_end.reset(fds[0]);
        client_end.reset(fds[1]);
        // The client side reads blocking.
        int flags = ::fcntl(client_end.get(), F_GETFL);
        REQUIRE(::fcntl(client_end.get(), F_SETFL, flags & ~O_NONBLOCK) == 0);
    }
    control::Reply read() {
        return control::decode_reply(control::read_frame(client_end.get(), control::max_reply_bytes, "reading"));
    }
    UniqueFd daemon_end, client_end;
};

template <typename F>
bool eventually(F done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
        if (done()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return done();
}

}  // namespace

TEST_CASE("a listing streams in parts of part_entries and the last part says so", "[streams]") {
    ConnectionStreams::Limits limits;
    limits.part_entries = 100;
    ConnectionStreams streams(limits);
    Pair p;
    streams.start(std::move(p.daemon_end), "xdp", std::make_unique<ScriptedCursor>(250));
    auto a = p.read(), b = p.read(), c = p.read();
    CHECK(a.ok);
    CHECK(a.dataplane == "xdp");
    CHECK(a.connections.size() == 100);
    CHECK(a.more);
    CHECK(b.connections.size() == 100);
    CHECK(b.more);
    CHECK(c.connections.size() == 50);
    CHECK_FALSE(c.more);
    CHECK(c.connections.back().client_port == 250);
    char byte;
    CHECK(::read(p.client_end.get(), &byte, 1) == 0);  // closed after the last part
    CHECK(eventually([&] { return streams.running() == 0; }));
}

TEST_CASE("a cursor failing mid-walk ends the listing with its error", "[streams]") {
    ConnectionStreams::Limits limits;
    limits.part_entries = 100;
    ConnectionStreams streams(limits);
    Pair p;
    streams.start(std::move(p.daemon_end), "xdp", std::make_unique<ScriptedCursor>(1000, 150));
    auto first = p.read();
    CHECK(first.ok);
    CHECK(first.more);
    auto last = p.read();
    CHECK_FALSE(last.ok);
    CHECK_FALSE(last.more);
    CHECK(last.error == "listing connections: xvs_conns: Bad address");
}

TEST_CASE("one listing more than max_streams is told xvsd is busy", "[streams]") {
    ConnectionStreams::Limits limits;
    limits.max_streams = 1;
    ConnectionStreams streams(limits);
    ScriptedCursor::Gate gate;
    Pair held, refused;
    streams.start(std::move(held.daemon_end), "xdp", std::make_unique<ScriptedCursor>(10, 0, &gate));
    streams.start(std::move(refused.daemon_end), "xdp", std::make_unique<ScriptedCursor>(10));
    auto busy = refused.read();
    CHECK_FALSE(busy.ok);
    CHECK(busy.error == streams.busy_message());
    CHECK(busy.error == "xvsd is busy: 1 connection listings are running; try again");
    gate.release();
    auto listed = held.read();
    CHECK(listed.ok);
    CHECK(listed.connections.size() == 10);
}

TEST_CASE("a client that reads nothing is given up after the send timeout, and stopping does not wait for one",
          "[streams]") {
    ConnectionStreams::Limits limits;
    limits.send_timeout = std::chrono::milliseconds(200);
    Pair idle;
    {
        ConnectionStreams streams(limits);
        streams.start(std::move(idle.daemon_end), "xdp", std::make_unique<ScriptedCursor>(0));  // endless
        CHECK(eventually([&] { return streams.running() == 0; }));
    }
    limits.send_timeout = std::chrono::hours(1);
    Pair stuck;
    auto began = std::chrono::steady_clock::now();
    {
        ConnectionStreams streams(limits);
        streams.start(std::move(stuck.daemon_end), "xdp", std::make_unique<ScriptedCursor>(0));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let it fill the socket
        CHECK(streams.running() == 1);
    }  // the destructor shuts the socket down instead of waiting an hour
    CHECK(std::chrono::steady_clock::now() - began < std::chrono::minutes(10));
}
