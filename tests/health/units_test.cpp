// Pure parts of the health engine: state rules, request building, parsing,
// validation, maintenance files.
#include <catch2/catch.hpp>

#include <stdexcept>

#include "health/ber.h"
#include "health/check_spec.h"
#include "health/dns_message.h"
#include "health/http_dialogue.h"
#include "health/maintenance.h"
#include "health/receive_pattern.h"
#include "health/simpletcp_dialogue.h"
#include "health/subscriber_state.h"
#include "local_servers.h"

using namespace xvs;
using Catch::Matchers::Contains;
using Catch::Matchers::StartsWith;

TEST_CASE("first result decides at once, whatever failurecount says") {
    SubscriberState down_first(3);
    CHECK(down_first.apply(false) == Health::down);
    SubscriberState up_first(3);
    CHECK(up_first.apply(true) == Health::up);
}

TEST_CASE("an up subscriber goes down only after failurecount consecutive failures") {
    SubscriberState s(3);
    REQUIRE(s.apply(true) == Health::up);
    CHECK_FALSE(s.apply(false));
    CHECK_FALSE(s.apply(false));
    CHECK_FALSE(s.apply(true));  // a success resets the counter
    CHECK_FALSE(s.apply(false));
    CHECK_FALSE(s.apply(false));
    CHECK(s.apply(false) == Health::down);
    CHECK_FALSE(s.apply(false));  // failures while down change nothing
    CHECK(s.apply(true) == Health::up);  // one success brings it back
}

TEST_CASE("failurecount 0 acts as 1") {
    SubscriberState s(0);
    REQUIRE(s.apply(true) == Health::up);
    CHECK(s.apply(false) == Health::down);
}

TEST_CASE("http request carries method, path, Host and closes the connection") {
    CheckSpec spec;
    spec.address = *IpAddress::parse("10.0.0.2");
    spec.port = 80;
    spec.request = "check.html";
    CHECK(build_http_request(spec) ==
          "GET /check.html HTTP/1.0\r\nHost: 10.0.0.2\r\nUser-Agent: xvs-health\r\nAccept: */*\r\n"
          "Connection: close\r\n\r\n");
    spec.httpmethod = "HEAD";
    spec.virtualhost = "www.example.com";
    spec.request = "/status";
    CHECK_THAT(build_http_request(spec), StartsWith("HEAD /status HTTP/1.0\r\nHost: www.example.com\r\n"));
    spec.virtualhost.clear();
    spec.address = *IpAddress::parse("2001:db8::2");
    CHECK_THAT(build_http_request(spec), Contains("Host: [2001:db8::2]\r\n"));
}

TEST_CASE("http request path accepts relative URIs and absolute URLs") {
    CHECK(http_request_path("") == "/");
    CHECK(http_request_path("/") == "/");
    CHECK(http_request_path("check.html") == "/check.html");
    CHECK(http_request_path("/a/b?c=d") == "/a/b?c=d");
    CHECK(http_request_path("http://www.example.com:8080/x/y") == "/x/y");
    CHECK(http_request_path("https://www.example.com") == "/");
}

TEST_CASE("http response is complete at content-length, at EOF, or after HEAD headers") {
    std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
    CHECK_FALSE(parse_http_response(head + "ab", false, false));
    auto r = parse_http_response(head + "abcde", false, false);
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->status_text == "200 OK");
    CHECK(r->body == "abcde");
    std::string no_length = "HTTP/1.0 404 Not Found\r\nServer: x\r\n\r\nmissing";
    CHECK_FALSE(parse_http_response(no_length, false, false));
    auto r404 = parse_http_response(no_length, true, false);
    REQUIRE(r404);
    CHECK(r404->status == 404);
    CHECK(r404->body == "missing");
    CHECK(parse_http_response("HTTP/1.0 200 OK\r\n\r\n", false, true));
    CHECK_THROWS_AS(parse_http_response("SSH-2.0-OpenSSH\r\n\r\n", true, false), std::runtime_error);
    CHECK_THROWS_AS(parse_http_response("HTTP/1.0 2", true, false), std::runtime_error);
}

TEST_CASE("http verdict wants 2xx and a receive match in the body") {
    ReceivePattern ok("This web is OK");
    HttpResponse good{200, "200 OK", "<p>This web is OK</p>"};
    CHECK(judge_http_response(good, &ok).up);
    CHECK(judge_http_response(good, nullptr).up);
    HttpResponse other{200, "200 OK", "maintenance"};
    auto mismatch = judge_http_response(other, &ok);
    CHECK_FALSE(mismatch.up);
    CHECK_THAT(mismatch.reason, StartsWith("receive did not match"));
    HttpResponse missing{404, "404 Not Found", "This web is OK"};
    auto r = judge_http_response(missing, &ok);
    CHECK_FALSE(r.up);
    CHECK(r.reason == "HTTP status 404 Not Found");
    HttpResponse redirect{302, "302 Found", ""};
    CHECK_FALSE(judge_http_response(redirect, nullptr).up);
}

TEST_CASE("simpletcp request drops the leading slash and turns a backslash-n into a newline") {
    CHECK(simpletcp_request_bytes("/HELLO\\nQUIT\\n") == "HELLO\nQUIT\n");
    CHECK(simpletcp_request_bytes("ping") == "ping");
}

TEST_CASE("simpletcp verdict matches receive line by line") {
    CheckSpec spec;
    spec.request = "x";
    auto re = std::make_shared<const ReceivePattern>("^\\+OK");
    SimpleTcpDialogue d(spec, re);
    CHECK_FALSE(d.judge("banner\n+O", false));
    auto v = d.judge("banner\n+OK ready\n", false);
    REQUIRE(v);
    CHECK(v->up);
    SimpleTcpDialogue d2(spec, re);
    auto no = d2.judge("-ERR\n", true);
    REQUIRE(no);
    CHECK_FALSE(no->up);
    CHECK(no->reason == "receive did not match");
}

TEST_CASE("dns question is an A lookup for names and PTR for addresses") {
    CHECK(dns_question_for("/www.example.com").name == "www.example.com");
    CHECK(dns_question_for("www.example.com").type == dns_type_a);
    auto v4 = dns_question_for("192.0.2.7");
    CHECK(v4.name == "7.2.0.192.in-addr.arpa");
    CHECK(v4.type == dns_type_ptr);
    auto v6 = dns_question_for("2001:db8::1");
    CHECK(v6.name == "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
}

TEST_CASE("dns reply parsing follows compression and reads A and PTR records") {
    auto query = build_dns_query(0x1234, {"www.example.test", dns_type_a});
    std::string q(query.begin(), query.end());
    auto reply = parse_dns_reply(test::dns_answer(q, "www.example.test", "192.0.2.10"));
    CHECK(reply.id == 0x1234);
    CHECK(reply.rcode == 0);
    REQUIRE(reply.answers.size() == 1);
    CHECK(reply.answers[0].type == dns_type_a);
    CHECK(reply.answers[0].value == "192.0.2.10");
    CHECK(judge_dns_reply(reply, ReceivePattern("192\\.0\\.2\\.10")).up);
    CHECK_FALSE(judge_dns_reply(reply, ReceivePattern("10\\.9\\.9\\.9")).up);

    auto nx = parse_dns_reply(test::dns_answer(q, "other.test", "192.0.2.10"));
    CHECK(nx.rcode == 3);
    CHECK(judge_dns_reply(nx, ReceivePattern("x")).reason == "DNS error NXDOMAIN");

    // A PTR answer whose name points back into the question.
    auto ptr_query = build_dns_query(7, {"7.2.0.192.in-addr.arpa", dns_type_ptr});
    std::string m(ptr_query.begin(), ptr_query.end());
    m[2] = static_cast<char>(0x81);
    m[3] = static_cast<char>(0x80);
    m[7] = 1;
    std::string rdata = std::string("\x04host", 5) + "\xc0\x0c";  // host.<question name>
    m += std::string("\xc0\x0c\x00\x0c\x00\x01\x00\x00\x00\x3c\x00", 11);
    m += static_cast<char>(rdata.size());
    m += rdata;
    auto ptr = parse_dns_reply(m);
    REQUIRE(ptr.answers.size() == 1);
    CHECK(ptr.answers[0].value == "host.7.2.0.192.in-addr.arpa");
    CHECK_THROWS_AS(parse_dns_reply(m.substr(0, m.size() - 3)), std::runtime_error);
}

TEST_CASE("dns query encodes labels and refuses impossible names") {
    auto q = build_dns_query(1, {"a.bc", dns_type_a});
    std::vector<uint8_t> expected{0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 2, 'b', 'c', 0, 0, 1, 0, 1};
    CHECK(q == expected);
    CHECK_THROWS_AS(build_dns_query(1, {"a..b", dns_type_a}), std::invalid_argument);
    CHECK_THROWS_AS(build_dns_query(1, {std::string(64, 'x') + ".com", dns_type_a}), std::invalid_argument);
}

namespace {
CheckSpec negotiate_spec(std::string service, std::string receive) {
    CheckSpec spec;
    spec.type = CheckSpec::Type::negotiate;
    spec.service = std::move(service);
    spec.receive = std::move(receive);
    spec.request = "x";
    spec.address = *IpAddress::parse("10.0.0.2");
    spec.port = 80;
    return spec;
}
}  // namespace

TEST_CASE("validation refuses what the checker cannot run, naming the directive") {
    CheckSpec perl;
    perl.type = CheckSpec::Type::external_perl;
    CHECK_THROWS_WITH(validate_check_spec(perl), Contains("external-perl"));
    CHECK_THROWS_WITH(validate_check_spec(negotiate_spec("http", "a(b")), Contains("receive=\"a(b\""));
    CHECK_THROWS_WITH(validate_check_spec(negotiate_spec("http_proxy", "")), Contains("http:// URL"));
    CHECK_THROWS_WITH(validate_check_spec(negotiate_spec("oracle", "")), Contains("service=oracle"));
    CHECK_NOTHROW(validate_check_spec(negotiate_spec("smtp", "")));
    CHECK_THROWS_WITH(validate_check_spec(negotiate_spec("dns", "")), Contains("receive="));
    auto method = negotiate_spec("http", "");
    method.httpmethod = "POST";
    CHECK_THROWS_WITH(validate_check_spec(method), Contains("httpmethod=POST"));
    CheckSpec external;
    external.type = CheckSpec::Type::external;
    CHECK_THROWS_WITH(validate_check_spec(external), Contains("checkcommand"));
    auto interval = negotiate_spec("http", "");
    interval.interval_s = 0;
    CHECK_THROWS_AS(validate_check_spec(interval), std::invalid_argument);
    CHECK_NOTHROW(validate_check_spec(negotiate_spec("http", "This web is (OK|fine)")));
    CHECK_NOTHROW(validate_check_spec(negotiate_spec("none", "")));
}

TEST_CASE("check key ignores failurecount and separates everything probed") {
    auto a = negotiate_spec("http", "OK");
    auto b = a;
    b.failurecount = 5;
    CHECK(check_key(a) == check_key(b));
    b.port = 81;
    CHECK(check_key(a) != check_key(b));
    auto c = a;
    c.receive = "O";
    c.request = "Kx";  // same characters, different fields
    CHECK(check_key(a) != check_key(c));
}

TEST_CASE("maintenance files are looked up in ldirectord's order and names") {
    auto addr = *IpAddress::parse("172.16.1.2");
    CHECK(maintenance_file_names(addr, 4444, "realserver2.example.com") ==
          std::vector<std::string>{"172.16.1.2:4444", "172.16.1.2", "realserver2.example.com:4444",
                                   "realserver2.example.com", "realserver2:4444", "realserver2"});
    CHECK(maintenance_file_names(*IpAddress::parse("2001:db8::2"), 80, "") ==
          std::vector<std::string>{"[2001:db8::2]:80", "[2001:db8::2]"});

    test::TempDir dir;
    CHECK_FALSE(in_maintenance(dir.path(), addr, 4444, "realserver2.example.com"));
    CHECK_FALSE(in_maintenance("", addr, 4444, ""));
    dir.write_file("realserver2:4444", "");
    CHECK(in_maintenance(dir.path(), addr, 4444, "realserver2.example.com"));
    CHECK_FALSE(in_maintenance(dir.path(), addr, 4445, "realserver2.example.com"));
    CHECK_FALSE(in_maintenance(dir.path(), addr, 4444, ""));
    dir.write_file("172.16.1.2", "");
    CHECK(in_maintenance(dir.path(), addr, 1, ""));
}

TEST_CASE("receive patterns are Perl-compatible, as ldirectord's") {
    CHECK(ReceivePattern("(?i)this web is ok").search("THIS WEB IS OK"));
    CHECK(ReceivePattern("^\\d{3} ready\\z").search("220 ready"));
    CHECK_FALSE(ReceivePattern("^\\d{3} ready\\z").search("220 ready\nmore"));
    CHECK(ReceivePattern("(?<=status: )up").search("status: up"));
    CHECK_FALSE(ReceivePattern("(?<=status: )up").search("state: up"));
    CHECK_THROWS_WITH(ReceivePattern("a(b"), Contains("receive=\"a(b\" is not a valid regular expression"));
}

TEST_CASE("receive patterns search megabyte replies without exhausting the stack or the thread") {
    std::string body(1 << 20, 'a');
    body += "\nThis web is OK\n";
    CHECK(ReceivePattern("This web is OK").search(body));
    CHECK(ReceivePattern("OK.*").search(body));
    CHECK_FALSE(ReceivePattern("OK.*x").search(body));
    // A greedy .* retried from a million start positions would take hours:
    // the step budget ends it with an error the check reports.
    CHECK_THROWS_WITH(ReceivePattern("a.*b").search(body), Contains("gave up"));
}

TEST_CASE("BER: shortest integers and lengths, partial values wait, indefinite lengths are refused") {
    CHECK(ber_integer(0x02, 0) == std::string("\x02\x01\x00", 3));
    CHECK(ber_integer(0x02, 127) == std::string("\x02\x01\x7f", 3));
    CHECK(ber_integer(0x02, 128) == std::string("\x02\x02\x00\x80", 4));
    CHECK(ber_integer(0x02, -1) == std::string("\x02\x01\xff", 3));
    CHECK(ber_integer(0x02, -129) == std::string("\x02\x02\xff\x7f", 4));
    const std::string long_text(200, 'x');
    const std::string framed = ber_octets(0x04, long_text);
    CHECK(framed.substr(0, 3) == std::string("\x04\x81\xc8", 3));
    BerReader partial(std::string_view(framed).substr(0, 100));
    CHECK_FALSE(partial.next());
    const std::string two = framed + ber_integer(0x0a, 49);  // the reader keeps a view: the bytes must live
    BerReader whole(two);
    auto text = whole.next();
    REQUIRE(text);
    CHECK(text->content == long_text);
    auto code = whole.next();
    REQUIRE(code);
    CHECK(ber_integer_value(code->content) == 49);
    CHECK(whole.empty());
    const std::string indefinite_bytes("\x30\x80\x00\x00", 4);
    BerReader indefinite(indefinite_bytes);
    CHECK_THROWS_AS(indefinite.next(), std::invalid_argument);
}
