#include "daemon/metrics_http.h"

namespace xvs {
namespace {

bool is_token(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (c < 'A' || c > 'Z') return false;
    return true;
}

}  // namespace

HttpResponse http_response(std::string_view status, std::string_view content_type,
                           std::string body) {
    HttpResponse r;
    r.head = "HTTP/1.0 ";
    r.head += status;
    r.head += "\r\nContent-Type: ";
    r.head += content_type;
    r.head += "\r\nContent-Length: " + std::to_string(body.size()) +
              "\r\nConnection: close\r\n\r\n";
    r.body = std::move(body);
    return r;
}

HttpResponse plain_response(std::string_view status, std::string_view message) {
    return http_response(status, "text/plain; charset=utf-8", std::string(message) + "\n");
}

HttpResponse metrics_ok_response(std::string body) {
    return http_response("200 OK", "text/plain; version=0.0.4; charset=utf-8", std::move(body));
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
    return WantsMetrics{};
}

}  // namespace xvs
