// The HTTP side of GET /metrics, without sockets: what a request asks for and
// the responses (pure; metrics_server.cpp does the I/O).
//
// One request per connection (HTTP/1.0, Connection: close):
//   GET /metrics      200, text/plain; version=0.0.4, the metrics body
//   GET other paths   404;  HEAD/POST/...: 405
//   malformed:        400
// A response is its head and its body apart, so that a body shared by many
// clients is never copied into each one's head.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <variant>

namespace xvs {

struct HttpResponse {
    std::string head;  // status line and headers, up to the blank line
    std::string body;
    size_t size() const { return head.size() + body.size(); }
};
using SharedResponse = std::shared_ptr<const HttpResponse>;

HttpResponse http_response(std::string_view status, std::string_view content_type,
                           std::string body);
// A short text/plain answer (errors, 503).
HttpResponse plain_response(std::string_view status, std::string_view message);
// 200 with the exposition format's content type.
HttpResponse metrics_ok_response(std::string body);

// What a complete request head (everything up to the blank line) asks for:
// the metrics body, or a response that needs none (400/404/405).
struct WantsMetrics {};
using MetricsRequest = std::variant<WantsMetrics, HttpResponse>;
MetricsRequest classify_metrics_request(std::string_view head);

// The end of the request head in `in` ("\r\n\r\n" or, leniently, "\n\n"),
// or npos while it is incomplete.
size_t request_head_end(std::string_view in);

}  // namespace xvs
