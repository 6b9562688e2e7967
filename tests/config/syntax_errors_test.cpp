// The shape of the file: spaces around '=', quotes, comments, indentation,
// and how errors are reported (every one, with file and line, nothing partial).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "config_test_support.h"

using namespace xvs;
using namespace xvs::test;
using Catch::Matchers::Contains;

TEST_CASE("spaces around '=' are allowed, as in ldirectord's own parser") {
    Config c = parse("checkinterval = 3\nvirtual = 10.0.0.1:80\n\treal = 10.0.0.2:80 gate 2\n\tscheduler =rr\n");
    CHECK(c.globals.checkinterval == 3);
    REQUIRE(c.virtuals.size() == 1);
    CHECK(c.virtuals[0].reals.at(0).weight == 2);
    CHECK(c.virtuals[0].scheduler == "rr");
}

TEST_CASE("comments: whole lines, indented lines and trailing text, but not inside quotes") {
    Config c = parse("# header\n"
                     "checkinterval=4   # trailing\n"
                     "virtual=10.0.0.1:80 # the VIP\n"
                     "#\treal=10.0.0.9 gate\n"
                     "    # an indented comment inside the section\n"
                     "    real=10.0.0.2:80 gate 1 # trailing\n"
                     "    receive=\"a # b\"   # the hash inside quotes is data\n");
    CHECK(c.globals.checkinterval == 4);
    REQUIRE(c.virtuals.size() == 1);
    CHECK(c.virtuals[0].reals.size() == 1);
    CHECK(c.virtuals[0].check.receive == "a # b");
}

TEST_CASE("a virtual section is indented by a tab or at least four spaces") {
    Config c = parse("virtual=10.0.0.1:80\n\treal=10.0.0.2 gate\n    real=10.0.0.3 gate\n"
                     "        real=10.0.0.4 gate\n \t real=10.0.0.5 gate\n");
    CHECK(c.virtuals.at(0).reals.size() == 4);
    CHECK_THAT(error_of("virtual=10.0.0.1:80\n   real=10.0.0.2 gate\n"),
               Contains("test.cf:2: line indented by fewer than 4 columns"));
    CHECK_THAT(error_of(" checkinterval=3\n"), Contains("test.cf:1: line indented by fewer than 4 columns"));
}

TEST_CASE("blank lines do not end a virtual section, a column-1 line does") {
    Config c = parse("virtual=10.0.0.1:80\n\treal=10.0.0.2 gate\n\n   \n\treal=10.0.0.3 gate\n"
                     "checkinterval=3\nvirtual=10.0.0.1:81\n\treal=10.0.0.4 gate\n");
    REQUIRE(c.virtuals.size() == 2);
    CHECK(c.virtuals[0].reals.size() == 2);
    CHECK(c.virtuals[1].reals.size() == 1);
    CHECK(error_of("virtual=10.0.0.1:80\ncheckinterval=3\n\treal=10.0.0.3 gate\n") ==
          "test.cf:3: indented line outside a virtual section (\"real\"): global directives start in column 1, "
          "virtual-section lines follow a virtual= line");
}

TEST_CASE("Windows line ends are accepted") {
    Config c = parse("quiescent=yes\r\nvirtual=10.0.0.1:80\r\n\treal=10.0.0.2 gate\r\n");
    CHECK(c.globals.quiescent);
    CHECK(c.virtuals.at(0).reals.size() == 1);
}

TEST_CASE("values in optional quotes are unquoted and required quotes are enforced") {
    Config c = parse("fallbackcommand=\"/bin/a b\"\nvirtual=10.0.0.1:80\n\tvirtualhost=\"www.x\"\n"
                     "\tcheckcommand=/bin/check\n\treceive=\"say \"hi\"\"\n");
    CHECK(c.globals.fallbackcommand == std::string("/bin/a b"));
    CHECK(c.virtuals[0].check.virtualhost == std::string("www.x"));
    CHECK(c.virtuals[0].check.checkcommand == "/bin/check");
    CHECK(c.virtuals[0].check.receive == "say \"hi\"");  // as ldirectord's greedy \"(.*)\"
    CHECK(parse("virtual=10.0.0.1:80\n\tvirtualhost=www.y\n").virtuals[0].check.virtualhost == std::string("www.y"));
}

TEST_CASE("a line that is not DIRECTIVE=VALUE is an error") {
    CHECK(error_of("=5\n") == "test.cf:1: expected DIRECTIVE=VALUE, got \"=5\"");
    CHECK(error_of("checkinterval 5\n") == "test.cf:1: expected DIRECTIVE=VALUE, got \"checkinterval 5\"");
    CHECK(error_of("checkinterval\n") == "test.cf:1: checkinterval needs a value: checkinterval=...");
    CHECK(error_of("virtual=10.0.0.1:80\n\tscheduler\n") == "test.cf:2: scheduler needs a value: scheduler=...");
    CHECK(error_of("virtual=10.0.0.1:80\n\tvirtual=10.0.0.1:81\n") ==
          "test.cf:2: virtual= must start in column 1 (it begins a new virtual section)");
}

TEST_CASE("every error of a file is reported, in line order, with file and line") {
    std::string text =
        "checkinterval=0\n"            // 1
        "virtual=10.0.0.1:80\n"        // 2
        "\treal=10.0.0.2 nat\n"        // 3
        "\tscheduler=RR\n"             // 4
        "\treal=10.0.0.999 gate\n"     // 5
        "bogus=1\n"                    // 6
        "virtual=10.0.0.1:80\n"        // 7: duplicate
        "\tquiescent=perhaps\n";       // 8
    auto errors = errors_of(text);
    REQUIRE(errors.size() == 7);
    CHECK_THAT(errors[0], Contains("test.cf:1: invalid checkinterval"));
    CHECK_THAT(errors[1], Contains("test.cf:3: forward method"));
    CHECK_THAT(errors[2], Contains("test.cf:4: invalid scheduler"));
    CHECK_THAT(errors[3], Contains("test.cf:5: real server: invalid address"));
    CHECK_THAT(errors[4], Contains("test.cf:6: unknown directive"));
    CHECK_THAT(errors[5], Contains("test.cf:7: duplicate virtual server"));
    CHECK_THAT(errors[6], Contains("test.cf:8: quiescent must be"));
}

TEST_CASE("ConfigError is a runtime_error whose message lists every error") {
    try {
        parse("fork=1\nfork=2\n");
        FAIL("expected a ConfigError");
    } catch (const std::runtime_error& e) {
        CHECK(std::string(e.what()) == "test.cf:1: fork must be 'yes' or 'no'\ntest.cf:2: fork must be 'yes' or 'no'");
    }
}

TEST_CASE("parse_config_file reads a file and names it in messages") {
    std::string path = "/tmp/xvs-config-test-" + std::to_string(getpid()) + ".cf";
    struct Remove {
        std::string path;
        ~Remove() { std::remove(path.c_str()); }
    } cleanup{path};
    {
        std::ofstream(path) << "virtual=10.0.0.1:80\n\treal=10.0.0.2 gate\n";
    }
    Config c = parse_config_file(path);
    CHECK(c.source == path);
    CHECK(c.virtuals.size() == 1);
    {
        std::ofstream(path) << "checkinterval=x\n";
    }
    try {
        parse_config_file(path);
        FAIL("expected a ConfigError");
    } catch (const ConfigError& e) {
        REQUIRE(e.errors().size() == 1);
        CHECK_THAT(e.errors()[0], Contains(path + ":1: invalid checkinterval"));
    }
}

TEST_CASE("a missing file is one error naming the file") {
    try {
        parse_config_file("/nonexistent/xvs.cf");
        FAIL("expected a ConfigError");
    } catch (const ConfigError& e) {
        REQUIRE(e.errors().size() == 1);
        CHECK(e.errors()[0] == "/nonexistent/xvs.cf: cannot open: No such file or directory");
    }
}

TEST_CASE("a file with no newline at its end is read completely") {
    Config c = parse("virtual=10.0.0.1:80\n\treal=10.0.0.2 gate 3");
    CHECK(c.virtuals.at(0).reals.at(0).weight == 3);
}

TEST_CASE("only the first errors by line are reported, then how many more there are") {
    std::string text;
    for (int i = 0; i < 1000; ++i) text += "nonsense\n";
    try {
        parse(text);
        FAIL("expected a ConfigError");
    } catch (const ConfigError& e) {
        CHECK(e.count() == 1000);
        REQUIRE(e.errors().size() == max_reported_errors + 1);
        CHECK(e.errors().front() == "test.cf:1: unknown directive \"nonsense\"");
        CHECK(e.errors()[max_reported_errors - 1] ==
              "test.cf:" + std::to_string(max_reported_errors) + ": unknown directive \"nonsense\"");
        CHECK(e.errors().back() == "test.cf: ... and 900 more errors");
    }
}

TEST_CASE("the reported errors are the first by line, also those found when the file ends") {
    // A bad real= is judged once the whole file is read, after the 300 lines below it.
    std::string text = "virtual=10.0.0.1:80\n\treal=10.0.0.2 nat\n";
    for (int i = 0; i < 300; ++i) text += "nonsense\n";
    auto errors = errors_of(text);
    REQUIRE(errors.size() == max_reported_errors + 1);
    CHECK(errors.front() == "test.cf:2: forward method must be gate, masq or ipip, not \"nat\"");
    CHECK(errors[1] == "test.cf:3: unknown directive \"nonsense\"");
    CHECK(errors.back() == "test.cf: ... and 201 more errors");
}

TEST_CASE("exactly as many errors as are reported need no summary line") {
    std::string text;
    for (size_t i = 0; i < max_reported_errors; ++i) text += "nonsense\n";
    auto errors = errors_of(text);
    CHECK(errors.size() == max_reported_errors);
    CHECK(errors.back().find("more errors") == std::string::npos);
}

TEST_CASE("warnings are capped as errors are") {
    std::string text;
    for (int i = 0; i < 250; ++i) text += "checkcount=2\n";
    Config c = parse(text);
    REQUIRE(c.warnings.size() == max_reported_errors + 1);
    CHECK(c.warnings.back() == "test.cf: ... and 150 more warnings");
}

TEST_CASE("a message quoting a huge line is cut") {
    std::string line(1000000, 'x');
    auto errors = errors_of(line + "\n");
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].size() < 600);
    CHECK_THAT(errors[0], Contains("characters)"));
}
