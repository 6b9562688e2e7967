// The HTTP side of GET /metrics, without sockets: what a request asks for and
// the responses (pure; metrics_server.cpp does the I/O).
//
// One request per connection (HTTP/1.0, Connection: close):
//   GET /metrics      200, text/plain; version=0.0.4, the metrics body,
//                     gzip-encoded when Accept-Encoding lists gzip (q > 0)
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

// `extra_headers`: whole header lines, each ending in "\r\n".
HttpResponse http_response(std::string_view status, std::string_view content_type,
                           std::string body, std::string_view extra_headers = {});
// A short text/plain answer (errors, 503).
HttpResponse plain_response(std::string_view status, std::string_view message);
// 200 with the exposition format's content type.
HttpResponse metrics_ok_response(std::string body);

// One answer to a scrape in both encodings, in one allocation: holding either
// pointer keeps both (MetricsReuse counts the bodies held by that).
struct MetricsBodies {
    SharedResponse identity;
    SharedResponse gzip;
    explicit operator bool() const { return identity != nullptr; }
    const SharedResponse& encoded(bool gzip_wanted) const { return gzip_wanted ? gzip : identity; }
};
// 200 with `body` as it is and gzip-compressed.
MetricsBodies metrics_ok_bodies(std::string body);
// The same response for both (errors).
MetricsBodies same_bodies(HttpResponse response);

// What a complete request head (everything up to the blank line) asks for:
// the metrics body, or a response that needs none (400/404/405).
struct WantsMetrics {
    bool gzip = false;
};
using MetricsRequest = std::variant<WantsMetrics, HttpResponse>;
MetricsRequest classify_metrics_request(std::string_view head);

// Whether an Accept-Encoding value accepts gzip ("gzip", "x-gzip" or "*",
// unless with q=0).
bool accepts_gzip(std::string_view accept_encoding);

// The end of the request head in `in` ("\r\n\r\n" or, leniently, "\n\n"),
// or npos while it is incomplete.
size_t request_head_end(std::string_view in);

}  // namespace xvs
