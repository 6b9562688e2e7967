#include <catch2/catch.hpp>

#include "cli/arguments.h"
#include "model/schedulers.h"

using namespace xvs;
using namespace xvs::cli;

namespace {

Arguments parse(std::vector<std::string> args) { return parse_arguments(args); }

// The message and exit code of a refused command line.
std::pair<std::string, int> refusal(std::vector<std::string> args) {
    try {
        parse_arguments(args);
    } catch (const UsageError& e) {
        return {e.what(), e.exit_code};
    }
    return {"(accepted)", 0};
}

}  // namespace

TEST_CASE("combined and separate short options mean the same", "[arguments]") {
    for (auto args : std::vector<std::vector<std::string>>{
             {"-Ln"}, {"-L", "-n"}, {"-nL"}, {"--list", "--numeric"}, {"-l", "-n"}}) {
        Arguments a = parse(args);
        CHECK(a.command == Command::list);
        CHECK(a.options == opt_numeric);
    }
}

TEST_CASE("listing options select ipvsadm's formats", "[arguments]") {
    CHECK(parse({"-Ln", "--stats"}).format.columns == ListingColumns::stats);
    CHECK(parse({"-Ln", "--rate"}).format.columns == ListingColumns::rate);
    CHECK(parse({"-Ln", "--thresholds"}).format.columns == ListingColumns::thresholds);
    CHECK(parse({"-Ln", "--persistent-conn"}).format.columns == ListingColumns::persistent_conn);
    Arguments a = parse({"-L", "-n", "--stats", "--exact", "--nosort"});
    CHECK(a.format.exact);
    CHECK_FALSE(a.format.sort);
    CHECK(parse({"-Lnc"}).options == (opt_numeric | opt_connection));
}

TEST_CASE("service addresses parse attached, separate, long and with =", "[arguments]") {
    for (auto args : std::vector<std::vector<std::string>>{
             {"-L", "-t", "192.168.0.105:80"},
             {"-Lt192.168.0.105:80"},
             {"-L", "--tcp-service", "192.168.0.105:80"},
             {"-L", "--tcp-service=192.168.0.105:80"},
             {"-L", "-t", "192.168.0.105:http"}}) {
        Arguments a = parse(args);
        REQUIRE(a.service);
        CHECK(a.service->to_string() == "TCP  192.168.0.105:80");
    }
    CHECK(parse({"-L", "-u", "[2001:db8::1]:53"}).service->to_string() == "UDP  [2001:db8::1]:53");
    CHECK(parse({"-L", "-f", "100"}).service->to_string() == "FWM  100");
    CHECK(parse({"-L", "-f", "100", "-6"}).service->to_string() == "FWM  100 IPv6");
}

TEST_CASE("the editing commands parse their options", "[arguments]") {
    Arguments a = parse({"-A", "-f", "100", "-s", "wrr", "-p"});
    CHECK(a.command == Command::add_service);
    CHECK(a.persistence_timeout == 360u);
    a = parse({"-A", "-t", "10.0.0.1:80", "-p", "360", "-M", "255.255.255.0", "-s", "sh", "-b",
               "sh-port"});
    CHECK(a.persistence_timeout == 360u);
    CHECK(a.netmask_prefix == 24u);
    CHECK(a.scheduler_flags == std::vector<std::string>{"sh-port"});
    a = parse({"-a", "-f", "100", "-r", "192.168.239.129", "-m", "-w", "2"});
    CHECK(a.command == Command::add_server);
    CHECK(a.real->to_string() == "192.168.239.129:0");
    CHECK(a.method == ForwardMethod::masq);
    CHECK(a.weight == 2);
    CHECK(parse({"-Z"}).command == Command::zero);
    CHECK(parse({"-Sn"}).command == Command::save);
    CHECK(parse({"--instance", "ns1", "-Ln"}).instance == "ns1");
}

TEST_CASE("xvsadm --status is xvs's own command and takes no ipvsadm option", "[arguments]") {
    Arguments a = parse({"--status", "--instance", "ns1"});
    CHECK(a.command == Command::dataplane_status);
    CHECK(a.instance == "ns1");
    CHECK_THROWS_WITH(parse({"--status", "-n"}),
                      "Illegal 'numeric' option with the 'status' command");
    CHECK_THROWS_WITH(parse({"--status", "-L"}), "multiple commands specified");
    CHECK_THROWS_AS(parse({"--status=x"}), UsageError);
}

TEST_CASE("no arguments at all lists the table, as ipvsadm does", "[arguments]") {
    CHECK(parse({}).command == Command::list);
}

TEST_CASE("bad command lines get ipvsadm's messages and exit codes", "[arguments]") {
    using R = std::pair<std::string, int>;
    CHECK(refusal({"--bogus"}) == R{"--bogus: unknown option", 255});
    CHECK(refusal({"-Lq"}) == R{"-Lq: unknown option", 255});
    CHECK(refusal({"-L", "-t"}) == R{"-t: missing argument", 255});
    CHECK(refusal({"-L", "-A"}) == R{"multiple commands specified", 2});
    CHECK(refusal({"-L", "-n", "-n"}) == R{"multiple 'numeric' options specified", 2});
    CHECK(refusal({"-L", "-r", "10.0.0.1"}) ==
          R{"Illegal 'real-server' option with the 'list' command", 2});
    CHECK(refusal({"-a", "-t", "10.0.0.1:80"}) ==
          R{"You need to supply the 'real-server' option for the 'add-server' command", 2});
    CHECK(refusal({"-Lc", "-t", "10.0.0.1:80"}) ==
          R{"The option 'service-address' conflicts with the 'connection' option in the 'list' "
            "command",
            2});
    CHECK(refusal({"-Lc", "--stats"}) == R{"options conflicts in the list command", 2});
    CHECK(refusal({"-L", "-t", "10.0.0.999:80"}) ==
          R{"illegal virtual server address[:port] specified", 2});
    CHECK(refusal({"-a", "-t", "10.0.0.1:80", "-r", "nohost"}) ==
          R{"illegal real server address[:port] specified", 2});
    CHECK(refusal({"-a", "-t", "10.0.0.1:80", "-r", "10.0.0.2", "-w", "70000"}) ==
          R{"illegal weight specified", 2});
    CHECK(refusal({"-L", "-f", "0"}) == R{"invalid fwmark value `0' specified", 2});
    CHECK(refusal({"-L", "-6"}) == R{"-6 used before -f", 2});
    CHECK(refusal({"-A", "-t", "10.0.0.1"}) ==
          R{"Zero port specified for non-persistent service", 2});
    CHECK(refusal({"-A", "-t", "10.0.0.1:80", "-o"}) ==
          R{"One-Packet Scheduling is only for UDP virtual services", 2});
    CHECK(refusal({"-A", "-t", "10.0.0.1:80", "-b", "bogus"}) ==
          R{"invalid scheduler flag `bogus'", 2});
    CHECK(refusal({"-L", "stray"}) == R{"unexpected argument stray", 2});
    CHECK(refusal({"-n"}).second == 2);
}

TEST_CASE("xvsadm -b accepts exactly the scheduler flags the config and the XDP plane know", "[arguments]") {
    using R = std::pair<std::string, int>;
    std::string every;
    for (const auto& f : known_scheduler_flags) {
        std::string name(f.name);
        INFO(name);
        CHECK(parse({"-A", "-t", "10.0.0.1:80", "-s", "sh", "-b", name}).scheduler_flags ==
              std::vector<std::string>{name});
        every += (every.empty() ? "" : ",") + name;
    }
    CHECK(parse({"-A", "-t", "10.0.0.1:80", "-b", every}).scheduler_flags.size() ==
          std::size(known_scheduler_flags));
    CHECK(refusal({"-A", "-t", "10.0.0.1:80", "-b", "sh-port,flag-4"}) ==
          R{"invalid scheduler flag `flag-4'", 2});
}

TEST_CASE("xvsadm -M takes a prefix length up to 128 or a contiguous dotted mask", "[arguments]") {
    using R = std::pair<std::string, int>;
    auto prefix = [](const std::string& mask) {
        return parse({"-A", "-t", "10.0.0.1:80", "-p", "-M", mask}).netmask_prefix;
    };
    CHECK(prefix("24") == 24u);
    CHECK(prefix("0") == 0u);
    CHECK(prefix("128") == 128u);
    CHECK(prefix("255.255.0.0") == 16u);
    CHECK(prefix("0.0.0.0") == 0u);
    CHECK(prefix("255.255.255.255") == 32u);
    for (const char* bad : {"129", "255.0.255.0", "ffff::", "24x", ""}) {
        INFO(bad);
        CHECK(refusal({"-A", "-t", "10.0.0.1:80", "-p", "-M", bad}) ==
              R{"illegal virtual server persistent mask specified", 2});
    }
}

TEST_CASE("ipvsadm --set takes ipvsadm's three timeout values, 0 to keep one, and refuses what ipvsadm refuses", "[arguments]") {
    Arguments a = parse({"--set", "100", "0", "30"});
    CHECK(a.command == Command::set_timeout);
    REQUIRE(a.timeouts);
    CHECK(*a.timeouts == ConnectionTimeouts{100, 0, 30});
    CHECK(parse({"900", "--set", "120", "300"}).timeouts == ConnectionTimeouts{900, 120, 300});  // popt's leftovers
    CHECK(refusal({"--set", "100", "50"}) == std::pair<std::string, int>{"--set option requires 3 timeout values", 2});
    CHECK(refusal({"--set", "1", "2", "x"}) == std::pair<std::string, int>{"invalid timeout value `x' specified", 2});
    CHECK(refusal({"--set", "1", "2", "2678401"}) ==
          std::pair<std::string, int>{"invalid timeout value `2678401' specified", 2});
    CHECK(refusal({"--set", "1", "2", "3", "4"}) == std::pair<std::string, int>{"unexpected argument 4", 2});
    CHECK(refusal({"-Ln", "5"}) == std::pair<std::string, int>{"unexpected argument 5", 2});
}

TEST_CASE("host names for -t, -u and -r resolve to IPv4 as ipvsadm's host_to_addr does", "[arguments]") {
    // localhost comes from /etc/hosts: no resolver needed.
    Arguments a = parse({"-a", "-t", "localhost:80", "-r", "localhost:8080", "-m"});
    REQUIRE(a.service);
    CHECK(a.service->address == *IpAddress::parse("127.0.0.1"));
    CHECK(a.service->port == 80);
    REQUIRE(a.real);
    CHECK(a.real->address == *IpAddress::parse("127.0.0.1"));
    CHECK(a.real->port == 8080);
    CHECK(parse({"-A", "-u", "localhost:domain"}).service->port == 53);
    CHECK(refusal({"-A", "-t", "no-such-host.invalid:80"}) ==
          std::pair<std::string, int>{"illegal virtual server address[:port] specified", 2});
    CHECK(refusal({"-a", "-t", "10.0.0.1:80", "-r", "no-such-host.invalid"}) ==
          std::pair<std::string, int>{"illegal real server address[:port] specified", 2});
    // Inside brackets only a numeric IPv6 address.
    CHECK(refusal({"-A", "-t", "[localhost]:80"}) ==
          std::pair<std::string, int>{"illegal virtual server address[:port] specified", 2});
}

TEST_CASE("xvsadm --pe names the persistence engine of a persistent service", "[arguments]") {
    Arguments a = parse({"-A", "-u", "10.0.0.1:5060", "-s", "rr", "-p", "60", "--pe", "sip"});
    CHECK(a.command == Command::add_service);
    CHECK(a.persistence_engine == "sip");
    CHECK(a.options & opt_pe);
    CHECK(parse({"-E", "-u", "10.0.0.1:5060", "-p", "--pe=sip"}).persistence_engine == "sip");
    // Any name reaches xvsd, which answers as IPVS does for one it lacks.
    CHECK(parse({"-A", "-u", "10.0.0.1:5060", "-p", "--pe", "rtsp"}).persistence_engine == "rtsp");
}

TEST_CASE("xvsadm --pe without -p, twice, or with a command that takes none is refused", "[arguments]") {
    using R = std::pair<std::string, int>;
    CHECK(refusal({"-A", "-u", "10.0.0.1:5060", "--pe", "sip"}) ==
          R{"--pe sip: a persistence engine needs a persistent service, add -p [timeout]", 2});
    CHECK(refusal({"-A", "-u", "10.0.0.1:5060", "-p", "--pe", "sip", "--pe", "sip"}) ==
          R{"multiple 'pe' options specified", 2});
    CHECK(refusal({"-a", "-u", "10.0.0.1:5060", "-r", "10.0.1.1", "--pe", "sip"}) ==
          R{"Illegal 'pe' option with the 'add-server' command", 2});
    CHECK(refusal({"-A", "-u", "10.0.0.1:5060", "-p", "--pe"}) == R{"--pe: missing argument", 255});
}

TEST_CASE("tunnel options parse as ipvsadm 1.31's", "[arguments]") {
    Arguments a = parse({"-a", "-t", "10.0.0.1:80", "-r", "10.1.0.2", "-i", "--tun-type", "gue",
                         "--tun-port", "6080", "--tun-csum"});
    CHECK(a.tunnel == Tunnel{TunnelType::gue, 6080, TunnelChecksum::csum});
    a = parse({"-e", "-t", "10.0.0.1:80", "-r", "10.1.0.2", "-i", "--tun-type=gue", "--tun-port=1",
               "--tun-remcsum"});
    CHECK(a.tunnel == Tunnel{TunnelType::gue, 1, TunnelChecksum::remcsum});
    a = parse({"-a", "-t", "10.0.0.1:80", "-r", "10.1.0.2", "-i", "--tun-type", "gre", "--tun-nocsum"});
    CHECK(a.tunnel == Tunnel{TunnelType::gre, 0, TunnelChecksum::none});
    a = parse({"-a", "-t", "10.0.0.1:80", "-r", "10.1.0.2", "-i", "--tun-type", "ipip"});
    CHECK(a.tunnel == Tunnel{});
    CHECK(parse({"-Ln", "--tun-info"}).format.columns == ListingColumns::tunnel_info);
    // ipvsadm's precedence: the older column sets first.
    CHECK(parse({"-Ln", "--tun-info", "--thresholds"}).format.columns == ListingColumns::thresholds);
}

TEST_CASE("tunnel options are refused with ipvsadm's messages", "[arguments]") {
    auto usage_error = [](const std::vector<std::string>& args) {
        auto [message, code] = refusal(args);
        CHECK(code == 2);
        return message;
    };
    const std::vector<std::string> real = {"-a", "-t", "10.0.0.1:80", "-r", "10.1.0.2"};
    auto with = [&](std::vector<std::string> extra) {
        std::vector<std::string> args = real;
        args.insert(args.end(), extra.begin(), extra.end());
        return args;
    };
    CHECK(usage_error(with({"-i", "--tun-type", "vxlan"})) == "illegal tunnel type specified");
    CHECK(usage_error(with({"-i", "--tun-type", "gue", "--tun-port", "0"})) == "illegal tunnel port specified");
    CHECK(usage_error(with({"-i", "--tun-type", "gue", "--tun-port", "65536"})) ==
          "illegal tunnel port specified");
    CHECK(usage_error(with({"-i", "--tun-type", "gue"})) ==
          "You need to supply the 'tun-port' option for the 'gue' tunnel type");
    CHECK(usage_error(with({"-i", "--tun-type", "gre", "--tun-remcsum"})) ==
          "Illegal 'tun-remcsum' option with the 'gre' tunnel type");
    CHECK(usage_error(with({"-i", "--tun-type", "gre", "--tun-port", "6080"})) ==
          "Illegal 'tun-port' option with the 'gre' tunnel type");
    CHECK(usage_error(with({"-i", "--tun-port", "6080"})) ==
          "Illegal 'tun-port' option with the 'ipip' tunnel type");
    CHECK(usage_error(with({"-i", "--tun-type", "gue", "--tun-port", "6080", "--tun-csum", "--tun-nocsum"})) ==
          "The option 'tun-csum' conflicts with the 'tun-nocsum' option in the 'gue' tunnel type");
    CHECK(usage_error(with({"-m", "--tun-type", "gre"})) == "Tunnel options conflict with forward method");
    CHECK(usage_error(with({"--tun-type", "gre"})) == "Tunnel options conflict with forward method");
    CHECK(usage_error({"-A", "-t", "10.0.0.1:80", "--tun-type", "gre"}) ==
          "Illegal 'tun-type' option with the 'add-service' command");
    CHECK(usage_error({"-Ln", "--tun-type", "gre"}) == "Illegal 'tun-type' option with the 'list' command");
    CHECK(usage_error({"-a", "-t", "10.0.0.1:80", "-r", "10.1.0.2", "--tun-info"}) ==
          "Illegal 'tun-info' option with the 'add-server' command");
    CHECK(usage_error(with({"-i", "--tun-type", "gre", "--tun-type", "gue"})) ==
          "multiple 'tun-type' options specified");
}
