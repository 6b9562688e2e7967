// ldirectord's http_proxy check: request= (an absolute URL) fetched through
// the real as an HTTP proxy, here tinyproxy started by the test, in front of
// an HTTP server of the test's own.
#include <catch2/catch.hpp>
#include <string>

#include "checker_support.h"
#include "health/http_dialogue.h"
#include "local_servers.h"
#include "protocol_servers.h"
#include "server_processes.h"

using namespace xvs;
using namespace xvs::test;
using Catch::Matchers::StartsWith;

namespace {

CheckSpec proxy_spec(uint16_t proxy_port, const std::string& url, const std::string& receive) {
    CheckSpec spec = negotiate_spec("http_proxy", loopback(Family::v4), proxy_port);
    spec.request = "/" + url;  // as the daemon hands it over
    spec.receive = receive;
    spec.negotiate_timeout_s = 10;
    return spec;
}

LocalTcpServer::Handler web_page(std::string body) {
    return [body](int fd, LocalTcpServer&) {
        (void)read_http_request(fd);
        write_all(fd, "HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n" + body);
    };
}

}  // namespace

TEST_CASE("http_proxy: the URL fetched through tinyproxy decides, by status and receive=", "[proxy]") {
    LocalTcpServer origin(Family::v4, web_page("<p>proxied page OK</p>\n"));
    TinyproxyServer proxy;
    const std::string url = "http://127.0.0.1:" + std::to_string(origin.port()) + "/check.html";
    auto results = first_results({{1, proxy_spec(proxy.port, url, "page OK")},
                                  {2, proxy_spec(proxy.port, url, "not there")},
                                  {3, proxy_spec(proxy.port, "http://127.0.0.1:" + std::to_string(free_loopback_port()) + "/", "")}});
    CHECK(results.at(1).up);
    CHECK(results.at(1).reason == "HTTP status 200 OK");
    CHECK_FALSE(results.at(2).up);
    CHECK(results.at(2).reason == "receive did not match (HTTP status 200 OK)");
    CHECK_FALSE(results.at(3).up);  // the proxy could not reach the URL: its own error status
    CHECK_THAT(results.at(3).reason, StartsWith("HTTP status 5"));
}

TEST_CASE("http_proxy sends the absolute URL on the request line and its host as Host", "[proxy]") {
    CheckSpec spec = proxy_spec(3128, "http://www.example.test:8080/a/b?c", "");
    CHECK(build_http_request(spec) ==
          "GET http://www.example.test:8080/a/b?c HTTP/1.0\r\nHost: www.example.test:8080\r\n"
          "User-Agent: xvs-health\r\nAccept: */*\r\nConnection: close\r\n\r\n");
}
