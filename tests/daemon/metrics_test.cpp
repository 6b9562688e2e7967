#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "control/paths.h"
#include "common/unique_fd.h"
#include "daemon/background.h"
#include "daemon/daemon.h"
#include "daemon/metrics_collect.h"
#include "daemon/metrics_format.h"
#include "daemon/metrics_server.h"
#include "fake_dataplane.h"
#include "metrics_exposition.h"
#include "metrics_served.h"
#include "model/build.h"
#include "xvs/abi.h"

using namespace xvs;
using namespace xvs::testing;
namespace fs = std::filesystem;

namespace {

const char* two_services = R"(virtual=10.0.0.1:80
    real=10.0.1.1:80 masq 3
    real=10.0.1.2:80 masq 1
    scheduler=wrr
    protocol=tcp
    checktype=on
virtual=100
    match=udp 10.0.0.2:53
    real=10.0.1.3 gate 1
    scheduler=rr
    checktype=on
)";

Model model_of(const char* text) {
    return build_model(parse_config_text(text, "test.cf"));
}

}  // namespace

TEST_CASE("metrics text escapes label values and announces each family once") {
    MetricsText out;
    out.family("xvs_test_total", MetricsText::Type::counter, "A test\\ counter\nover lines.");
    out.sample({{"name", "a\"b\\c\nd"}}, uint64_t{7});
    CHECK(out.text() ==
          "# HELP xvs_test_total A test\\\\ counter\\nover lines.\n"
          "# TYPE xvs_test_total counter\n"
          "xvs_test_total{name=\"a\\\"b\\\\c\\nd\"} 7\n");
    CHECK_THROWS(out.family("xvs_test_total", MetricsText::Type::gauge, "again"));
    CHECK_THROWS(out.family("1bad", MetricsText::Type::gauge, "bad name"));
    CHECK_THROWS(out.sample({{"bad-label", "x"}}, uint64_t{1}));
    CHECK(testing::check_exposition(out.text()).empty());
}

TEST_CASE("the exposition checker rejects what the text format forbids") {
    CHECK_FALSE(testing::check_exposition("x 1\n").empty());  // no TYPE
    CHECK_FALSE(testing::check_exposition("# TYPE x gauge\nx 1\nx 2\n").empty());  // duplicate
    CHECK_FALSE(testing::check_exposition("# TYPE x gauge\nx{a=\"1} 1\n").empty());
    CHECK_FALSE(testing::check_exposition("# TYPE x gauge\nx{a=\"\\t\"} 1\n").empty());
    CHECK_FALSE(testing::check_exposition("# TYPE x gauge\nx one\n").empty());
    CHECK_FALSE(
        testing::check_exposition("# TYPE x gauge\nx 1\n# TYPE y gauge\ny 1\n# HELP x again\n")
            .empty());
    CHECK(testing::check_exposition("# TYPE x gauge\nx{a=\"1\",b=\"\\\"\"} 1.5e3\n").empty());
}

TEST_CASE("metrics of a served model: one series per virtual and real, down reals at 0") {
    testing::FakeDataplane plane;
    Model model = model_of(two_services);
    plane.apply(diff(Model{}, model));
    HealthView health;
    const ServiceKey tcp_service = model.services.begin()->first.protocol == Protocol::tcp
                                       ? model.services.begin()->first
                                       : std::next(model.services.begin())->first;
    health.set_down(tcp_service, model.services.at(tcp_service).reals.begin()->first, true);

    std::map<std::string, double> samples;
    std::string text = render_metrics(plane, health);
    auto errors = testing::check_exposition(text, &samples);
    INFO(text);
    for (const auto& e : errors) FAIL_CHECK(e);
    CHECK(samples.at("xvs_dataplane_info{dataplane=\"fake\"}") == 1);
    CHECK(samples.at("xvs_virtual_connections_total{service=\"TCP 10.0.0.1:80\"}") == 42);
    CHECK(samples.count("xvs_virtual_connections_total{service=\"FWM 100\"}") == 1);
    CHECK(samples.at(
              "xvs_real_weight{service=\"TCP 10.0.0.1:80\",real=\"10.0.1.1:80\"}") == 3);
    CHECK(samples.at("xvs_real_up{service=\"TCP 10.0.0.1:80\",real=\"10.0.1.1:80\"}") == 0);
    CHECK(samples.at("xvs_real_up{service=\"TCP 10.0.0.1:80\",real=\"10.0.1.2:80\"}") == 1);
    CHECK(samples.count(
              "xvs_real_bytes_total{service=\"FWM 100\",real=\"10.0.1.3:0\",direction=\"out\"}") ==
          1);
    // Not an XDP plane: no XDP families, no interfaces.
    CHECK(text.find("xvs_xdp_") == std::string::npos);
    CHECK(text.find("xvs_interface_") == std::string::npos);
}

TEST_CASE("metrics show each interface= attached 1 or missing 0, with its mode") {
    testing::FakeDataplane plane;
    std::vector<InterfaceState> interfaces = {
        {"d0", true, 2, "native", "", 0},
        {"d1", false, 0, "generic", "no such interface (was ifindex 3)", 2},
    };
    std::map<std::string, double> samples;
    std::string text = render_metrics(plane, HealthView{}, interfaces);
    INFO(text);
    for (const auto& e : testing::check_exposition(text, &samples)) FAIL_CHECK(e);
    CHECK(samples.at("xvs_interface_attached{interface=\"d0\",mode=\"native\"}") == 1);
    CHECK(samples.at("xvs_interface_attached{interface=\"d1\",mode=\"generic\"}") == 0);
    CHECK(samples.at("xvs_interface_reattachments_total{interface=\"d0\"}") == 0);
    CHECK(samples.at("xvs_interface_reattachments_total{interface=\"d1\"}") == 2);
}

TEST_CASE("every XDP action counter has a metric name") {
    std::set<std::string> names;
    for (unsigned i = 0; i < XVS_STAT__COUNT; ++i) {
        REQUIRE(xdp_stat_name(i) != nullptr);
        CHECK(is_valid_metric_name(xdp_stat_name(i)));
        names.insert(xdp_stat_name(i));
    }
    CHECK(names.size() == XVS_STAT__COUNT);
    CHECK(xdp_stat_name(XVS_STAT__COUNT) == nullptr);
}

TEST_CASE("metrics HTTP: GET /metrics is served, anything else is 404, 405 or 400") {
    auto render = [] { return std::string("# TYPE x gauge\nx 1\n"); };
    std::string ok = metrics_http_response("GET /metrics HTTP/1.0\r\nHost: a\r\n\r\n", render);
    CHECK(ok.rfind("HTTP/1.0 200 OK\r\n", 0) == 0);
    CHECK(ok.find("Content-Type: text/plain; version=0.0.4") != std::string::npos);
    CHECK(body_of(ok) == "# TYPE x gauge\nx 1\n");
    CHECK(metrics_http_response("GET /metrics?x=1 HTTP/1.1\n\n", render).rfind("HTTP/1.0 200", 0) == 0);
    CHECK(metrics_http_response("GET / HTTP/1.1\r\n\r\n", render).rfind("HTTP/1.0 404", 0) == 0);
    CHECK(metrics_http_response("POST /metrics HTTP/1.1\r\n\r\n", render).rfind("HTTP/1.0 405", 0) == 0);
    for (const char* bad : {"\r\n\r\n", "GET\r\n\r\n", "GET /metrics\r\n\r\n",
                            "GET /metrics HTTP/9\r\n\r\n", "get /metrics HTTP/1.0\r\n\r\n",
                            "GET metrics HTTP/1.0\r\n\r\n", "GET /metrics  HTTP/1.0\r\n\r\n",
                            "GET /metrics HTTP/1.0\r\nX: \x01\r\n\r\n"}) {
        INFO(bad);
        CHECK(metrics_http_response(bad, render).rfind("HTTP/1.0 400", 0) == 0);
    }
    auto failing = []() -> std::string { throw DataplaneError("map read failed"); };
    std::string err = metrics_http_response("GET /metrics HTTP/1.0\r\n\r\n", failing);
    CHECK(err.rfind("HTTP/1.0 500", 0) == 0);
    CHECK(err.find("map read failed") != std::string::npos);
}

TEST_CASE("metrics server answers garbage with 400 and is not held up by a silent client") {
    ServedMetrics served([] { return std::string("# TYPE x gauge\nx 1\n"); });
    uint16_t port = served.server.port();
    // A client that connects and sends half a request, then nothing.
    UniqueFd silent = connect_to(port);
    REQUIRE(silent);
    REQUIRE(::send(silent.get(), "GET /met", 8, 0) == 8);

    std::string reply = http_exchange(port, "GET /metrics HTTP/1.0\r\n\r\n");
    CHECK(reply.rfind("HTTP/1.0 200 OK", 0) == 0);
    CHECK(body_of(reply) == "# TYPE x gauge\nx 1\n");
    CHECK(http_exchange(port, "\x16\x03\x01garbage\r\n\r\n").rfind("HTTP/1.0 400", 0) == 0);
    CHECK(http_exchange(port, "GET /" + std::string(20000, 'a') + " HTTP/1.0\r\n\r\n")
              .rfind("HTTP/1.0 400", 0) == 0);
    CHECK(http_exchange(port, std::string(MetricsServer::max_request_bytes + 10, 'x'))
              .rfind("HTTP/1.0 400", 0) == 0);
    CHECK(http_exchange(port, "GET /metrics HTTP/1.0\r\n\r\n").rfind("HTTP/1.0 200 OK", 0) == 0);
}

TEST_CASE("metrics server closes clients that never finish their request") {
    MetricsLimits limits;
    limits.request_timeout = std::chrono::seconds(1);
    ServedMetrics served([] { return std::string(); }, limits);
    UniqueFd silent = connect_to(served.server.port());
    REQUIRE(silent);
    REQUIRE(::send(silent.get(), "GET /", 5, 0) == 5);
    // The server closes it: recv sees EOF (bounded wait against hanging).
    pollfd p{silent.get(), POLLIN, 0};
    REQUIRE(::poll(&p, 1, 20000) == 1);
    char c;
    CHECK(::recv(silent.get(), &c, 1, 0) == 0);
}

TEST_CASE("metrics endpoint: parse ADDR:PORT and refuse what is not one") {
    CHECK(parse_metrics_endpoint("127.0.0.1:9100").port == 9100);
    CHECK(parse_metrics_endpoint("[::1]:9100").address.is_v6());
    CHECK_THROWS_AS(parse_metrics_endpoint("localhost"), std::invalid_argument);
    CHECK_THROWS_AS(parse_metrics_endpoint("10.0.0.1:0"), std::invalid_argument);
}

TEST_CASE("xvsd serves /metrics on the --metrics endpoint, which wins over metrics=") {
    fs::path dir = fs::temp_directory_path() / ("xvs-metrics-test-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    struct Cleanup {
        fs::path dir;
        pid_t pid = -1;
        ~Cleanup() {
            if (pid > 0) {
                ::kill(pid, SIGKILL);
                ::waitpid(pid, nullptr, 0);
            }
            std::error_code ec;
            fs::remove_all(dir, ec);
        }
    } cleanup{dir};
    uint16_t file_port = free_port(), flag_port = free_port();
    std::ofstream(dir / "xvs.cf") << "metrics=127.0.0.1:" << file_port << "\n"
                                  << "logfile=\"" << (dir / "xvs.log").string() << "\"\n"

                                  << two_services;
    DaemonOptions options;
    options.config_path = (dir / "xvs.cf").string();
    options.instance = "m" + std::to_string(::getpid());
    options.run_root = (dir / "run").string();
    options.state_root = (dir / "state").string();
    options.metrics = "127.0.0.1:" + std::to_string(flag_port);
    int rc = run_in_background([&](const std::function<void()>& ready) {
        Logger log(options.instance);
        Daemon daemon(options, log, [](const DataplaneRequest&, const Model&, Logger&) {
            DataplaneHandle h;
            h.plane = std::make_unique<testing::FakeDataplane>();
            return h;
        });
        return daemon.run(ready);
    });
    REQUIRE(rc == 0);
    std::ifstream(control::pid_file_path(options.instance, options.run_root)) >> cleanup.pid;
    REQUIRE(cleanup.pid > 0);

    std::string out = dir / "scrape.txt";
    std::string curl = "curl -sS --max-time 20 -o " + out + " -w '%{http_code}' http://127.0.0.1:" +
                       std::to_string(flag_port) + "/metrics";
    FILE* p = ::popen(curl.c_str(), "r");
    REQUIRE(p);
    char code[16] = {};
    size_t n = std::fread(code, 1, sizeof code - 1, p);
    ::pclose(p);
    CHECK(std::string(code, n) == "200");
    std::ifstream in(out);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::map<std::string, double> samples;
    auto errors = testing::check_exposition(text, &samples);
    for (const auto& e : errors) FAIL_CHECK(e);
    CHECK(samples.at("xvs_dataplane_info{dataplane=\"fake\"}") == 1);
    CHECK(samples.count("xvs_real_weight{service=\"TCP 10.0.0.1:80\",real=\"10.0.1.2:80\"}") == 1);
    // Garbage does not hurt the daemon: it answers 400 and keeps serving.
    CHECK(http_exchange(flag_port, "\x01\x02\x03\r\n\r\n").rfind("HTTP/1.0 400", 0) == 0);
    CHECK(http_exchange(flag_port, "GET /metrics HTTP/1.0\r\n\r\n").rfind("HTTP/1.0 200", 0) == 0);
    // The file's endpoint is not opened when the flag is given.
    CHECK_FALSE(connect_to(file_port));
}
