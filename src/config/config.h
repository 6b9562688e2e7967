// Config: what the operator wrote in ldirectord.cf (plus the xvs directives),
// parsed, validated and resolved.
//
// Contract:
// - parse_config_file()/parse_config_text() read ldirectord.cf with
//   ldirectord's meaning and defaults (the Perl code of /usr/sbin/ldirectord is
//   the reference where it and its man page disagree).
// - Either a complete Config is returned or one ConfigError is thrown that
//   lists every problem of the file as "FILE:LINE: what is wrong". Nothing
//   partial is ever returned.
// - Every value is resolved: host and service names are looked up, per-virtual
//   settings are merged with the globals and ldirectord's defaults, so readers
//   (health checker, daemon, logger) never re-derive a default.
// - Non-fatal findings (deprecated directives, settings with no effect) are
//   returned in Config::warnings, formatted like errors.
// - Every struct compares with ==, so a reload can tell which virtuals' check
//   settings changed (line numbers are part of the value).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/ipvs_behaviour.h"
#include "model/model.h"

namespace xvs {

// How many errors (and, separately, warnings) of one file are reported: a
// file of millions of bad lines must not become millions of log lines.
inline constexpr size_t max_reported_errors = 100;

// Every problem found in one configuration file, or the first
// max_reported_errors of them.
class ConfigError : public std::runtime_error {
public:
    // `errors` are the first of `count` problems (0: all of them). When there
    // are more than max_reported_errors, errors() keeps the first ones and
    // ends with "SOURCE: ... and N more errors".
    explicit ConfigError(std::vector<std::string> errors, const std::string& source = "", size_t count = 0);
    const std::vector<std::string>& errors() const { return errors_; }
    size_t count() const { return count_; }  // every problem, reported or not

private:
    static std::pair<size_t, std::vector<std::string>> count_and_cap(std::vector<std::string> errors,
                                                                     const std::string& source, size_t count);
    explicit ConfigError(std::pair<size_t, std::vector<std::string>> counted);
    std::vector<std::string> errors_;
    size_t count_;
};

// `messages` cut to the first max_reported_errors of `count`, then
// "SOURCE: ... and N more KIND" (KIND: "errors", "warnings").
std::vector<std::string> cap_messages(std::vector<std::string> messages, const std::string& source,
                                      size_t count, const char* kind);

// checktype=: a number N is ldirectord's "combined" check (N connect checks,
// then one negotiate check).
enum class CheckType : uint8_t { negotiate, connect, external, external_perl, ping, on, off, combined };
const char* to_string(CheckType t);  // as written in the file; combined -> "combined"

// service=: the protocol a negotiate check speaks.
enum class CheckService : uint8_t {
    none, dns, ftp, http, https, http_proxy, imap, imaps, ldap, ldaps, mysql, nntp,
    oracle, pgsql, pop, pops, radius, simpletcp, sip, smtp, submission
};
const char* to_string(CheckService s);
std::optional<CheckService> check_service_from_string(std::string_view s);
// ldirectord's ld_port_to_service / ld_service_to_port tables.
CheckService check_service_for_port(uint16_t port);
std::optional<uint16_t> default_port(CheckService s);

// emailalertstatus= bits (ldirectord's $DAEMON_STATUS_*).
enum EmailAlertStatus : uint8_t {
    email_status_none = 0,
    email_status_starting = 1,
    email_status_running = 2,
    email_status_stopping = 4,
    email_status_reloading = 8,
    email_status_all = 15,
};

enum class DataplaneMode : uint8_t { automatic, xdp, ipvs };  // dataplane=auto|xdp|ipvs
enum class XdpMode : uint8_t { automatic, native, generic };   // xdp-mode=auto|native|generic
const char* to_string(DataplaneMode m);  // "auto", "xdp", "ipvs"
const char* to_string(XdpMode m);        // "auto", "native", "generic"

// fallback= / fallback6=: the sorry server used when every real is down.
struct FallbackConfig {
    IpAddress address;
    std::optional<uint16_t> port;  // global fallback without port: the virtual's port
    ForwardMethod method = ForwardMethod::gate;
    int line = 0;

    bool operator==(const FallbackConfig&) const = default;
};

// An ADDR:PORT endpoint (metrics=).
struct Endpoint {
    IpAddress address;
    uint16_t port = 0;
    std::string to_string() const { return address.with_port(port); }

    bool operator==(const Endpoint&) const = default;
};

// How the reals of one virtual service are checked, fully resolved against
// the globals and ldirectord's defaults.
struct HealthCheckConfig {
    CheckType type = CheckType::negotiate;
    uint32_t combined_connects = 0;           // checktype=N: N
    CheckService service = CheckService::none;
    std::optional<uint16_t> checkport;        // unset: the real's port, else the service's
    std::string request = "/";                // leading "/" added as ldirectord does
    std::string receive;                      // regex; empty = not checked
    std::string httpmethod = "GET";           // GET or HEAD
    std::optional<std::string> virtualhost;
    std::string login;                        // ftp: "anonymous", sip: "ldirectord@HOST"
    std::string passwd;                       // ftp: "ldirectord@HOST"
    std::string database;
    std::string secret;
    std::optional<std::string> load;          // load="..." (accepted, unused by ldirectord's checks)
    std::string checkcommand = "/bin/true";   // external / external-perl
    uint32_t checkinterval = 10;              // seconds between checks
    uint32_t checktimeout = 5;                // connect, ping, external checks
    uint32_t negotiatetimeout = 30;           // negotiate checks
    uint32_t connecttimeout = 5;              // = checktimeout (ldirectord rejects connecttimeout=)
    uint32_t checkcount = 1;                  // deprecated; ping retries
    uint32_t failurecount = 1;                // consecutive failures before "down"
    bool quiescent = false;                   // down real: weight 0 (yes) or removed (no)

    bool operator==(const HealthCheckConfig&) const = default;
};

// real= / real6=: one real server (a range a->b becomes one RealConfig each).
struct RealConfig {
    RealKey key;              // port as written (0 if omitted); see effective_real_key()
    ForwardMethod method = ForwardMethod::gate;
    uint32_t weight = 1;      // 0..65535
    uint32_t lower_threshold = 0;  // l:N (ipvsadm -y), 0 = none
    uint32_t upper_threshold = 0;  // u:N (ipvsadm -x), 0 = none
    Tunnel tunnel;                 // tun:TYPE[:PORT][:CSUM] (ipvsadm --tun-*), ipip reals only
    std::optional<std::string> request;  // per-real "request", "receive" pair
    std::optional<std::string> receive;
    int line = 0;

    bool operator==(const RealConfig&) const = default;
};

// match=PROTO ADDR[:PORT] in a firewall-mark virtual.
struct MatchConfig {
    MatchRule rule;
    int line = 0;

    bool operator==(const MatchConfig&) const = default;
};

struct VirtualConfig {
    ServiceKey key;
    int line = 0;                       // the virtual= line
    std::string written;                // the value after virtual= as written
    std::string scheduler = "wrr";
    std::vector<std::string> scheduler_flags;  // schedflags=a,b (ipvsadm -b)
    std::optional<uint32_t> persistent;        // seconds
    std::optional<std::string> netmask;        // as written
    Persistence persistence;                   // timeout from persistent, prefix from netmask
    bool ops = false;                          // ops=yes (one-packet scheduling, UDP only)
    std::vector<MatchConfig> matches;
    std::vector<RealConfig> reals;
    std::optional<FallbackConfig> fallback;    // virtual's own, else the global one; port resolved
    std::optional<std::string> fallbackcommand;
    HealthCheckConfig check;
    std::string emailalert;                    // "" = none
    uint32_t emailalertfreq = 0;
    uint8_t emailalertstatus = email_status_all;
    std::optional<std::string> smtp;
    bool cleanstop = true;
    std::optional<std::string> monitorfile;
    std::optional<std::string> servicename;
    std::optional<std::string> comment;

    bool operator==(const VirtualConfig&) const = default;
};

struct GlobalConfig {
    // ldirectord's globals with its code defaults. The timeouts keep "unset"
    // because virtuals resolve them against each other (see HealthCheckConfig).
    std::optional<uint32_t> checktimeout;
    std::optional<uint32_t> negotiatetimeout;
    uint32_t checkinterval = 10;
    uint32_t checkcount = 1;
    uint32_t failurecount = 1;
    bool autoreload = false;
    std::optional<std::string> callback;
    std::optional<FallbackConfig> fallback;   // IPv4 virtuals
    std::optional<FallbackConfig> fallback6;  // IPv6 virtuals
    std::optional<std::string> fallbackcommand;
    std::string logfile = "/var/log/ldirectord.log";  // no leading '/': a syslog facility
    std::string emailalert;
    uint32_t emailalertfreq = 0;
    std::optional<std::string> emailalertfrom;
    uint8_t emailalertstatus = email_status_all;
    std::optional<std::string> smtp;
    struct Execute {
        std::string file;
        int line = 0;
        bool operator==(const Execute&) const = default;
    };
    std::vector<Execute> execute;             // other configurations to start
    bool supervised = false;
    bool fork = false;
    bool quiescent = false;                   // the code's default (the man page says yes)
    bool readdquiescent = false;
    IpvsBehaviour ipvs_behaviour;  // expire_nodest_conn= ... conn_reuse_mode= (IPVS's sysctls)
    bool cleanstop = true;
    std::optional<std::string> maintenancedir;
    // xvs additions
    std::vector<std::string> interfaces;      // interface= (repeatable)
    DataplaneMode dataplane = DataplaneMode::automatic;
    XdpMode xdp_mode = XdpMode::automatic;
    std::optional<Endpoint> metrics;          // unset = off
    bool allow_empty = false;                 // allow-empty=yes: a reload may remove every service

    bool operator==(const GlobalConfig&) const = default;
};

struct Config {
    std::string source;                  // file name used in messages
    GlobalConfig globals;
    std::vector<VirtualConfig> virtuals; // in file order
    std::vector<std::string> warnings;   // "FILE:LINE: warning: ..."

    bool operator==(const Config&) const = default;
};

// Name lookups, injectable so tests and the fuzzer never touch DNS.
struct ParseOptions {
    // false: only numeric addresses and ports are accepted; a name is an error.
    bool resolve_names = true;
    // Overrides for the system resolvers (getaddrinfo / getservbyname); unset = system.
    std::function<std::optional<IpAddress>(const std::string& host, Family family)> resolve_host;
    std::function<std::optional<uint16_t>(const std::string& service, const char* protocol)>
        resolve_service;
};

Config parse_config_file(const std::string& path, const ParseOptions& options = {});
Config parse_config_text(std::string_view text, const std::string& name_for_errors,
                         const ParseOptions& options = {});

// The port ldirectord checks a real on (ld_checkport): checkport=, else the
// real's own port, else the service's well-known port; unset if none applies.
std::optional<uint16_t> check_port(const VirtualConfig& virt, const RealConfig& real);

// The request/receive a check of this real uses (per-real pair, else the virtual's).
const std::string& check_request(const VirtualConfig& virt, const RealConfig& real);
const std::string& check_receive(const VirtualConfig& virt, const RealConfig& real);

}  // namespace xvs
