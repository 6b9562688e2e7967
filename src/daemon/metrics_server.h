// MetricsServer: a small non-blocking HTTP/1.0 server for GET /metrics
// (requests and responses: metrics_http.h).
//
// Its socket work runs on the daemon's epoll loop: fd() is an epoll fd of its
// own (the listening socket, its clients, a timer and the worker's eventfd)
// that becomes readable whenever the server has work; the loop then calls
// process(), which never blocks. The body is not made on the loop: a scrape
// takes a Snapshot there (cheap: the state the body needs, copied) whose
// Render formats it on a MetricsWorker thread; scrapes within the reuse window
// share one rendering (metrics_reuse.h). Every client holds a reference to
// that one shared body, never a copy of it, so the output memory is bounded by
// three bodies whatever the number of clients.
// Limits (MetricsLimits):
//   max_clients       connections served at once; more are answered 503 and
//                     closed at accept
//   request_timeout   from accept to the end of the request head
//   response_timeout  from the request to the last byte of the answer (the
//                     wait for a rendering included): slow readers are closed
//   max_request_bytes a longer request head is answered 400
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/unique_fd.h"
#include "config/config.h"
#include "daemon/metrics_http.h"
#include "daemon/metrics_reuse.h"
#include "daemon/metrics_worker.h"

namespace xvs {

struct MetricsLimits {
    size_t max_clients = 64;
    std::chrono::milliseconds request_timeout{std::chrono::seconds(10)};
    std::chrono::milliseconds response_timeout{std::chrono::seconds(30)};
    std::chrono::milliseconds reuse_window{std::chrono::seconds(1)};
};

class MetricsServer {
   public:
    static constexpr size_t max_request_bytes = 8192;

    // Runs on the worker thread: formats what its Snapshot took.
    using Render = MetricsWorker::Render;
    // Runs on the loop: takes what the Render needs (a throw answers 500).
    using Snapshot = std::function<Render()>;

    // Binds and listens on `endpoint` (port 0: any free port, see port()).
    // Throws std::system_error naming the endpoint.
    MetricsServer(const Endpoint& endpoint, Snapshot snapshot, MetricsLimits limits = {});

    int fd() const { return epoll_.get(); }
    uint16_t port() const { return port_; }
    // Serves whatever is ready; never blocks.
    void process();

   private:
    using Clock = std::chrono::steady_clock;
    struct Client {
        UniqueFd fd;
        std::string in;
        SharedResponse out;  // null while reading the request or waiting for a rendering
        bool requested = false;  // its request head is in
        bool gzip = false;       // the request accepts gzip
        size_t sent = 0;
        Clock::time_point deadline;
    };
    void accept_clients();
    void on_client(int fd);
    void on_request(Client& client, std::string_view head);
    void on_rendered();
    void respond(Client& client, SharedResponse response);
    bool flush(Client& client);  // false when the client is done or failed
    void close_client(int fd);
    void expire();

    Snapshot snapshot_;
    MetricsLimits limits_;
    UniqueFd epoll_;
    UniqueFd listener_;
    UniqueFd timer_;
    bool listener_paused_ = false;  // out of fds: not watched until the next tick
    uint16_t port_ = 0;
    std::map<int, Client> clients_;
    std::vector<int> waiting_;  // clients waiting for the running rendering
    MetricsReuse reuse_;
    MetricsWorker worker_;
};

// The whole HTTP answer (head and body) for one request head, the body made
// by `render` on the calling thread. Pure, for tests.
std::string metrics_http_response(std::string_view request_head,
                                  const std::function<std::string()>& render);

// Parses "ADDR:PORT" / "[V6]:PORT" (the --metrics flag); throws
// std::invalid_argument with the reason.
Endpoint parse_metrics_endpoint(std::string_view text);

}  // namespace xvs
