// The daemon side of the control socket.
//
// ControlServer listens on a unix socket (mode 0600: root only) and serves
// many clients without ever blocking its caller: fd() is an epoll descriptor
// the daemon's loop watches; when it is readable, process() accepts, reads,
// answers and closes whatever is ready. One request per connection. A request
// that is too large or malformed gets an error reply, never a crash; a
// handler that throws becomes an error reply carrying the exception's text.
// A handler that cannot answer at once (a reload parsing the file) calls
// defer() and returns; its reply is sent by complete(ticket, reply) later,
// while the other clients are served as usual.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "control/framing.h"
#include "control/protocol.h"
#include "common/unique_fd.h"

namespace xvs::control {

class ControlServer {
   public:
    using Handler = std::function<Reply(const Request&)>;
    static constexpr size_t max_clients = 64;

    // Binds `socket_path` (which must not exist) and listens. Throws
    // std::system_error with context on failure.
    ControlServer(std::string socket_path, Handler handler);
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
    const std::string& socket_path() const { return socket_path_; }

   private:
    struct Client {
        UniqueFd fd;
        FrameReader reader{max_request_bytes};
        std::string out;  // framed reply still to send
        size_t sent = 0;
        uint64_t ticket = 0;  // deferred: the reply waits for complete(ticket)
    };
    void accept_clients();
    void on_client_ready(int client_fd);
    void start_reply(Client& client, const Reply& reply);
    bool flush(Client& client);  // true when everything is sent
    void drop(int client_fd);

    std::string socket_path_;
    Handler handler_;
    UniqueFd epoll_;
    UniqueFd listener_;
    std::map<int, std::unique_ptr<Client>> clients_;
    Client* handling_ = nullptr;  // the client whose request the handler has
    uint64_t next_ticket_ = 1;
};

}  // namespace xvs::control
