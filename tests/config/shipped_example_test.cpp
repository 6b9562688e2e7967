// ldirectord's own example configuration, as shipped in the ldirectord
// package, and each of its commented-out sample virtual services enabled one
// at a time.
//
// Samples that cannot be accepted, and why (ldirectord rejects or misreads
// them too):
// - the "range of real servers" sample reuses 192.168.6.240:80, the virtual
//   of the active sample: ldirectord stops with "duplicate virtual server".
//   It is accepted once the active sample is commented out.
// - the MySQL, PostgreSQL and Oracle samples name their reals sql01->sql03:
//   host names that do not resolve here; ldirectord fails the same way
//   ("could not resolve host"). Accepted once the names resolve.
// - the SIP sample writes its reals as 192.168.6.2::5060 (a doubled colon).
//   ldirectord's unanchored real= regex skips to "5060 gate" and reads host
//   "5060" (0.0.19.196) with port 0, which is not what the sample means; xvs
//   rejects the address. Accepted once the typo is corrected.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "config_test_support.h"

using namespace xvs;
using namespace xvs::test;
using Catch::Matchers::Contains;

namespace {

std::vector<std::string> example_lines() {
    std::ifstream in(XVS_LDIRECTORD_EXAMPLE);
    REQUIRE(in);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

std::string join(const std::vector<std::string>& lines) {
    std::string text;
    for (const auto& l : lines) text += l + "\n";
    return text;
}

struct Sample {
    size_t first;  // index of the "#virtual=" line
    size_t end;    // one past its last "#\t..." line
    std::string virtual_line;
};

// A sample is a "#virtual..." line and the "#<tab>" lines after it.
std::vector<Sample> samples(const std::vector<std::string>& lines) {
    std::vector<Sample> out;
    std::regex start(R"(^#virtual6?\s*=.*)");
    for (size_t i = 0; i < lines.size(); ++i) {
        if (!std::regex_match(lines[i], start)) continue;
        size_t j = i + 1;
        while (j < lines.size() && lines[j].rfind("#\t", 0) == 0) ++j;
        out.push_back({i, j, lines[i].substr(1)});
        i = j - 1;
    }
    return out;
}

std::vector<std::string> uncommented(std::vector<std::string> lines, const Sample& s) {
    for (size_t k = s.first; k < s.end; ++k) lines[k] = lines[k].substr(1);
    return lines;
}

// No DNS in tests: names resolve only through this table.
ParseOptions offline(std::map<std::string, std::string> names = {}) {
    ParseOptions options;
    options.resolve_host = [names](const std::string& host, Family) -> std::optional<IpAddress> {
        auto it = names.find(host);
        if (it == names.end()) return std::nullopt;
        return IpAddress::parse(it->second);
    };
    return options;
}

}  // namespace

TEST_CASE("ldirectord's shipped example configuration is accepted as shipped") {
    Config c = parse_config_file(XVS_LDIRECTORD_EXAMPLE, offline());
    CHECK(c.globals.checktimeout == 3u);
    CHECK(c.globals.checkinterval == 1);
    CHECK(c.globals.autoreload);
    CHECK_FALSE(c.globals.quiescent);
    REQUIRE(c.virtuals.size() == 1);
    const VirtualConfig& v = c.virtuals[0];
    CHECK(v.key == ServiceKey::tcp_udp(Protocol::tcp, ip("192.168.6.240"), 80));
    CHECK(v.servicename == std::string("Web Site"));
    CHECK(v.comment == std::string("Test load balanced web site"));
    CHECK(v.reals.size() == 3);
    CHECK(v.scheduler == "rr");
    CHECK(v.check.service == CheckService::http);
    CHECK(v.check.request == "/index.html");
    CHECK(v.check.receive == "Test Page");
    CHECK(v.check.virtualhost == std::string("www.x.y.z"));
    REQUIRE(v.fallback);
    CHECK(v.fallback->address.to_string() == "127.0.0.1");
}

TEST_CASE("each sample virtual of ldirectord's example is accepted once uncommented") {
    auto lines = example_lines();
    auto all = samples(lines);
    REQUIRE(all.size() == 19);  // the example as shipped in Debian 12's ldirectord

    const std::set<std::string> known_rejects = {
        "virtual=192.168.6.240:80",     // range sample: duplicate of the active sample
        "virtual = 192.168.10.74:3306", // sql01->sql03 do not resolve
        "virtual = 192.168.10.74:5432",
        "virtual = 192.168.10.74:1521",
        "virtual=192.168.6.240:5060",   // 192.168.6.2::5060 typo
    };
    size_t accepted = 0;
    for (const auto& s : all) {
        INFO("sample at line " << s.first + 1 << ": " << s.virtual_line);
        if (known_rejects.count(s.virtual_line)) continue;
        Config c = parse_config_text(join(uncommented(lines, s)), "ldirectord.cf", offline());
        REQUIRE(c.virtuals.size() == 2);
        CHECK(c.virtuals[1].line == static_cast<int>(s.first + 1));
        CHECK_FALSE(c.virtuals[1].reals.empty());
        ++accepted;
    }
    CHECK(accepted == all.size() - known_rejects.size());
}

TEST_CASE("the example's samples that ldirectord also rejects fail for that reason, and pass when fixed") {
    auto lines = example_lines();
    auto all = samples(lines);
    auto find = [&](const std::string& virtual_line) {
        for (const auto& s : all)
            if (s.virtual_line == virtual_line) return s;
        FAIL("sample " << virtual_line << " not found");
        return all.front();
    };

    SECTION("range sample: duplicate virtual, accepted without the active sample") {
        Sample s = find("virtual=192.168.6.240:80");
        auto text = uncommented(lines, s);
        auto errors = errors_of(join(text), offline());
        REQUIRE(errors.size() == 1);
        CHECK(errors[0] == "test.cf:" + std::to_string(s.first + 1) +
                               ": duplicate virtual server TCP  192.168.6.240:80 (first at line 25)");
        REQUIRE(text[24] == "virtual=192.168.6.240:80");  // the active sample, commented out here
        for (size_t k = 24; k == 24 || (k < text.size() && text[k].rfind("\t", 0) == 0); ++k)
            text[k] = "#" + text[k];
        Config c = parse_config_text(join(text), "ldirectord.cf", offline());
        REQUIRE(c.virtuals.size() == 1);
        CHECK(c.virtuals[0].reals.size() == 7);  // 192.168.6.2..7 and 192.168.6.32
    }
    SECTION("SQL samples: unresolvable reals sql01..sql03, accepted when the names resolve") {
        for (const char* v : {"virtual = 192.168.10.74:3306", "virtual = 192.168.10.74:5432",
                              "virtual = 192.168.10.74:1521"}) {
            INFO(v);
            Sample s = find(v);
            auto errors = errors_of(join(uncommented(lines, s)), offline());
            REQUIRE(errors.size() == 1);
            CHECK(errors[0] == "test.cf:" + std::to_string(s.first + 2) +
                                   ": real server: cannot resolve host name \"sql01\" to an IPv4 address");
            Config c = parse_config_text(join(uncommented(lines, s)), "ldirectord.cf",
                                         offline({{"sql01", "10.0.1.1"}, {"sql03", "10.0.1.3"}}));
            REQUIRE(c.virtuals.size() == 2);
            CHECK(c.virtuals[1].reals.size() == 3);
            CHECK(c.virtuals[1].reals[0].weight == 10);
            CHECK(c.virtuals[1].check.login == "readuser");
            CHECK(c.virtuals[1].check.database == "portal");
        }
    }
    SECTION("SIP sample: the doubled colon is rejected, the corrected sample accepted") {
        Sample s = find("virtual=192.168.6.240:5060");
        auto text = uncommented(lines, s);
        auto errors = errors_of(join(text), offline());
        REQUIRE(errors.size() == 3);
        CHECK_THAT(errors[0], Contains("real server: invalid address \"192.168.6.2::5060\""));
        for (size_t k = s.first; k < s.end; ++k)
            if (auto pos = text[k].find("::5060"); pos != std::string::npos) text[k].replace(pos, 6, ":5060");
        Config c = parse_config_text(join(text), "ldirectord.cf", offline());
        REQUIRE(c.virtuals.size() == 2);
        CHECK(c.virtuals[1].key.protocol == Protocol::udp);
        CHECK(c.virtuals[1].check.service == CheckService::sip);
        CHECK(c.virtuals[1].reals.size() == 3);
    }
}
