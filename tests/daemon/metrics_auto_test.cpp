// /metrics in dataplane=auto (run as root): a SplitDataplane of a real
// XdpDataplane and a fake fallback plane shows the XDP program's families
// through Dataplane::xdp_facts(); planes without XDP show none.
#include <bpf/bpf.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>

#include "support/xdp_plane_options.h"
#include "daemon/metrics_collect.h"
#include "dataplane/split/split_dataplane.h"
#include "dataplane/xdp/xdp_dataplane.h"
#include "fake_dataplane.h"
#include "metrics_exposition.h"
#include "model/build.h"
#include "model/diff.h"

using namespace xvs;

namespace {

// wrr goes to XDP, lblc (which XDP cannot schedule) to the fallback.
const char* one_per_plane = R"(virtual=10.0.0.1:80
    real=10.0.1.1:80 gate 1
    scheduler=wrr
    protocol=tcp
    checktype=on
virtual=10.0.0.2:80
    real=10.0.1.2:80 gate 1
    scheduler=lblc
    protocol=tcp
    checktype=on
)";

XdpOptions unique_options() { return testing::xdp_test_options("metrics-auto"); }

using testing::PinCleanup;

void serve(Dataplane& plane, const Model& model) { plane.apply(diff(Model{}, model)); }

std::map<std::string, double> scrape(const Dataplane& plane, std::string& text) {
    std::map<std::string, double> samples;
    text = render_metrics(plane, HealthView{});
    for (const auto& e : testing::check_exposition(text, &samples)) FAIL_CHECK(e);
    return samples;
}

}  // namespace

TEST_CASE("dataplane=auto metrics carry the XDP program's counters and tables") {
    XdpOptions o = unique_options();
    PinCleanup cleanup{o.pin_root + "/" + o.instance};
    auto xdp_plane = std::make_unique<XdpDataplane>(o);
    XdpDataplane& xdp = *xdp_plane;
    SplitDataplane split(std::move(xdp_plane), std::make_unique<testing::FakeDataplane>());
    Model model = build_model(parse_config_text(one_per_plane, "auto.cf"));
    serve(split, model);
    REQUIRE(split.plane_of(ServiceKey::tcp_udp(Protocol::tcp, *IpAddress::parse("10.0.0.1"), 80)) ==
            "xdp");

    std::string text;
    auto samples = scrape(split, text);
    INFO(text);
    CHECK(samples.at("xvs_dataplane_info{dataplane=\"xdp+fake\"}") == 1);
    CHECK(samples.count("xvs_real_weight{service=\"TCP 10.0.0.1:80\",real=\"10.0.1.1:80\"}") == 1);
    CHECK(samples.count("xvs_real_weight{service=\"TCP 10.0.0.2:80\",real=\"10.0.1.2:80\"}") == 1);
    CHECK(samples.count("xvs_xdp_actions_total{action=\"packets\"}") == 1);
    CHECK(samples.count("xvs_xdp_actions_total{action=\"frag_expired\"}") == 1);
    CHECK(samples.at("xvs_xdp_map_capacity{map=\"xvs_conns\"}") == 1024);
    CHECK(samples.at("xvs_xdp_map_capacity{map=\"xvs_persist\"}") == 512);
    CHECK(samples.at("xvs_xdp_pinned_start{state=\"fresh\"}") == 1);
    CHECK(samples.at("xvs_xdp_pinned_start{state=\"reused\"}") == 0);
    CHECK(samples.at("xvs_xdp_adopted_services") == 0);
    // No census yet (the thread is off here): the fill is not known.
    CHECK(samples.count("xvs_xdp_map_entries{map=\"xvs_conns\"}") == 0);
    CHECK(samples.count("xvs_xdp_census_age_seconds") == 0);

    xvs_conn_key key{};
    xvs_conn value{};
    REQUIRE(bpf_map_update_elem(xdp.map_fd("xvs_conns"), &key, &value, BPF_ANY) == 0);
    xdp.census_now();
    samples = scrape(split, text);
    CHECK(samples.at("xvs_xdp_map_entries{map=\"xvs_conns\"}") == 1);
    CHECK(samples.at("xvs_xdp_map_entries{map=\"xvs_persist\"}") == 0);
    CHECK(samples.at("xvs_xdp_map_entries{map=\"xvs_nat_reverse\"}") == 0);
    CHECK(samples.at("xvs_xdp_map_entries_complete{map=\"xvs_conns\"}") == 1);
    CHECK(samples.at("xvs_xdp_census_age_seconds") >= 0);
}

TEST_CASE("planes without XDP have no XDP families, also when split") {
    testing::FakeDataplane alone;
    SplitDataplane split(std::make_unique<testing::FakeDataplane>(),
                         std::make_unique<testing::FakeDataplane>());
    Model model = build_model(parse_config_text(one_per_plane, "auto.cf"));
    serve(alone, model);
    serve(split, model);
    for (const Dataplane* plane : {static_cast<const Dataplane*>(&alone),
                                   static_cast<const Dataplane*>(&split)}) {
        CHECK_FALSE(plane->xdp_facts());
        std::string text;
        auto samples = scrape(*plane, text);
        INFO(text);
        CHECK(samples.count("xvs_real_weight{service=\"TCP 10.0.0.2:80\",real=\"10.0.1.2:80\"}") == 1);
        CHECK(text.find("xvs_xdp_") == std::string::npos);
    }
}
