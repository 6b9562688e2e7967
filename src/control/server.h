// The daemon side of the control socket.
//
// ControlServer listens on a unix socket (mode 0600: root only) and serves
// many clients without ever blocking its caller: fd() is an epoll descriptor
// the daemon's loop watches; when it is readable, process() accepts, reads,
// answers and closes whatever is ready. One request per connection. A request
// that is too large or malformed gets an error reply, never a crash; a
// handler that throws becomes an error reply carrying the exception's text.
//
// Limits, so that no client can lock others out:
//  - at most Limits::max_clients connections at once; one more gets the
//    error reply busy_message() and is closed at once;
//  - a client whose whole request has not arrived Limits::idle_timeout after
//    it connected (trickling bytes does not extend that), or that reads
//    nothing of its reply for as long, gets the error reply idle_message()
//    (if it has no reply yet) and is closed;
//  - when accept finds no fd left (EMFILE, ENFILE), a spare fd kept for this
//    is given up for the moment to accept the client and tell it the daemon
//    is busy; when even that fails, the listener pauses for a moment.
//    Either way the failure goes to Limits::notice (at most once per 10 s,
//    with how many were held back) and process() goes on serving.
//
// A handler whose answer is a stream (the connection table) takes the
// client's socket with hand_over() and answers from elsewhere.
//
// A handler that cannot answer at once (a reload parsing the file) calls
// defer() and returns; its reply is sent by complete(ticket, reply) later,
// while the other clients are served as usual. A deferred client is not idle:
// its timeout starts again when its reply is ready.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "common/throttle.h"
#include "common/unique_fd.h"
#include "control/framing.h"
#include "control/protocol.h"

namespace xvs::control {

class ControlServer {
   public:
    using Handler = std::function<Reply(const Request&)>;
    using Clock = std::chrono::steady_clock;
    struct Limits {
        size_t max_clients = 64;
        std::chrono::milliseconds idle_timeout{5000};
        // How long the listener pauses when no fd is left even for the spare.
        std::chrono::milliseconds accept_pause{100};
        std::function<void(const std::string&)> notice;  // may be empty
    };

    // Binds `socket_path` (which must not exist) and listens. Throws
    // std::system_error with context on failure.
    ControlServer(std::string socket_path, Handler handler);
    ControlServer(std::string socket_path, Handler handler, Limits limits);
    ~ControlServer();  // closes every client and removes the socket file
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;

    int fd() const { return epoll_.get(); }
    void process();
    // Only inside the handler: the request being handled is answered later by
    // complete(); the handler's return value is then not sent. A client that
    // goes away meanwhile is dropped, and complete() for it does nothing.
    uint64_t defer();
    void complete(uint64_t ticket, const Reply& reply);
    // Only inside the handler: the client's socket leaves the server, which
    // sends it nothing and no longer counts or times it; whoever takes it
    // answers (a streamed reply, from a thread of its own) and closes it.
    UniqueFd hand_over();
    const std::string& socket_path() const { return socket_path_; }
    size_t clients() const { return clients_.size(); }

    std::string busy_message() const;
    std::string idle_message() const;

   private:
    struct Client {
        UniqueFd fd;
        FrameReader reader{max_request_bytes};
        std::string out;  // framed reply still to send
        size_t sent = 0;
        // Accepted, then the last progress in sending the reply.
        Clock::time_point last_active;
        uint64_t ticket = 0;  // deferred: the reply waits for complete(ticket)
        bool handed_over = false;
    };
    void accept_clients();
    // accept4 failed with EMFILE/ENFILE: answer one client through the spare
    // fd, or pause the listener. False when the accept loop must stop.
    bool on_out_of_fds(int err);
    void report_accept_failure(int err, const std::string& outcome);
    void pause_listener();
    void on_client_ready(int client_fd);
    void start_reply(Client& client, const Reply& reply);
    bool flush(Client& client);  // true when everything is sent
    void drop(int client_fd);
    void expire_idle(Clock::time_point now);
    void arm_timer();
    void notice(const std::string& message);

    std::string socket_path_;
    Handler handler_;
    Limits limits_;
    UniqueFd epoll_;
    UniqueFd listener_;
    UniqueFd timer_;  // idle deadlines and the end of an accept pause
    UniqueFd spare_;  // /dev/null, given up when accept finds no fd
    std::optional<Clock::time_point> listener_paused_until_;
    Throttle accept_throttle_{std::chrono::seconds(10)};
    std::map<int, std::unique_ptr<Client>> clients_;
    Client* handling_ = nullptr;  // the client whose request the handler has
    uint64_t next_ticket_ = 1;
};

}  // namespace xvs::control
