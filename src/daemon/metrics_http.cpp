#include "daemon/metrics_http.h"

#include <strings.h>

#include "config/text.h"
#include "daemon/metrics_gzip.h"

namespace xvs {
namespace {

using config_detail::trim;

constexpr std::string_view metrics_content_type = "text/plain; version=0.0.4; charset=utf-8";

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

bool is_token(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (c < 'A' || c > 'Z') return false;
    return true;
}

}  // namespace

HttpResponse http_response(std::string_view status, std::string_view content_type,
                           std::string body, std::string_view extra_headers) {
    HttpResponse r;
    r.head = "HTTP/1.0 ";
    r.head += status;
    r.head += "\r\nContent-Type: ";
    r.head += content_type;
    r.head += "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    r.head += extra_headers;
    r.head += "Connection: close\r\n\r\n";
    r.body = std::move(body);
    return r;
}

HttpResponse plain_response(std::string_view status, std::string_view message) {
    return http_response(status, "text/plain; charset=utf-8", std::string(message) + "\n");
}

HttpResponse metrics_ok_response(std::string body) {
    return http_response("200 OK", metrics_content_type, std::move(body));
}

namespace {

struct BothBodies {
    HttpResponse identity, gzip;
};

MetricsBodies share(std::shared_ptr<const BothBodies> both) {
    // Aliasing pointers: one control block, so either keeps both alive.
    return {SharedResponse(both, &both->identity), SharedResponse(both, &both->gzip)};
}

}  // namespace

MetricsBodies metrics_ok_bodies(std::string body) {
    auto both = std::make_shared<BothBodies>();
    both->gzip = http_response("200 OK", metrics_content_type, gzip_compress(body),
                               "Content-Encoding: gzip\r\n");
    both->identity = metrics_ok_response(std::move(body));
    return share(std::move(both));
}

MetricsBodies same_bodies(HttpResponse response) {
    auto shared = std::make_shared<const HttpResponse>(std::move(response));
    return {shared, shared};
}

bool accepts_gzip(std::string_view value) {
    while (!value.empty()) {
        size_t comma = value.find(',');
        std::string_view item = value.substr(0, comma);
        value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
        size_t semi = item.find(';');
        std::string_view coding = trim(item.substr(0, semi));
        std::string_view params = semi == std::string_view::npos ? "" : item.substr(semi + 1);
        if (!iequals(coding, "gzip") && !iequals(coding, "x-gzip") && coding != "*") continue;
        // q=0, q=0.0, q=0.00...: refused; any other weight accepts.
        std::string_view q = trim(params);
        if (q.size() >= 2 && (q[0] == 'q' || q[0] == 'Q') && q[1] == '=') {
            std::string_view w = q.substr(2);
            if (!w.empty() && w.find_first_not_of("0.") == std::string_view::npos) continue;
        }
        return true;
    }
    return false;
}

size_t request_head_end(std::string_view in) {
    size_t crlf = in.find("\r\n\r\n");
    size_t lf = in.find("\n\n");
    if (crlf == std::string_view::npos) return lf == std::string_view::npos ? lf : lf + 2;
    if (lf == std::string_view::npos || crlf + 2 < lf) return crlf + 4;
    return lf + 2;
}

MetricsRequest classify_metrics_request(std::string_view head) {
    size_t eol = head.find('\n');
    if (eol == std::string_view::npos) return plain_response("400 Bad Request", "malformed request line");
    std::string_view line = head.substr(0, eol);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t sp1 = line.find(' ');
    size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
        return plain_response("400 Bad Request", "malformed request line");
    std::string_view method = line.substr(0, sp1);
    std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    std::string_view version = line.substr(sp2 + 1);
    if (!is_token(method) || target.empty() || target.front() != '/' ||
        (version != "HTTP/1.0" && version != "HTTP/1.1"))
        return plain_response("400 Bad Request", "malformed request line");
    for (char c : head)
        if (static_cast<unsigned char>(c) < 0x20 && c != '\r' && c != '\n' && c != '\t')
            return plain_response("400 Bad Request", "control character in the request");
    std::string_view path = target.substr(0, target.find('?'));
    if (path != "/metrics") return plain_response("404 Not Found", "only /metrics is served here");
    if (method != "GET") return plain_response("405 Method Not Allowed", "use GET");
    WantsMetrics wants;
    for (size_t at = eol + 1; at < head.size();) {
        size_t end = head.find('\n', at);
        std::string_view header = head.substr(at, end == std::string_view::npos ? end : end - at);
        at = end == std::string_view::npos ? head.size() : end + 1;
        size_t colon = header.find(':');
        if (colon != std::string_view::npos &&
            iequals(trim(header.substr(0, colon)), "accept-encoding") &&
            accepts_gzip(header.substr(colon + 1)))
            wants.gzip = true;
    }
    return wants;
}

}  // namespace xvs
