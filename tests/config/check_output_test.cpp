// `xvsd --check`: the printed model of the seed configurations (golden text
// in tests/config/data/*.check) and the error report of a bad file.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "config/check.h"
#include "config_test_support.h"

using namespace xvs;
using xvs::test::TempDir;
using Catch::Matchers::Contains;

namespace {

const std::string data_dir = XVS_CONFIG_TEST_DATA;

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    REQUIRE(in);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
    for (size_t pos = 0; (pos = text.find(from, pos)) != std::string::npos; pos += to.size())
        text.replace(pos, from.size(), to);
    return text;
}

// Golden files name the checked file @FILE@ so they do not depend on the checkout path.
void check_golden(const std::string& config_name) {
    std::string path = data_dir + "/" + config_name;
    std::ostringstream out, err;
    int rc = run_config_check(path, out, err);
    CHECK(err.str().empty());
    CHECK(rc == 0);
    CHECK(replace_all(out.str(), path, "@FILE@") == read_file(data_dir + "/" + config_name + ".check"));
}

}  // namespace

TEST_CASE("xvsd --check prints the seed's DR configuration as its golden text") { check_golden("seed.cf"); }

TEST_CASE("xvsd --check prints the seed's fwmark NAT configuration with match lines as its golden text") {
    check_golden("seed-fwmark-nat.cf");
}

TEST_CASE("xvsd --check prints IPv6, fallback, thresholds and inactive reals") { check_golden("variety.cf"); }

TEST_CASE("xvsd --check prints every error of a bad file to err and returns 1") {
    std::string path = "/tmp/xvs-check-test-" + std::to_string(getpid()) + ".cf";
    struct Remove {
        std::string path;
        ~Remove() { std::remove(path.c_str()); }
    } cleanup{path};
    {
        std::ofstream(path) << "virtual=10.0.0.1:80\n\treal=10.0.0.2 nat\n\tscheduler=9\n";
    }
    std::ostringstream out, err;
    CHECK(run_config_check(path, out, err) == 1);
    CHECK(out.str().empty());
    CHECK(err.str() == path + ":2: forward method must be gate, masq or ipip, not \"nat\"\n" + path +
                           ":3: invalid scheduler \"9\", should be only lowercase letters (a-z)\n" + path +
                           ": 2 errors\n");
}

TEST_CASE("xvsd --check prints warnings to err and still returns 0") {
    std::string path = "/tmp/xvs-check-warn-" + std::to_string(getpid()) + ".cf";
    struct Remove {
        std::string path;
        ~Remove() { std::remove(path.c_str()); }
    } cleanup{path};
    {
        std::ofstream(path) << "checkcount=2\nvirtual=10.0.0.1:80\n\treal=10.0.0.2 gate\n";
    }
    std::ostringstream out, err;
    CHECK(run_config_check(path, out, err) == 0);
    CHECK_THAT(err.str(), Contains(path + ":1: warning: checkcount option is deprecated"));
    CHECK_THAT(out.str(), Contains("TCP  10.0.0.1:80 wrr  (line 2)"));
}

TEST_CASE("xvsd --check on a missing file reports it and returns 1") {
    std::ostringstream out, err;
    CHECK(run_config_check("/nonexistent/xvs.cf", out, err) == 1);
    CHECK(err.str() == "/nonexistent/xvs.cf: cannot open: No such file or directory\n/nonexistent/xvs.cf: 1 error\n");
}

TEST_CASE("xvsd --check counts every error, also those it does not list") {
    TempDir dir;
    std::string path = dir.file("bad.cf");
    {
        std::ofstream file(path);
        for (int i = 0; i < 500; ++i) file << "nonsense\n";
    }
    std::ostringstream out, err;
    CHECK(run_config_check(path, out, err) == 1);
    std::string report = err.str();
    CHECK_THAT(report, Contains(path + ": ... and 400 more errors\n" + path + ": 500 errors\n"));
    CHECK(std::count(report.begin(), report.end(), '\n') == static_cast<long>(max_reported_errors) + 2);
}

TEST_CASE("xvsd --check says a file without virtual services is refused on reload unless allow-empty=yes") {
    TempDir dir;
    std::string path = dir.file("empty.cf");
    { std::ofstream(path) << "checkinterval=5\n"; }
    std::ostringstream out, err;
    CHECK(run_config_check(path, out, err) == 0);
    CHECK(err.str() == path + ": warning: " + empty_reload_note + "\n");

    { std::ofstream(path) << "allow-empty=yes\n"; }
    std::ostringstream out2, err2;
    CHECK(run_config_check(path, out2, err2) == 0);
    CHECK(err2.str().empty());
    CHECK_THAT(out2.str(), Contains(" allow-empty=yes"));
}

TEST_CASE("xvsd --check shows IPVS's switches the file sets") {
    TempDir dir;
    std::string path = dir.file("switch.cf");
    { std::ofstream(path) << "expire_quiescent_template=1\nsloppy_tcp=1\nexpire_nodest_conn=1\nconn_reuse_mode=2\n"; }
    std::ostringstream out, err;
    CHECK(run_config_check(path, out, err) == 0);
    CHECK_THAT(out.str(), Contains(" expire_nodest_conn=1 expire_quiescent_template=1 sloppy_tcp=1 conn_reuse_mode=2"));
    std::string defaults = dir.file("defaults.cf");
    { std::ofstream(defaults) << "sloppy_tcp=0\nconn_reuse_mode=1\n"; }
    std::ostringstream out2, err2;
    CHECK(run_config_check(defaults, out2, err2) == 0);
    CHECK_THAT(out2.str(), !Contains("sloppy_tcp") && !Contains("conn_reuse_mode"));
}
