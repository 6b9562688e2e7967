// MetricsServer: a tiny non-blocking HTTP/1.0 server for GET /metrics.
//
// It runs on the daemon's epoll loop, no thread: fd() is an epoll fd of its
// own (the listening socket, its clients and an idle timer) that becomes
// readable whenever the server has work; the loop then calls process(),
// which never blocks. One request per connection (HTTP/1.0, Connection: close):
//   GET /metrics      200, text/plain; version=0.0.4, the body of `render`
//   GET other paths   404;  HEAD/POST/...: 405
//   malformed, or a request head over max_request_bytes: 400
//   `render` throws:  500 with the message
// Clients that have not sent a full request within idle_timeout are closed,
// and at most max_clients are served at once (more are refused at accept),
// so a slow or hostile client can neither block the loop nor exhaust fds.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "config/config.h"
#include "common/unique_fd.h"

namespace xvs {

class MetricsServer {
   public:
    static constexpr size_t max_request_bytes = 8192;
    static constexpr size_t max_clients = 64;

    using Render = std::function<std::string()>;

    // Binds and listens on `endpoint` (port 0: any free port, see port()).
    // Throws std::system_error naming the endpoint.
    MetricsServer(const Endpoint& endpoint, Render render,
                  std::chrono::seconds idle_timeout = std::chrono::seconds(10));

    int fd() const { return epoll_.get(); }
    uint16_t port() const { return port_; }
    // Serves whatever is ready; never blocks.
    void process();

   private:
    struct Client {
        UniqueFd fd;
        std::string in;
        std::string out;
        size_t sent = 0;
        bool responding = false;
        std::chrono::steady_clock::time_point since;
    };
    void accept_clients();
    void on_client(int fd, uint32_t events);
    void respond(Client& client);
    bool flush(Client& client);  // false when the client is done or failed
    void close_client(int fd);
    void expire_idle();

    Render render_;
    std::chrono::seconds idle_timeout_;
    UniqueFd epoll_;
    UniqueFd listener_;
    UniqueFd timer_;
    uint16_t port_ = 0;
    std::map<int, Client> clients_;
};

// The HTTP answer for one request head (everything up to the blank line);
// `render` gives the /metrics body. Pure, for tests.
std::string metrics_http_response(std::string_view request_head,
                                  const MetricsServer::Render& render);

// Parses "ADDR:PORT" / "[V6]:PORT" (the --metrics flag); throws
// std::invalid_argument with the reason.
Endpoint parse_metrics_endpoint(std::string_view text);

}  // namespace xvs
