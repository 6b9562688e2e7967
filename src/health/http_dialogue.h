// HttpDialogue: ldirectord's http/https negotiate check.
//
// Contract:
//  - Sends "METHOD /path HTTP/1.0" with Host = virtualhost (default: the
//    real's address, IPv6 in brackets) and Connection: close. request= may
//    be a relative URI ("check.html", "/check.html") or an absolute URL, of
//    which only the path is used (the check always goes to the real).
//  - Up when the status is 2xx and, if receive= is set, the body contains a
//    match of the receive regex (ReceivePattern::search). HEAD responses have no
//    body, so with HEAD receive= should be empty (as ldirectord's man page
//    says).
//  - Redirects are not followed (ldirectord's LWP follows them for GET and
//    HEAD): a 3xx is down with the status in the reason.
#pragma once

#include <memory>
#include <optional>
#include "health/receive_pattern.h"
#include <string>
#include <string_view>

#include "health/check_spec.h"
#include "health/probe.h"

namespace xvs {

struct HttpResponse {
    int status = 0;
    std::string status_text;  // "404 Not Found"
    std::string body;
};

// The request bytes for this spec. For http_proxy (ldirectord's check
// through the real as an HTTP proxy) the request line carries request=,
// an absolute http:// URL, and Host its host, as LWP sends to a proxy.
std::string build_http_request(const CheckSpec& spec);
// request= of an http_proxy check without the "/" ldirectord prepends.
std::string http_proxy_url(const std::string& request);

// The path part of request=: "check.html" -> "/check.html",
// "http://host:80/a?b" -> "/a?b", "" -> "/".
std::string http_request_path(const std::string& request);

// A complete response, or nullopt while more is needed (eof = nothing more
// will come). Throws std::runtime_error for a malformed response.
std::optional<HttpResponse> parse_http_response(std::string_view data, bool eof, bool head_request);

// The verdict on a complete response.
CheckResult judge_http_response(const HttpResponse& response, const ReceivePattern* receive);

class HttpDialogue : public StreamDialogue {
public:
    // receive: null when receive= is empty.
    HttpDialogue(const CheckSpec& spec, std::shared_ptr<const ReceivePattern> receive);
    std::string request() const override { return request_; }
    std::optional<CheckResult> judge(std::string_view received, bool eof) override;

private:
    std::string request_;
    bool head_;
    std::shared_ptr<const ReceivePattern> receive_;
};

}  // namespace xvs
