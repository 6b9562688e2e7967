#include "health/http_dialogue.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <stdexcept>

namespace xvs {
namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

}  // namespace

std::string http_request_path(const std::string& request) {
    std::string_view r = request;
    if (auto scheme = r.find("://"); scheme != std::string_view::npos) {
        r.remove_prefix(scheme + 3);
        auto slash = r.find('/');
        r = slash == std::string_view::npos ? std::string_view{} : r.substr(slash);
    }
    while (!r.empty() && r.front() == '/') r.remove_prefix(1);
    return "/" + std::string(r);
}

std::string http_proxy_url(const std::string& request) {
    return !request.empty() && request.front() == '/' ? request.substr(1) : request;
}

std::string build_http_request(const CheckSpec& spec) {
    if (spec.service == "http_proxy") {
        // Through the real as a proxy (LWP's proxy request): the absolute
        // URL on the request line, Host naming the URL's host.
        const std::string url = http_proxy_url(spec.request);
        const size_t host_start = url.find("://") + 3;
        const std::string host = url.substr(host_start, url.find('/', host_start) - host_start);
        return spec.httpmethod + " " + url + " HTTP/1.0\r\n" + "Host: " + host + "\r\n" +
               "User-Agent: xvs-health\r\n" + "Accept: */*\r\n" + "Connection: close\r\n\r\n";
    }
    std::string host = spec.virtualhost;
    if (host.empty()) host = spec.address.is_v6() ? "[" + spec.address.to_string() + "]" : spec.address.to_string();
    return spec.httpmethod + " " + http_request_path(spec.request) + " HTTP/1.0\r\n" + "Host: " + host +
           "\r\n" + "User-Agent: xvs-health\r\n" + "Accept: */*\r\n" + "Connection: close\r\n\r\n";
}

std::optional<HttpResponse> parse_http_response(std::string_view data, bool eof, bool head_request) {
    size_t header_end = data.find("\r\n\r\n");
    size_t body_start = header_end == std::string_view::npos ? header_end : header_end + 4;
    if (header_end == std::string_view::npos) {
        header_end = data.find("\n\n");
        body_start = header_end == std::string_view::npos ? header_end : header_end + 2;
    }
    if (header_end == std::string_view::npos) {
        if (!eof) return std::nullopt;
        if (data.empty()) throw std::runtime_error("connection closed without an HTTP response");
        throw std::runtime_error("connection closed inside the HTTP response headers");
    }
    std::string_view head = data.substr(0, header_end);
    size_t line_end = head.find('\n');
    std::string_view status_line = trim(head.substr(0, line_end));
    if (status_line.substr(0, 5) != "HTTP/")
        throw std::runtime_error("not an HTTP response: \"" + std::string(status_line.substr(0, 40)) + "\"");
    size_t sp = status_line.find(' ');
    if (sp == std::string_view::npos) throw std::runtime_error("malformed HTTP status line");
    std::string_view status_text = trim(status_line.substr(sp + 1));
    HttpResponse response;
    auto [ptr, ec] = std::from_chars(status_text.data(), status_text.data() + status_text.size(), response.status);
    if (ec != std::errc{} || ptr - status_text.data() != 3)
        throw std::runtime_error("malformed HTTP status line");
    response.status_text = std::string(status_text);

    std::optional<size_t> content_length;
    std::string_view rest = line_end == std::string_view::npos ? std::string_view{} : head.substr(line_end + 1);
    while (!rest.empty()) {
        size_t nl = rest.find('\n');
        std::string_view line = rest.substr(0, nl);
        rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
        size_t colon = line.find(':');
        if (colon == std::string_view::npos) continue;
        if (iequals(trim(line.substr(0, colon)), "Content-Length")) {
            std::string_view v = trim(line.substr(colon + 1));
            size_t n = 0;
            auto r = std::from_chars(v.data(), v.data() + v.size(), n);
            if (r.ec == std::errc{}) content_length = n;
        }
    }
    std::string_view body = data.substr(std::min(body_start, data.size()));
    bool no_body = head_request || response.status == 204 || response.status == 304 ||
                   (response.status >= 100 && response.status < 200);
    if (no_body) return response;
    if (content_length && body.size() >= *content_length) {
        response.body = std::string(body.substr(0, *content_length));
        return response;
    }
    if (!eof) return std::nullopt;
    response.body = std::string(body);
    return response;
}

CheckResult judge_http_response(const HttpResponse& response, const ReceivePattern* receive) {
    CheckResult result;
    if (response.status < 200 || response.status > 299) {
        result.reason = "HTTP status " + response.status_text;
        return result;
    }
    if (receive && !receive->search(response.body)) {
        result.reason = "receive did not match (HTTP status " + response.status_text + ")";
        return result;
    }
    result.up = true;
    result.reason = "HTTP status " + response.status_text;
    return result;
}

HttpDialogue::HttpDialogue(const CheckSpec& spec, std::shared_ptr<const ReceivePattern> receive)
    : request_(build_http_request(spec)), head_(spec.httpmethod == "HEAD"), receive_(std::move(receive)) {}

std::optional<CheckResult> HttpDialogue::judge(std::string_view received, bool eof) {
    try {
        auto response = parse_http_response(received, eof, head_);
        if (!response) return std::nullopt;
        return judge_http_response(*response, receive_.get());
    } catch (const std::runtime_error& e) {
        return CheckResult{false, e.what(), 0};
    }
}

}  // namespace xvs
