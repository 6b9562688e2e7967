// Global directives: ldirectord's code defaults, every directive's value,
// the xvs additions, and the errors for invalid values.
#include <catch2/catch.hpp>

#include "config_test_support.h"

using namespace xvs;
using namespace xvs::test;
using Catch::Matchers::Contains;

TEST_CASE("an empty file gives ldirectord's code defaults") {
    Config c = parse("");
    const GlobalConfig& g = c.globals;
    CHECK(c.virtuals.empty());
    CHECK_FALSE(g.checktimeout);
    CHECK_FALSE(g.negotiatetimeout);
    CHECK(g.checkinterval == 10);
    CHECK(g.checkcount == 1);
    CHECK(g.failurecount == 1);
    CHECK_FALSE(g.autoreload);
    CHECK_FALSE(g.quiescent);  // the code says no, the man page says yes: the code wins
    CHECK_FALSE(g.readdquiescent);
    CHECK(g.cleanstop);
    CHECK_FALSE(g.fork);
    CHECK_FALSE(g.supervised);
    CHECK(g.logfile == "/var/log/ldirectord.log");
    CHECK(g.emailalert.empty());
    CHECK(g.emailalertfreq == 0);
    CHECK(g.emailalertstatus == email_status_all);
    CHECK_FALSE(g.fallback);
    CHECK_FALSE(g.fallback6);
    CHECK(g.dataplane == DataplaneMode::automatic);
    CHECK(g.xdp_mode == XdpMode::automatic);
    CHECK(g.interfaces.empty());
    CHECK_FALSE(g.metrics);
    CHECK_FALSE(g.allow_empty);
    CHECK(c.source == test_file);
}

TEST_CASE("every ldirectord global directive is read with its value") {
    Config c = parse(
        "checktimeout=7\n"
        "negotiatetimeout=40\n"
        "checkinterval=3\n"
        "checkcount=2\n"
        "failurecount=4\n"
        "autoreload=yes\n"
        "callback=\"/usr/local/bin/cb\"\n"
        "fallback=127.0.0.1:8080 masq\n"
        "fallback6=[::1]:80\n"
        "fallbackcommand=\"/usr/local/bin/sorry\"\n"
        "logfile=\"local0\"\n"
        "emailalert=\"admin@example.com, ops@example.com\"\n"
        "emailalertfreq=3600\n"
        "emailalertstatus=starting, stopping\n"
        "emailalertfrom=\"LB\" <lb@example.com>\n"
        "smtp=mail.example.com\n"
        "execute=\"other.cf\"\n"
        "execute=third.cf\n"
        "supervised=yes\n"
        "fork=yes\n"
        "quiescent=yes\n"
        "readdquiescent=yes\n"
        "cleanstop=no\n"
        "maintenancedir=/\n");
    const GlobalConfig& g = c.globals;
    CHECK(g.checktimeout == 7u);
    CHECK(g.negotiatetimeout == 40u);
    CHECK(g.checkinterval == 3);
    CHECK(g.checkcount == 2);
    CHECK(g.failurecount == 4);
    CHECK(g.autoreload);
    CHECK(g.callback == std::string("/usr/local/bin/cb"));
    REQUIRE(g.fallback);
    CHECK(g.fallback->address == ip("127.0.0.1"));
    CHECK(g.fallback->port == uint16_t{8080});
    CHECK(g.fallback->method == ForwardMethod::masq);
    CHECK(g.fallback->line == 8);
    REQUIRE(g.fallback6);
    CHECK(g.fallback6->address == ip("::1"));
    CHECK(g.fallback6->port == uint16_t{80});
    CHECK(g.fallback6->method == ForwardMethod::gate);
    CHECK(g.fallbackcommand == std::string("/usr/local/bin/sorry"));
    CHECK(g.logfile == "local0");
    CHECK(g.emailalert == "admin@example.com, ops@example.com");
    CHECK(g.emailalertfreq == 3600);
    CHECK(g.emailalertstatus == (email_status_starting | email_status_stopping));
    CHECK(g.emailalertfrom == std::string("\"LB\" <lb@example.com>"));  // quotes kept, as documented
    CHECK(g.smtp == std::string("mail.example.com"));
    REQUIRE(g.execute.size() == 2);
    CHECK(g.execute[0].file == "other.cf");
    CHECK(g.execute[1].file == "third.cf");
    CHECK(g.execute[1].line > g.execute[0].line);
    CHECK(g.supervised);
    CHECK(g.fork);
    CHECK(g.quiescent);
    CHECK(g.readdquiescent);
    CHECK_FALSE(g.cleanstop);
    CHECK(g.maintenancedir == std::string("/"));
    CHECK(c.warnings.size() == 1);  // checkcount is deprecated
    CHECK_THAT(c.warnings.at(0), Contains("test.cf:4: warning: checkcount option is deprecated"));
}

TEST_CASE("a bare supervised directive means yes with a warning, as in ldirectord") {
    Config c = parse("supervised\n");
    CHECK(c.globals.supervised);
    REQUIRE(c.warnings.size() == 1);
    CHECK_THAT(c.warnings[0], Contains("bare supervised"));
}

TEST_CASE("emailalertstatus accepts all, none and combinations, and rejects none with others") {
    CHECK(parse("emailalertstatus=none\n").globals.emailalertstatus == email_status_none);
    CHECK(parse("emailalertstatus=all\n").globals.emailalertstatus == email_status_all);
    CHECK(parse("emailalertstatus=running,reloading\n").globals.emailalertstatus ==
          (email_status_running | email_status_reloading));
    CHECK(error_of("emailalertstatus=none,running\n") ==
          "test.cf:1: invalid email alert status: \"running\" specified with \"none\"");
    CHECK_THAT(error_of("emailalertstatus=sometimes\n"),
               Contains("test.cf:1: invalid email alert status \"sometimes\""));
}

TEST_CASE("a maintenancedir that does not exist is accepted with a warning") {
    Config c = parse("maintenancedir=/nonexistent/xvs-maintenance\n");
    REQUIRE(c.warnings.size() == 1);
    CHECK_THAT(c.warnings[0], Contains("does not exist"));
}

TEST_CASE("the xvs global directives are read") {
    Config c = parse(
        "interface=eth0\n"
        "interface=veth-xvs1\n"
        "dataplane=ipvs\n"
        "xdp-mode=generic\n"
        "metrics=127.0.0.1:9100\n");
    CHECK(c.globals.interfaces == std::vector<std::string>{"eth0", "veth-xvs1"});
    CHECK(c.globals.dataplane == DataplaneMode::ipvs);
    CHECK(c.globals.xdp_mode == XdpMode::generic);
    REQUIRE(c.globals.metrics);
    CHECK(c.globals.metrics->to_string() == "127.0.0.1:9100");

    CHECK(parse("dataplane=xdp\n").globals.dataplane == DataplaneMode::xdp);
    CHECK(parse("dataplane=auto\n").globals.dataplane == DataplaneMode::automatic);
    CHECK(parse("xdp-mode=native\n").globals.xdp_mode == XdpMode::native);
    CHECK(parse("metrics=[::1]:9100\n").globals.metrics->to_string() == "[::1]:9100");
    CHECK_FALSE(parse("metrics=off\n").globals.metrics);
}

TEST_CASE("allow-empty=yes|no says whether a reload may remove every service") {
    CHECK(parse("allow-empty=yes\n").globals.allow_empty);
    CHECK_FALSE(parse("allow-empty=no\n").globals.allow_empty);
    CHECK(error_of("allow-empty=1\n") == "test.cf:1: allow-empty must be 'yes' or 'no'");
    CHECK(error_of("virtual=10.0.0.1:80\n\tallow-empty=yes\n") ==
          "test.cf:2: \"allow-empty\" is a global directive and cannot appear inside a virtual section");
}

TEST_CASE("invalid xvs global values are rejected with their line") {
    CHECK(error_of("dataplane=dpdk\n") == "test.cf:1: dataplane must be auto, xdp or ipvs");
    CHECK(error_of("xdp-mode=offload\n") == "test.cf:1: xdp-mode must be native, generic or auto");
    CHECK_THAT(error_of("metrics=127.0.0.1\n"), Contains("test.cf:1: metrics: missing port"));
    CHECK_THAT(error_of("metrics=localhost:9100\n"), Contains("test.cf:1: metrics: invalid address"));
    CHECK_THAT(error_of("interface=eth0\ninterface=eth0\n"),
               Contains("test.cf:2: interface eth0 listed twice (first at line 1)"));
    CHECK_THAT(error_of("interface=a-very-long-interface-name\n"), Contains("test.cf:1: invalid interface name"));
    CHECK_THAT(error_of("interface=eth/0\n"), Contains("invalid interface name"));
}

TEST_CASE("invalid global values are each rejected with their line") {
    CHECK(error_of("checktimeout=0\n") ==
          "test.cf:1: invalid checktimeout \"0\": a whole number 1..4294967295 is required");
    CHECK_THAT(error_of("negotiatetimeout=abc\n"), Contains("test.cf:1: invalid negotiatetimeout"));
    CHECK_THAT(error_of("checkinterval=-1\n"), Contains("test.cf:1: invalid checkinterval"));
    CHECK_THAT(error_of("failurecount=0\n"), Contains("test.cf:1: invalid failurecount"));
    CHECK_THAT(error_of("checkcount=x\n"), Contains("test.cf:1: invalid checkcount"));
    CHECK_THAT(error_of("checktimeout=99999999999\n"), Contains("invalid checktimeout"));
    CHECK(error_of("autoreload=true\n") == "test.cf:1: autoreload must be 'yes' or 'no'");
    CHECK(error_of("quiescent=1\n") == "test.cf:1: quiescent must be 'yes' or 'no'");
    CHECK(error_of("readdquiescent=maybe\n") == "test.cf:1: readdquiescent must be 'yes' or 'no'");
    CHECK(error_of("cleanstop=\n") == "test.cf:1: cleanstop must be 'yes' or 'no'");
    CHECK(error_of("fork=on\n") == "test.cf:1: fork must be 'yes' or 'no'");
    CHECK(error_of("supervised=1\n") == "test.cf:1: supervised must be 'yes' or 'no'");
    CHECK(error_of("logfile=/var/log/x.log\n") == "test.cf:1: logfile must be in double quotes: logfile=\"...\"");
    CHECK(error_of("callback=/bin/cb\n") == "test.cf:1: callback must be in double quotes: callback=\"...\"");
    CHECK(error_of("emailalert=\"\"\n") == "test.cf:1: no email address specified");
    CHECK_THAT(error_of("emailalertfreq=soon\n"), Contains("test.cf:1: invalid emailalertfreq"));
    // Net::SMTP's forms: HOST, HOST:PORT, [V6], [V6]:PORT.
    CHECK(parse_config_text("smtp=mail.example.com:2525\n", "test.cf").globals.smtp == std::string("mail.example.com:2525"));
    CHECK(parse_config_text("smtp=[2001:db8::25]:25\n", "test.cf").globals.smtp == std::string("[2001:db8::25]:25"));
    CHECK(parse_config_text("smtp=[2001:db8::25]\n", "test.cf").globals.smtp == std::string("[2001:db8::25]"));
    CHECK(error_of("smtp=mail.example.com:0\n") ==
          "test.cf:1: invalid SMTP server address \"mail.example.com:0\" (HOST, HOST:PORT, [IPV6] or [IPV6]:PORT)");
    CHECK(error_of("smtp=[10.0.0.1]:25\n") ==
          "test.cf:1: invalid SMTP server address \"[10.0.0.1]:25\" (HOST, HOST:PORT, [IPV6] or [IPV6]:PORT)");
    CHECK(error_of("connecttimeout=5\n") ==
          "test.cf:1: connecttimeout directive deprecated in favour of negotiatetimeout");
    CHECK(error_of("timeout=5\n") ==
          "test.cf:1: timeout directive deprecated in favour of checktimeout and negotiatetimeout");
    CHECK(error_of("fallbackcommand=\n") == "test.cf:1: fallbackcommand needs a value");
    CHECK(error_of("execute=\"\"\n") == "test.cf:1: execute needs a value");
    CHECK(error_of("maintenancedir=\n") == "test.cf:1: maintenancedir needs a value");
}

TEST_CASE("a global fallback is validated: address, port, method and family") {
    CHECK_THAT(error_of("fallback=127.0.0.1:80 nat\n"),
               Contains("test.cf:1: forward method must be gate, masq or ipip, not \"nat\""));
    CHECK_THAT(error_of("fallback=[::1]:80\n"), Contains("test.cf:1: fallback server: IPv6 address [::1] in an IPv4 section"));
    CHECK_THAT(error_of("fallback6=127.0.0.1:80\n"), Contains("test.cf:1: fallback server: IPv4 address 127.0.0.1 in an IPv6 section"));
    CHECK_THAT(error_of("fallback=127.0.0.1:70000\n"), Contains("port 70000 out of range"));
    CHECK_THAT(error_of("fallback=a b c\n"), Contains("test.cf:1: invalid fallback server"));
    Config c = parse("fallback=127.0.0.1\n");
    CHECK_FALSE(c.globals.fallback->port);  // the virtual's port is used
}

TEST_CASE("per-virtual-only directives at the top level are errors naming the section") {
    CHECK(error_of("real=10.0.0.1:80 gate\n") ==
          "test.cf:1: \"real\" is only valid inside a virtual section (indent it under a virtual= line)");
    CHECK_THAT(error_of("scheduler=rr\n"), Contains("\"scheduler\" is only valid inside a virtual section"));
    CHECK_THAT(error_of("match=tcp 10.0.0.1:80\n"), Contains("\"match\" is only valid inside a virtual section"));
    CHECK(error_of("frobnicate=yes\n") == "test.cf:1: unknown directive \"frobnicate\"");
    CHECK(error_of("Checktimeout=5\n") == "test.cf:1: unknown directive \"Checktimeout\"");
}

TEST_CASE("expire_quiescent_template= sets IPVS's switch of that name, 0 or 1 as the kernel takes it") {
    CHECK_FALSE(parse("").globals.ipvs_behaviour.expire_quiescent_template);
    CHECK(parse("expire_quiescent_template=1\n").globals.ipvs_behaviour.expire_quiescent_template);
    CHECK_FALSE(parse("expire_quiescent_template=0\n").globals.ipvs_behaviour.expire_quiescent_template);
    CHECK(error_of("expire_quiescent_template=yes\n") ==
          "test.cf:1: expire_quiescent_template must be 0 or 1 (IPVS's sysctl; default 0)");
    CHECK(error_of("virtual=10.0.0.1:80\n\texpire_quiescent_template=1\n") ==
          "test.cf:2: \"expire_quiescent_template\" is a global directive and cannot appear inside a virtual section");
}

TEST_CASE("expire_nodest_conn=, sloppy_tcp= and conn_reuse_mode= set IPVS's switches, at the kernel's defaults") {
    const IpvsBehaviour defaults = parse("").globals.ipvs_behaviour;
    CHECK_FALSE(defaults.expire_nodest_conn);
    CHECK_FALSE(defaults.sloppy_tcp);
    CHECK(defaults.conn_reuse_mode == 1);
    CHECK(parse("expire_nodest_conn=1\n").globals.ipvs_behaviour.expire_nodest_conn);
    CHECK(parse("sloppy_tcp=1\n").globals.ipvs_behaviour.sloppy_tcp);
    CHECK_FALSE(parse("sloppy_tcp=0\n").globals.ipvs_behaviour.sloppy_tcp);
    for (int mode = 0; mode <= 3; ++mode)
        CHECK(parse("conn_reuse_mode=" + std::to_string(mode) + "\n").globals.ipvs_behaviour.conn_reuse_mode == mode);
    CHECK(error_of("expire_nodest_conn=2\n") ==
          "test.cf:1: expire_nodest_conn must be 0 or 1 (IPVS's sysctl; default 0)");
    CHECK(error_of("sloppy_tcp=on\n") == "test.cf:1: sloppy_tcp must be 0 or 1 (IPVS's sysctl; default 0)");
    CHECK(error_of("conn_reuse_mode=4\n") ==
          "test.cf:1: conn_reuse_mode must be 0, 1, 2 or 3 (IPVS's sysctl; default 1)");
    CHECK(error_of("conn_reuse_mode=01\n") ==
          "test.cf:1: conn_reuse_mode must be 0, 1, 2 or 3 (IPVS's sysctl; default 1)");
    CHECK(error_of("virtual=10.0.0.1:80\n\tsloppy_tcp=1\n") ==
          "test.cf:2: \"sloppy_tcp\" is a global directive and cannot appear inside a virtual section");
}
