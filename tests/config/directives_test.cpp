// The directive table: every entry is complete, each directive is refused
// where it does not belong with the same wording everywhere, and each
// directive valid at both levels works in both, the virtual's value
// overriding the global one, with one message for a bad value.
#include <catch2/catch.hpp>

#include <functional>
#include <map>
#include <set>

#include "config/directives.h"
#include "config_test_support.h"

using namespace xvs;
using namespace xvs::test;
using namespace xvs::config_detail;

namespace {

bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; }

// A virtual with a real, so the section itself is valid; `lines` go in it.
std::string virtual_with(const std::string& lines) { return "virtual=10.0.0.1:80\n\treal=10.0.0.2 gate\n" + lines; }

// How one shared directive is tested: a global value, a different virtual
// value, the resolved setting of a virtual as text, and a value refused in
// both places with the message it gets.
struct SharedSample {
    std::string global_value;
    std::string virtual_value;
    std::function<std::string(const VirtualConfig&)> setting;
    std::string bad_value;
    std::string bad_message;
};

std::string number(uint32_t n) { return std::to_string(n); }
std::string yes_no(bool b) { return b ? "yes" : "no"; }

const std::map<std::string, SharedSample>& shared_samples() {
    static const std::map<std::string, SharedSample> samples = {
        {"checktimeout", {"7", "9", [](const VirtualConfig& v) { return number(v.check.checktimeout); },
                          "0", "invalid checktimeout \"0\": a whole number 1..4294967295 is required"}},
        {"negotiatetimeout", {"40", "50", [](const VirtualConfig& v) { return number(v.check.negotiatetimeout); },
                              "x", "invalid negotiatetimeout \"x\": a whole number 1..4294967295 is required"}},
        {"checkinterval", {"20", "3", [](const VirtualConfig& v) { return number(v.check.checkinterval); },
                           "-1", "invalid checkinterval \"-1\": a whole number 1..4294967295 is required"}},
        {"checkcount", {"2", "4", [](const VirtualConfig& v) { return number(v.check.checkcount); },
                        "0", "invalid checkcount \"0\": a whole number 1..4294967295 is required"}},
        {"failurecount", {"3", "6", [](const VirtualConfig& v) { return number(v.check.failurecount); },
                          "0", "invalid failurecount \"0\": a whole number 1..4294967295 is required"}},
        {"fallback", {"127.0.0.1:80 gate", "127.0.0.2:80 masq",
                      [](const VirtualConfig& v) { return v.fallback ? v.fallback->address.to_string() : "none"; },
                      "127.0.0.1:80 bogus", "forward method must be gate, masq or ipip, not \"bogus\""}},
        // fallback6 is tested in IPv6 virtuals (see below).
        {"fallback6", {"[::1]:80 gate", "[::2]:80 masq",
                       [](const VirtualConfig& v) { return v.fallback ? v.fallback->address.to_string() : "none"; },
                       "[::1]:80 bogus", "forward method must be gate, masq or ipip, not \"bogus\""}},
        {"fallbackcommand", {"\"/bin/g\"", "/bin/v",
                             [](const VirtualConfig& v) { return v.fallbackcommand.value_or("none"); },
                             "\"\"", "fallbackcommand needs a value"}},
        {"quiescent", {"yes", "no", [](const VirtualConfig& v) { return yes_no(v.check.quiescent); },
                       "maybe", "quiescent must be 'yes' or 'no'"}},
        {"cleanstop", {"no", "yes", [](const VirtualConfig& v) { return yes_no(v.cleanstop); },
                       "1", "cleanstop must be 'yes' or 'no'"}},
        {"emailalert", {"g@example.org", "\"v@example.org\"", [](const VirtualConfig& v) { return v.emailalert; },
                        "\"\"", "no email address specified"}},
        {"emailalertfreq", {"60", "0", [](const VirtualConfig& v) { return number(v.emailalertfreq); },
                            "-5", "invalid emailalertfreq \"-5\": a whole number is required"}},
        {"emailalertstatus", {"starting", "running,stopping",
                              [](const VirtualConfig& v) { return number(v.emailalertstatus); }, "bogus",
                              "invalid email alert status \"bogus\" (all, none, starting, running, stopping, reloading)"}},
        {"smtp", {"mail.example.org", "relay.example.org", [](const VirtualConfig& v) { return v.smtp.value_or("none"); },
                  "a b", "invalid SMTP server address \"a b\" (HOST, HOST:PORT, [IPV6] or [IPV6]:PORT)"}},
    };
    return samples;
}

}  // namespace

TEST_CASE("every directive of the table has a name, a place, a handler, and is found by its name") {
    std::set<std::string_view> names;
    for (const DirectiveSpec& spec : directive_table()) {
        INFO(spec.name);
        CHECK_FALSE(spec.name.empty());
        for (char c : spec.name) CHECK(is_name_char(c));
        CHECK(names.insert(spec.name).second);  // listed once
        CHECK((spec.where == Where::global || spec.where == Where::virtual_section || spec.where == Where::both));
        CHECK(spec.handler != nullptr);
        CHECK(find_directive(spec.name) == &spec);
        // Only section starts and supervised take a bare word (ldirectord's rule).
        CHECK(spec.bare_word == (spec.kind == ValueKind::section || spec.name == "supervised"));
        if (spec.kind == ValueKind::section) CHECK(spec.where == Where::global);
    }
    CHECK(find_directive("nonsense") == nullptr);
    CHECK(find_directive("Checktimeout") == nullptr);  // case-sensitive
    // ldirectord's directives and xvs's own, none lost.
    CHECK(names.size() == 62);
}

TEST_CASE("a global-only directive inside a virtual is refused with its line and one wording") {
    size_t tested = 0;
    for (const DirectiveSpec& spec : directive_table()) {
        if (spec.where != Where::global || spec.kind == ValueKind::section) continue;
        std::string name(spec.name);
        INFO(name);
        CHECK(error_of(virtual_with("\t" + name + "=yes\n")) ==
              "test.cf:3: \"" + name + "\" is a global directive and cannot appear inside a virtual section");
        ++tested;
    }
    CHECK(tested == 19);
    // virtual= indented is its own error: it would begin a section.
    CHECK(error_of(virtual_with("\tvirtual6=[::1]:80\n")) ==
          "test.cf:3: virtual6= must start in column 1 (it begins a new virtual section)");
}

TEST_CASE("a virtual-only directive at the top level is refused with its line and one wording") {
    size_t tested = 0;
    for (const DirectiveSpec& spec : directive_table()) {
        if (spec.where != Where::virtual_section) continue;
        std::string name(spec.name);
        INFO(name);
        CHECK(error_of("checktimeout=3\n" + name + "=x\n") ==
              "test.cf:2: \"" + name + "\" is only valid inside a virtual section (indent it under a virtual= line)");
        ++tested;
    }
    CHECK(tested == 26);
}

TEST_CASE("a directive without =VALUE needs one, wherever it is, except a bare supervised at the top level") {
    for (const DirectiveSpec& spec : directive_table()) {
        std::string name(spec.name);
        INFO(name);
        if (spec.kind == ValueKind::section) continue;
        std::string needs = name + " needs a value: " + name + "=...";
        if (spec.name != "supervised") CHECK(error_of(name + "\n") == "test.cf:1: " + needs);
        CHECK(error_of(virtual_with("\t" + name + "\n")) == "test.cf:3: " + needs);
    }
    Config c = parse("supervised\n");
    CHECK(c.globals.supervised);
    CHECK(error_of("virtual\n") == "test.cf:1: virtual needs ADDRESS:PORT or a firewall mark");
}

TEST_CASE("each directive valid at both levels sets the global value, and a virtual's own value overrides it") {
    const auto& samples = shared_samples();
    for (const DirectiveSpec& spec : directive_table()) {
        if (spec.where != Where::both) continue;
        std::string name(spec.name);
        INFO(name);
        if (spec.kind == ValueKind::refused) continue;  // connecttimeout, below
        auto it = samples.find(name);
        REQUIRE(it != samples.end());  // a new shared directive needs a sample here
        const SharedSample& s = it->second;
        bool v6 = name == "fallback6";
        std::string header = v6 ? "virtual6=[2001:db8::1]:80\n\treal6=[2001:db8::2] gate\n"
                                : "virtual=10.0.0.1:80\n\treal=10.0.0.2 gate\n";
        std::string other = v6 ? "virtual6=[2001:db8::3]:80\n\treal6=[2001:db8::4] gate\n"
                               : "virtual=10.0.0.3:80\n\treal=10.0.0.4 gate\n";
        // fork=yes: a virtual's checkinterval applies only then.
        Config c = parse("fork=yes\n" + name + "=" + s.global_value + "\n" + header + "\t" + name + "=" +
                         s.virtual_value + "\n" + other);
        REQUIRE(c.virtuals.size() == 2);
        std::string own = s.setting(c.virtuals[0]);
        std::string inherited = s.setting(c.virtuals[1]);
        CHECK(own != inherited);
        Config only_global = parse("fork=yes\n" + name + "=" + s.global_value + "\n" + other);
        CHECK(inherited == s.setting(only_global.virtuals.at(0)));
        Config only_virtual = parse("fork=yes\n" + header + "\t" + name + "=" + s.virtual_value + "\n");
        CHECK(own == s.setting(only_virtual.virtuals.at(0)));
        // The same value refused with the same words at either level.
        CHECK(error_of(name + "=" + s.bad_value + "\n") == "test.cf:1: " + s.bad_message);
        CHECK(error_of(header + "\t" + name + "=" + s.bad_value + "\n") == "test.cf:3: " + s.bad_message);
    }
    CHECK(error_of("connecttimeout=3\n") == "test.cf:1: connecttimeout directive deprecated in favour of negotiatetimeout");
    CHECK(error_of(virtual_with("\tconnecttimeout=3\n")) ==
          "test.cf:3: connecttimeout directive deprecated in favour of negotiatetimeout");
}

TEST_CASE("checkcount is deprecated with one warning at either level") {
    std::string warning = "warning: checkcount option is deprecated and slated for removal, please see 'failurecount'";
    Config global = parse("checkcount=2\n");
    REQUIRE(global.warnings.size() == 1);
    CHECK(global.warnings[0] == "test.cf:1: " + warning);
    Config in_virtual = parse(virtual_with("\tcheckcount=2\n"));
    REQUIRE(in_virtual.warnings.size() == 1);
    CHECK(in_virtual.warnings[0] == "test.cf:3: " + warning);
}

TEST_CASE("a fallback of the other family is refused in a virtual, and is the file's fallback at the top level") {
    CHECK(error_of(virtual_with("\tfallback6=[::1]:80\n")) ==
          "test.cf:3: cannot specify \"fallback6\" here, please use \"fallback\" instead");
    CHECK(error_of("virtual6=[2001:db8::1]:80\n\treal6=[2001:db8::2] gate\n\tfallback=127.0.0.1:80\n") ==
          "test.cf:3: cannot specify \"fallback\" here, please use \"fallback6\" instead");
    Config c = parse("fallback=127.0.0.1:80\nfallback6=[::1]:80\n" + virtual_with(""));
    REQUIRE(c.globals.fallback);
    REQUIRE(c.globals.fallback6);
    CHECK(c.globals.fallback->address == ip("127.0.0.1"));
    CHECK(c.globals.fallback6->address == ip("::1"));
}
