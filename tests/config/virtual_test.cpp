// Virtual sections: the forms of virtual=, ldirectord's per-virtual defaults,
// every per-virtual directive, overrides of the globals, match= lines, and
// the validation errors.
#include <catch2/catch.hpp>

#include "config_test_support.h"

using namespace xvs;
using namespace xvs::test;
using Catch::Matchers::Contains;

namespace {

// One virtual with one real and the given extra lines.
Config one_virtual(const std::string& header, const std::string& lines = "",
                   const std::string& globals = "") {
    return parse(globals + header + "\n\treal=10.0.0.2 gate\n" + lines);
}

const VirtualConfig& only(const Config& c) {
    REQUIRE(c.virtuals.size() == 1);
    return c.virtuals[0];
}

}  // namespace

TEST_CASE("a TCP virtual gets ldirectord's per-virtual defaults") {
    Config c = one_virtual("virtual=10.0.0.1:80");
    const VirtualConfig& v = only(c);
    CHECK(v.key == ServiceKey::tcp_udp(Protocol::tcp, ip("10.0.0.1"), 80));
    CHECK(v.line == 1);
    CHECK(v.written == "10.0.0.1:80");
    CHECK(v.scheduler == "wrr");
    CHECK_FALSE(v.persistent);
    CHECK(v.persistence.timeout == 0);
    CHECK(v.persistence.prefix_len == 32);
    CHECK_FALSE(v.ops);
    CHECK_FALSE(v.fallback);
    CHECK(v.cleanstop);
    const HealthCheckConfig& h = v.check;
    CHECK(h.type == CheckType::negotiate);
    CHECK(h.service == CheckService::http);  // from port 80
    CHECK_FALSE(h.checkport);
    CHECK(h.request == "/");
    CHECK(h.receive.empty());
    CHECK(h.httpmethod == "GET");
    CHECK_FALSE(h.virtualhost);
    CHECK(h.login.empty());
    CHECK(h.passwd.empty());
    CHECK(h.checkcommand == "/bin/true");
    CHECK(h.checkinterval == 10);
    CHECK(h.checktimeout == 5);
    CHECK(h.negotiatetimeout == 30);
    CHECK(h.connecttimeout == 5);
    CHECK(h.checkcount == 1);
    CHECK(h.failurecount == 1);
    CHECK_FALSE(h.quiescent);
}

TEST_CASE("the service defaults from the virtual's port as in ldirectord's table") {
    struct Case {
        uint16_t port;
        CheckService service;
    };
    for (Case k : {Case{21, CheckService::ftp}, Case{25, CheckService::smtp}, Case{53, CheckService::dns},
                   Case{80, CheckService::http}, Case{110, CheckService::pop}, Case{119, CheckService::nntp},
                   Case{143, CheckService::imap}, Case{389, CheckService::ldap}, Case{443, CheckService::https},
                   Case{587, CheckService::submission}, Case{636, CheckService::ldaps},
                   Case{993, CheckService::imaps}, Case{995, CheckService::pops}, Case{1521, CheckService::oracle},
                   Case{1812, CheckService::radius}, Case{3128, CheckService::http_proxy},
                   Case{3306, CheckService::mysql}, Case{5060, CheckService::sip},
                   Case{5432, CheckService::pgsql}, Case{8080, CheckService::none}}) {
        Config c = one_virtual("virtual=10.0.0.1:" + std::to_string(k.port));
        INFO("port " << k.port);
        CHECK(only(c).check.service == k.service);
    }
}

TEST_CASE("port 53 and the domain service make a UDP virtual, protocol= overrides") {
    CHECK(only(one_virtual("virtual=10.0.0.1:53")).key.protocol == Protocol::udp);
    CHECK(only(one_virtual("virtual=10.0.0.1:domain")).key.protocol == Protocol::udp);
    CHECK(only(one_virtual("virtual=10.0.0.1:domain")).key.port == 53);
    CHECK(only(one_virtual("virtual=10.0.0.1:53", "\tprotocol=tcp\n")).key.protocol == Protocol::tcp);
    CHECK(only(one_virtual("virtual=10.0.0.1:5000", "\tprotocol=udp\n")).key.protocol == Protocol::udp);
    CHECK(only(one_virtual("virtual=10.0.0.1:5000", "\tprotocol=tcp\n")).key.protocol == Protocol::tcp);
}

TEST_CASE("virtual accepts host and service names") {
    Config c = one_virtual("virtual=localhost:http");
    CHECK(only(c).key == ServiceKey::tcp_udp(Protocol::tcp, ip("127.0.0.1"), 80));
    CHECK(only(c).written == "localhost:http");
}

TEST_CASE("an injected resolver is used for names and never for numeric addresses") {
    ParseOptions options;
    int host_lookups = 0;
    options.resolve_host = [&](const std::string& host, Family f) -> std::optional<IpAddress> {
        ++host_lookups;
        if (host == "web.example" && f == Family::v6) return ip("2001:db8::80");
        if (host == "backend.example" && f == Family::v6) return ip("2001:db8::2");
        return std::nullopt;
    };
    options.resolve_service = [](const std::string& name, const char*) -> std::optional<uint16_t> {
        if (name == "webport") return 8080;
        return std::nullopt;
    };
    Config c = parse("virtual6=web.example:webport\n\treal6=backend.example:webport masq\n"
                     "\treal6=[2001:db8::3] masq\n",
                     options);
    CHECK(only(c).key == ServiceKey::tcp_udp(Protocol::tcp, ip("2001:db8::80"), 8080));
    CHECK(only(c).reals.at(0).key.address == ip("2001:db8::2"));
    CHECK(only(c).reals.at(0).key.port == 8080);
    CHECK(host_lookups == 2);
    CHECK(error_of("virtual=nowhere.example:80\n\treal=10.0.0.2 gate\n", options) ==
          "test.cf:1: virtual server: cannot resolve host name \"nowhere.example\" to an IPv4 address");
}

TEST_CASE("with name resolution off, names are errors and numbers still work") {
    ParseOptions numeric;
    numeric.resolve_names = false;
    CHECK(parse("virtual=10.0.0.1:80\n\treal=10.0.0.2:80 gate\n", numeric).virtuals.size() == 1);
    CHECK(error_of("virtual=localhost:80\n", numeric) ==
          "test.cf:1: virtual server: host name \"localhost\" not allowed: name resolution is disabled");
    CHECK(error_of("virtual=10.0.0.1:http\n", numeric) ==
          "test.cf:1: virtual server: service name \"http\" not allowed: name resolution is disabled");
}

TEST_CASE("IPv6 virtuals are written in brackets with virtual6") {
    Config c = parse("virtual6=[2001:db8::5]:119\n\treal6=[2001:db8:0:1::4]:119 masq\n"
                     "\tnetmask=64\n\tpersistent=600\n");
    const VirtualConfig& v = only(c);
    CHECK(v.key == ServiceKey::tcp_udp(Protocol::tcp, ip("2001:db8::5"), 119));
    CHECK(v.check.service == CheckService::nntp);
    CHECK(v.persistence.prefix_len == 64);
    CHECK(v.persistence.timeout == 600);
    CHECK(only(parse("virtual6=[2001:db8::5]:80\n")).persistence.prefix_len == 128);
    CHECK(error_of("virtual=[2001:db8::5]:80\n") ==
          "test.cf:1: cannot specify an IPv6 address here, use \"virtual6\" instead");
    CHECK_THAT(error_of("virtual6=2001:db8::5:80\n"), Contains("test.cf:1: invalid address for virtual server"));
    CHECK_THAT(error_of("virtual6=10.0.0.1:80\n"), Contains("test.cf:1: virtual server: IPv4 address 10.0.0.1 in an IPv6 section"));
    CHECK_THAT(error_of("virtual6=[2001:db8::zz]:80\n"), Contains("test.cf:1: virtual server: invalid IPv6 address"));
    CHECK(error_of("virtual6=[2001:db8::5]:80\n\treal=10.0.0.2 gate\n") ==
          "test.cf:2: cannot specify \"real\" here, please use \"real6\" instead");
    CHECK(error_of("virtual=10.0.0.1:80\n\treal6=[2001:db8::2] gate\n") ==
          "test.cf:2: cannot specify \"real6\" here, please use \"real\" instead");
    CHECK_THAT(error_of("virtual6=[2001:db8::5]:80\n\tnetmask=255.255.255.0\n"),
               Contains("test.cf:2: invalid netmask: a prefix length between 1 and 128 is required"));
}

TEST_CASE("a firewall-mark virtual is protocol fwm with service none") {
    Config c = parse("virtual=100\n\treal=10.0.0.2 masq\n\tmatch=tcp 192.168.0.105:80\n");
    const VirtualConfig& v = only(c);
    CHECK(v.key == ServiceKey::mark(100, Family::v4));
    CHECK(v.check.service == CheckService::none);
    CHECK(v.check.type == CheckType::negotiate);
    CHECK(only(parse("virtual6=7\n\tmatch=udp [2001:db8::1]\n")).key == ServiceKey::mark(7, Family::v6));
    CHECK(only(parse("virtual=5\n\tprotocol=fwm\n\tmatch=tcp 10.0.0.1\n")).key.fwmark == 5);
    CHECK(error_of("virtual=5\n\tprotocol=tcp\n") ==
          "test.cf:2: protocol must be fwm if the virtual service is a fwmark (a number)");
    CHECK(error_of("virtual=0\n") == "test.cf:1: firewall mark 0 out of range 1..4294967295");
    CHECK(error_of("virtual=4294967296\n") == "test.cf:1: firewall mark 4294967296 out of range 1..4294967295");
}

TEST_CASE("a firewall-mark virtual without match= lines is accepted with a warning") {
    Config c = parse("virtual=1\n\treal=10.0.0.2 gate\n");
    REQUIRE(c.warnings.size() == 1);
    CHECK_THAT(c.warnings[0], Contains("test.cf:1: warning: firewall-mark virtual service 1 has no match= lines"));
}

TEST_CASE("match= lines are read in order with optional ports") {
    Config c = parse("virtual=100\n"
                     "    match=tcp 192.168.0.105:80\n"
                     "    match=udp 192.168.0.105\n"
                     "    match=tcp 192.168.0.106:8080\n");
    const auto& m = only(c).matches;
    REQUIRE(m.size() == 3);
    CHECK(m[0].rule == MatchRule{Protocol::tcp, ip("192.168.0.105"), 80});
    CHECK(m[0].line == 2);
    CHECK(m[1].rule == MatchRule{Protocol::udp, ip("192.168.0.105"), 0});
    CHECK(m[2].rule.port == 8080);
    Config v6 = parse("virtual6=100\n\tmatch=tcp [2001:db8::1]:443\n");
    CHECK(only(v6).matches.at(0).rule == MatchRule{Protocol::tcp, ip("2001:db8::1"), 443});
}

TEST_CASE("invalid match= lines are rejected") {
    CHECK(error_of("virtual=10.0.0.1:80\n\tmatch=tcp 10.0.0.1:80\n") ==
          "test.cf:2: match= is only valid in a firewall-mark virtual service (virtual=MARK)");
    CHECK(error_of("virtual=100\n\tmatch=sctp 10.0.0.1:80\n") ==
          "test.cf:2: match protocol must be tcp or udp, not \"sctp\"");
    CHECK_THAT(error_of("virtual=100\n\tmatch=tcp\n"), Contains("test.cf:2: invalid match"));
    CHECK_THAT(error_of("virtual=100\n\tmatch=tcp 10.0.0.1:0\n"), Contains("test.cf:2: match port \"0\" must be 1..65535"));
    CHECK_THAT(error_of("virtual=100\n\tmatch=tcp [2001:db8::1]:80\n"), Contains("test.cf:2: match: IPv6 address"));
    CHECK_THAT(error_of("virtual6=100\n\tmatch=tcp 10.0.0.1:80\n"), Contains("test.cf:2: match: IPv4 address"));
    CHECK_THAT(error_of("virtual=100\n\tmatch=tcp example.com:80\n"), Contains("not allowed"));
    CHECK(error_of("virtual=100\n\tmatch=tcp 10.0.0.1:80\n\tmatch=tcp 10.0.0.1:80\n") ==
          "test.cf:3: duplicate match \"tcp 10.0.0.1:80\" (also at line 2)");
    CHECK(error_of("virtual=100\n\tmatch=tcp 10.0.0.1:80\nvirtual=200\n\tmatch=tcp 10.0.0.1:80\n") ==
          "test.cf:4: these packets are already matched by firewall mark 100 (line 2)");
}

TEST_CASE("every per-virtual directive is read") {
    Config c = parse(
        "virtual=10.0.0.1:8080\n"
        "\treal=10.0.0.2 gate\n"
        "\tservice=https\n"
        "\tchecktype=connect\n"
        "\tcheckport=8443\n"
        "\trequest=\"health\"\n"
        "\treceive=\"OK.*\"\n"
        "\thttpmethod=head\n"
        "\tvirtualhost=\"www.example.com\"\n"
        "\tlogin=\"user\"\n"
        "\tpasswd=\"pw\"\n"
        "\tdatabase=\"db\"\n"
        "\tsecret=\"s3\"\n"
        "\tload=\"cpu\"\n"
        "\tcheckcommand=\"/usr/local/bin/check\"\n"
        "\tscheduler=sh\n"
        "\tschedflags=sh-port,sh-fallback\n"
        "\tpersistent=300\n"
        "\tnetmask=255.255.255.0\n"
        "\tfallback=127.0.0.1:8081 masq\n"
        "\tfallbackcommand=/usr/local/bin/sorry\n"
        "\tquiescent=yes\n"
        "\tcleanstop=no\n"
        "\temailalert=\"ops@example.com\"\n"
        "\temailalertfreq=60\n"
        "\temailalertstatus=running\n"
        "\tsmtp=10.0.0.25\n"
        "\tmonitorfile=\"/var/log/xvs-monitor.log\"\n"
        "\tservicename=Web Site\n"
        "\tcomment=Test load balanced web site\n"
        "\tchecktimeout=3\n"
        "\tnegotiatetimeout=9\n"
        "\tfailurecount=2\n");
    const VirtualConfig& v = only(c);
    const HealthCheckConfig& h = v.check;
    CHECK(h.service == CheckService::https);
    CHECK(h.type == CheckType::connect);
    CHECK(h.checkport == uint16_t{8443});
    CHECK(h.request == "/health");  // made absolute as ldirectord does
    CHECK(h.receive == "OK.*");
    CHECK(h.httpmethod == "HEAD");
    CHECK(h.virtualhost == std::string("www.example.com"));
    CHECK(h.login == "user");
    CHECK(h.passwd == "pw");
    CHECK(h.database == "db");
    CHECK(h.secret == "s3");
    CHECK(h.load == std::string("cpu"));
    CHECK(h.checkcommand == "/usr/local/bin/check");
    CHECK(v.scheduler == "sh");
    CHECK(v.scheduler_flags == std::vector<std::string>{"sh-port", "sh-fallback"});
    CHECK(v.persistent == 300u);
    CHECK(v.netmask == std::string("255.255.255.0"));
    CHECK(v.persistence.timeout == 300);
    CHECK(v.persistence.prefix_len == 24);
    REQUIRE(v.fallback);
    CHECK(v.fallback->address == ip("127.0.0.1"));
    CHECK(v.fallback->port == uint16_t{8081});
    CHECK(v.fallback->method == ForwardMethod::masq);
    CHECK(v.fallback->line == 20);
    CHECK(v.fallbackcommand == std::string("/usr/local/bin/sorry"));
    CHECK(h.quiescent);
    CHECK_FALSE(v.cleanstop);
    CHECK(v.emailalert == "ops@example.com");
    CHECK(v.emailalertfreq == 60);
    CHECK(v.emailalertstatus == email_status_running);
    CHECK(v.smtp == std::string("10.0.0.25"));
    CHECK(v.monitorfile == std::string("/var/log/xvs-monitor.log"));
    CHECK(v.servicename == std::string("Web Site"));
    CHECK(v.comment == std::string("Test load balanced web site"));
    CHECK(h.checktimeout == 3);
    CHECK(h.negotiatetimeout == 9);
    CHECK(h.failurecount == 2);
    CHECK(c.warnings.empty());
}

TEST_CASE("checktype accepts every ldirectord type and a number for combined checks") {
    struct Case {
        const char* text;
        CheckType type;
    };
    for (Case k : {Case{"connect", CheckType::connect}, Case{"negotiate", CheckType::negotiate},
                   Case{"ping", CheckType::ping}, Case{"off", CheckType::off}, Case{"on", CheckType::on},
                   Case{"external", CheckType::external}, Case{"external-perl", CheckType::external_perl}}) {
        INFO(k.text);
        CHECK(only(one_virtual("virtual=10.0.0.1:80", std::string("\tchecktype=") + k.text + "\n")).check.type == k.type);
    }
    const VirtualConfig& v = only(one_virtual("virtual=10.0.0.1:80", "\tchecktype=5\n"));
    CHECK(v.check.type == CheckType::combined);
    CHECK(v.check.combined_connects == 5);
    CHECK_THAT(error_of("virtual=10.0.0.1:80\n\tchecktype=tcp\n"),
               Contains("test.cf:2: checktype must be \"connect\", \"negotiate\""));
}

TEST_CASE("service= accepts ldirectord's list and fills ftp and sip logins") {
    for (const char* s : {"dns", "ftp", "http", "https", "http_proxy", "imap", "imaps", "ldap", "ldaps", "nntp",
                          "mysql", "none", "oracle", "pop", "pops", "radius", "pgsql", "sip", "smtp",
                          "submission", "simpletcp"}) {
        INFO(s);
        CHECK(to_string(only(one_virtual("virtual=10.0.0.1:80", std::string("\tservice=") + s + "\n")).check.service) ==
              std::string(s));
    }
    const VirtualConfig& ftp = only(one_virtual("virtual=10.0.0.1:21", "\tservice=ftp\n"));
    CHECK(ftp.check.login == "anonymous");
    CHECK(ftp.check.passwd.rfind("ldirectord@", 0) == 0);
    const VirtualConfig& sip = only(one_virtual("virtual=10.0.0.1:5060", "\tservice=sip\n"));
    CHECK(sip.check.login.rfind("ldirectord@", 0) == 0);
    const VirtualConfig& own = only(one_virtual("virtual=10.0.0.1:21", "\tlogin=\"me\"\n\tservice=ftp\n"));
    CHECK(own.check.login == "me");
    CHECK_THAT(error_of("virtual=10.0.0.1:80\n\tservice=gopher\n"), Contains("test.cf:2: service must be dns, ftp"));
}

TEST_CASE("timeouts resolve as ldirectord's ld_setup: each other's defaults, virtual before global") {
    auto timeouts = [](const std::string& globals, const std::string& lines) {
        const auto& h = only(one_virtual("virtual=10.0.0.1:80", lines, globals)).check;
        return std::make_pair(h.checktimeout, h.negotiatetimeout);
    };
    CHECK(timeouts("", "") == std::make_pair(5u, 30u));
    CHECK(timeouts("checktimeout=7\n", "") == std::make_pair(7u, 7u));
    CHECK(timeouts("negotiatetimeout=20\n", "") == std::make_pair(20u, 20u));
    CHECK(timeouts("checktimeout=7\nnegotiatetimeout=20\n", "") == std::make_pair(7u, 20u));
    CHECK(timeouts("checktimeout=7\n", "\tnegotiatetimeout=12\n") == std::make_pair(12u, 12u));
    CHECK(timeouts("negotiatetimeout=20\n", "\tchecktimeout=2\n") == std::make_pair(2u, 2u));
    CHECK(timeouts("checktimeout=7\nnegotiatetimeout=20\n", "\tchecktimeout=1\n\tnegotiatetimeout=4\n") ==
          std::make_pair(1u, 4u));
}

TEST_CASE("per-virtual settings override the globals, wherever the globals appear") {
    Config c = parse(
        "virtual=10.0.0.1:80\n\treal=10.0.0.2 gate\n\tquiescent=no\n\tfailurecount=5\n\tcheckcount=2\n"
        "virtual=10.0.0.1:81\n\treal=10.0.0.2 gate\n"
        "quiescent=yes\nfailurecount=3\nemailalert=a@b\nemailalertfreq=7\nemailalertstatus=none\n"
        "smtp=mx\ncleanstop=no\nfallbackcommand=/bin/sorry\nfallback=127.0.0.1 masq\n");
    REQUIRE(c.virtuals.size() == 2);
    const auto& own = c.virtuals[0];
    const auto& inherits = c.virtuals[1];
    CHECK_FALSE(own.check.quiescent);
    CHECK(own.check.failurecount == 5);
    CHECK(own.check.checkcount == 2);
    CHECK(inherits.check.quiescent);
    CHECK(inherits.check.failurecount == 3);
    CHECK(inherits.check.checkcount == 1);
    CHECK(inherits.emailalert == "a@b");
    CHECK(inherits.emailalertfreq == 7);
    CHECK(inherits.emailalertstatus == email_status_none);
    CHECK(inherits.smtp == std::string("mx"));
    CHECK_FALSE(inherits.cleanstop);
    CHECK(inherits.fallbackcommand == std::string("/bin/sorry"));
    REQUIRE(inherits.fallback);
    CHECK(inherits.fallback->address == ip("127.0.0.1"));
    CHECK(inherits.fallback->port == uint16_t{81});  // the global fallback has no port: the virtual's
    CHECK(inherits.fallback->method == ForwardMethod::masq);
}

TEST_CASE("a virtual's fallback without a port uses the virtual's port, fwmark virtuals use 0") {
    CHECK(only(one_virtual("virtual=10.0.0.1:443", "\tfallback=127.0.0.1\n")).fallback->port == uint16_t{443});
    CHECK(only(one_virtual("virtual=10.0.0.1:80", "\tfallback=127.0.0.1:http\n")).fallback->port == uint16_t{80});
    CHECK(only(parse("virtual=9\n\tmatch=tcp 10.0.0.1\n\tfallback=127.0.0.1\n")).fallback->port == uint16_t{0});
    CHECK(only(parse("fallback6=[::1]:8080\nvirtual6=[2001:db8::1]:80\n")).fallback->port == uint16_t{8080});
    CHECK_FALSE(only(parse("fallback6=[::1]:8080\nvirtual=10.0.0.1:80\n")).fallback);
    CHECK(error_of("virtual=10.0.0.1:80\n\tfallback6=[::1]:80\n") ==
          "test.cf:2: cannot specify \"fallback6\" here, please use \"fallback\" instead");
}

TEST_CASE("checkinterval in a virtual applies only with fork=yes, as in ldirectord") {
    Config no_fork = one_virtual("virtual=10.0.0.1:80", "\tcheckinterval=2\n", "checkinterval=7\n");
    CHECK(only(no_fork).check.checkinterval == 7);
    REQUIRE(no_fork.warnings.size() == 1);
    CHECK_THAT(no_fork.warnings[0], Contains("test.cf:4: warning: checkinterval in a virtual service is ignored"));
    Config fork = one_virtual("virtual=10.0.0.1:80", "\tcheckinterval=2\n", "fork=yes\ncheckinterval=7\n");
    CHECK(only(fork).check.checkinterval == 2);
    CHECK(fork.warnings.empty());
}

TEST_CASE("persistence and netmask are validated like ipvsadm") {
    CHECK(only(one_virtual("virtual=10.0.0.1:80", "\tpersistent=2678400\n")).persistence.timeout == 2678400);
    CHECK(only(one_virtual("virtual=10.0.0.1:80", "\tpersistent=60\n\tnetmask=0.0.0.0\n")).persistence.prefix_len == 0);
    CHECK_THAT(error_of("virtual=10.0.0.1:80\n\tpersistent=0\n"), Contains("test.cf:2: invalid persistent \"0\""));
    CHECK_THAT(error_of("virtual=10.0.0.1:80\n\tpersistent=2678401\n"), Contains("test.cf:2: invalid persistent"));
    CHECK_THAT(error_of("virtual=10.0.0.1:80\n\tpersistent=ten\n"), Contains("test.cf:2: invalid persistent"));
    CHECK(error_of("virtual=10.0.0.1:80\n\tnetmask=24\n") ==
          "test.cf:2: invalid netmask: dotted quad notation is required");
    CHECK(error_of("virtual=10.0.0.1:80\n\tnetmask=255.0.255.0\n") ==
          "test.cf:2: invalid netmask 255.0.255.0: the mask bits must be contiguous (e.g. 255.255.255.0)");
    CHECK(error_of("virtual=10.0.0.1:80\n\tnetmask=255.255.256.0\n") ==
          "test.cf:2: invalid netmask: dotted quad notation is required");
    Config unused = one_virtual("virtual=10.0.0.1:80", "\tnetmask=255.255.255.0\n");
    REQUIRE(unused.warnings.size() == 1);
    CHECK_THAT(unused.warnings[0], Contains("test.cf:3: warning: netmask has no effect without persistent="));
}

TEST_CASE("port 0 virtuals need persistence, as IPVS requires") {
    CHECK(error_of("virtual=10.0.0.1:0\n") ==
          "test.cf:1: port 0 (every port) is only allowed for a persistent service: add persistent=");
    CHECK(only(parse("virtual=10.0.0.1:0\n\tpersistent=60\n")).key.port == 0);
}

TEST_CASE("ops is UDP-only one-packet scheduling, elsewhere it is ignored with a warning") {
    CHECK(only(one_virtual("virtual=10.0.0.1:53", "\tops=yes\n")).ops);
    Config tcp = one_virtual("virtual=10.0.0.1:80", "\tops=yes\n");
    REQUIRE(tcp.warnings.size() == 1);
    CHECK_THAT(tcp.warnings[0], Contains("ops=yes only applies to UDP"));
    CHECK(error_of("virtual=10.0.0.1:53\n\tops=1\n") == "test.cf:2: ops must be 'yes' or 'no'");
}

TEST_CASE("invalid per-virtual values are each rejected with their line") {
    auto err = [](const std::string& line) { return error_of("virtual=10.0.0.1:80\n\t" + line + "\n"); };
    CHECK(err("request=\"\"") == "test.cf:2: request is empty");
    CHECK(err("request=/index.html") == "test.cf:2: request must be in double quotes: request=\"...\"");
    CHECK(err("receive=\"\"") == "test.cf:2: receive is empty");
    CHECK(err("login=user") == "test.cf:2: login must be in double quotes: login=\"...\"");
    CHECK(err("passwd=\"\"") == "test.cf:2: passwd is empty");
    CHECK(err("database=db") == "test.cf:2: database must be in double quotes: database=\"...\"");
    CHECK(err("secret=s") == "test.cf:2: secret must be in double quotes: secret=\"...\"");
    CHECK(err("checkport=0") == "test.cf:2: checkport must be in range 1..65535");
    CHECK(err("checkport=65536") == "test.cf:2: checkport must be in range 1..65535");
    CHECK(err("scheduler=WRR") == "test.cf:2: invalid scheduler \"WRR\", should be only lowercase letters (a-z)");
    CHECK_THAT(err("schedflags=sh-port,bogus"), Contains("test.cf:2: invalid sched-flag \"bogus\""));
    CHECK(err("protocol=sctp") == "test.cf:2: protocol must be tcp or udp if the virtual service is an address and port");
    CHECK(err("protocol=fwm") == "test.cf:2: protocol must be tcp or udp if the virtual service is an address and port");
    CHECK(err("httpmethod=POST") == "test.cf:2: httpmethod must be GET or HEAD");
    CHECK(err("quiescent=sometimes") == "test.cf:2: quiescent must be 'yes' or 'no'");
    CHECK(err("cleanstop=0") == "test.cf:2: cleanstop must be 'yes' or 'no'");
    CHECK(err("checktimeout=0") == "test.cf:2: invalid checktimeout \"0\": a whole number 1..4294967295 is required");
    CHECK(err("connecttimeout=3") == "test.cf:2: connecttimeout directive deprecated in favour of negotiatetimeout");
    CHECK(err("autoreload=yes") == "test.cf:2: \"autoreload\" is a global directive and cannot appear inside a virtual section");
    CHECK(err("interface=eth0") == "test.cf:2: \"interface\" is a global directive and cannot appear inside a virtual section");
    CHECK(err("bogus=1") == "test.cf:2: unknown directive \"bogus\"");
    CHECK(err("checkcommand=") == "test.cf:2: checkcommand needs a value");
    CHECK(err("monitorfile=\"\"") == "test.cf:2: monitorfile needs a value");
}

TEST_CASE("an unknown scheduler name is accepted with a warning (the kernel decides)") {
    Config c = one_virtual("virtual=10.0.0.1:80", "\tscheduler=newsched\n");
    CHECK(only(c).scheduler == "newsched");
    REQUIRE(c.warnings.size() == 1);
    CHECK_THAT(c.warnings[0], Contains("scheduler \"newsched\" is not one IPVS ships"));
    for (const char* s : {"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos"})
        CHECK(one_virtual("virtual=10.0.0.1:80", std::string("\tscheduler=") + s + "\n").warnings.empty());
}

TEST_CASE("the same virtual twice is an error at the second one") {
    CHECK(error_of("virtual=10.0.0.1:80\n\treal=10.0.0.2 gate\nvirtual=10.0.0.1:http\n\treal=10.0.0.3 gate\n") ==
          "test.cf:3: duplicate virtual server TCP  10.0.0.1:80 (first at line 1)");
    CHECK(error_of("virtual=7\n\tmatch=tcp 10.0.0.1\nvirtual=7\n\tmatch=tcp 10.0.0.2\n") ==
          "test.cf:3: duplicate virtual server FWM  7 (first at line 1)");
    // Different protocol, family or mark: distinct services.
    CHECK(parse("virtual=10.0.0.1:80\nvirtual=10.0.0.1:80\n\tprotocol=udp\n").virtuals.size() == 2);
    CHECK(parse("virtual=7\n\tmatch=tcp 10.0.0.1\nvirtual6=7\n\tmatch=tcp [::1]\n").virtuals.size() == 2);
}

TEST_CASE("virtual= needs an address and port or a mark") {
    CHECK(error_of("virtual=10.0.0.1\n") ==
          "test.cf:1: invalid address for virtual server \"10.0.0.1\": expected ADDRESS:PORT (or a firewall mark)");
    CHECK(error_of("virtual=\n") == "test.cf:1: virtual needs ADDRESS:PORT or a firewall mark");
    CHECK_THAT(error_of("virtual=10.0.0.1:80 junk\n"), Contains("test.cf:1:"));
    CHECK_THAT(error_of("virtual=10.0.0.256:80\n"), Contains("test.cf:1: virtual server: invalid address \"10.0.0.256\""));
    CHECK_THAT(error_of("virtual=10.0.0.1:65536\n"), Contains("test.cf:1: virtual server: port 65536 out of range"));
    CHECK_THAT(error_of("virtual=10.0.0.1:no-such-service-xvs\n"),
               Contains("test.cf:1: virtual server: unknown service name \"no-such-service-xvs\" for tcp"));
}

TEST_CASE("check_port follows ld_checkport: checkport, else the real's port, else the service's") {
    Config c = parse("virtual=10.0.0.1:80\n\treal=10.0.0.2:8080 masq\n\treal=10.0.0.3 gate\n"
                     "virtual=10.0.0.1:81\n\treal=10.0.0.2:8080 masq\n\tcheckport=9000\n"
                     "virtual=10.0.0.1:82\n\treal=10.0.0.2 masq\n\tservice=simpletcp\n");
    const auto& web = c.virtuals[0];
    CHECK(check_port(web, web.reals[0]) == uint16_t{8080});
    CHECK(check_port(web, web.reals[1]) == uint16_t{80});  // port omitted: http's port
    CHECK(check_port(c.virtuals[1], c.virtuals[1].reals[0]) == uint16_t{9000});
    CHECK_FALSE(check_port(c.virtuals[2], c.virtuals[2].reals[0]));  // simpletcp has no port
}

TEST_CASE("check_request and check_receive prefer the real's own pair") {
    Config c = parse("virtual=10.0.0.1:80\n\treal=10.0.0.2 gate 1 \"/own\", \"mine\"\n\treal=10.0.0.3 gate\n"
                     "\trequest=\"/shared\"\n\treceive=\"ours\"\n");
    const auto& v = c.virtuals[0];
    CHECK(check_request(v, v.reals[0]) == "/own");
    CHECK(check_receive(v, v.reals[0]) == "mine");
    CHECK(check_request(v, v.reals[1]) == "/shared");
    CHECK(check_receive(v, v.reals[1]) == "ours");
}

TEST_CASE("configs compare equal when parsed from the same text, and differ on any setting") {
    const std::string text = "quiescent=yes\nvirtual=10.0.0.1:80\n\treal=10.0.0.2 gate 2\n\tchecktimeout=3\n";
    CHECK(parse(text) == parse(text));
    Config changed = parse("quiescent=yes\nvirtual=10.0.0.1:80\n\treal=10.0.0.2 gate 2\n\tchecktimeout=4\n");
    CHECK_FALSE(parse(text) == changed);
    CHECK(parse(text).virtuals[0].reals == changed.virtuals[0].reals);
    CHECK_FALSE(parse(text).virtuals[0].check == changed.virtuals[0].check);
}

TEST_CASE("a file may hold at most 65536 virtual services, and one error says so") {
    std::string text;
    for (int mark = 1; mark <= 65536; ++mark) text += "virtual=" + std::to_string(mark) + "\n";
    CHECK(parse(text).virtuals.size() == 65536);
    // Two more sections: one error at the first, their lines are not judged.
    text += "virtual=65537\n\tscheduler=rr\nvirtual=65538\n\tnonsense=1\n";
    CHECK(error_of(text) == "test.cf:65537: more than 65536 virtual services in one file; split the configuration");
}

TEST_CASE("pe=sip gives a persistent UDP virtual the sip persistence engine") {
    Config c = one_virtual("virtual=10.0.0.1:5060", "\tprotocol=udp\n\tpersistent=60\n\tpe=sip\n");
    const VirtualConfig& v = only(c);
    CHECK(v.persistence.engine == "sip");
    CHECK(v.persistence.timeout == 60);
    CHECK(c.warnings.empty());
    CHECK(only(one_virtual("virtual=10.0.0.1:5060", "\tprotocol=udp\n")).persistence.engine.empty());
}

TEST_CASE("pe= is refused with another engine or without persistent=, and warned of on TCP") {
    CHECK(error_of("virtual=10.0.0.1:5060\n\tprotocol=udp\n\tpersistent=60\n\tpe=rtsp\n") ==
          "test.cf:4: invalid pe \"rtsp\", the only persistence engine is sip");
    CHECK(error_of("virtual=10.0.0.1:5060\n\tprotocol=udp\n\tpe=sip\n") ==
          "test.cf:3: pe=sip needs persistent= (the engine keys persistence templates)");
    Config tcp = one_virtual("virtual=10.0.0.1:5060", "\tpersistent=60\n\tpe=sip\n");
    REQUIRE(tcp.warnings.size() == 1);
    CHECK_THAT(tcp.warnings[0], Contains("test.cf:4: warning: pe=sip reads the Call-ID of UDP datagrams only"));
}
