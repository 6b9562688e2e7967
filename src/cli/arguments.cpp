#include "cli/arguments.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <climits>
#include <memory>
#include <string>

#include "model/netmask.h"
#include "model/schedulers.h"

namespace xvs::cli {
namespace {

// ipvsadm's names, indexed by option bit and by command, for its messages.
constexpr std::array<const char*, 30> option_names = {
    "numeric",   "connection", "service-address", "scheduler",       "persistent",
    "netmask",   "real-server", "forwarding-method", "weight",       "u-threshold",
    "l-threshold", "mcast-interface", "timeout",   "daemon",          "stats",
    "rate",      "thresholds", "persistent-conn", "nosort",          "syncid",
    "exact",     "ops",        "pe",              "sched-flags",
    // ipvsadm 1.31's tunnel options (its sync-daemon group/port/ttl/size
    // columns, which xvsadm does not take, sit before them in its table).
    "tun-info",  "tun-type",   "tun-port",        "tun-nocsum",      "tun-csum",
    "tun-remcsum",
};

struct CommandInfo {
    Command command;
    const char* name;
    // ipvsadm's commands_v_options row: 'x' illegal, '+' required,
    // ' ' optional, '1' at most one of the '1' options.
    const char* matrix;
};
//                         -n -c svc -s -p -M -r fwd -w -x -y mc tot dmn st rt thr pc srt sid ex ops pe b
//                         then tun-info tun-type tun-port tun-nocsum tun-csum tun-remcsum
constexpr CommandInfo commands[] = {
    {Command::add_service, "add-service", "xx+   xxxxxxxxxxxxxxx   ""xxxxxx"},
    {Command::edit_service, "edit-service", "xx+   xxxxxxxxxxxxxxx   ""xxxxxx"},
    {Command::delete_service, "delete-service", "xx+xxxxxxxxxxxxxxxxxxxxx""xxxxxx"},
    {Command::clear, "flush", "xxxxxxxxxxxxxxxxxxxxxxxx""xxxxxx"},
    {Command::list, "list", " 11xxxxxxxxx11     x xxx"" xxxxx"},
    {Command::add_server, "add-server", "xx+xxx+    xxxxxxxxxxxxx""x     "},
    {Command::delete_server, "delete-server", "xx+xxx+xxxxxxxxxxxxxxxxx""xxxxxx"},
    {Command::edit_server, "edit-server", "xx+xxx+    xxxxxxxxxxxxx""x     "},
    {Command::set_timeout, "set", "xxxxxxxxxxxxxxxxxxxxxxxx""xxxxxx"},
    {Command::start_daemon, "start-daemon", "xxxxxxxxxxx xxxxxxx xxxx""xxxxxx"},
    {Command::stop_daemon, "stop-daemon", "xxxxxxxxxxxxxxxxxxx xxxx""xxxxxx"},
    {Command::restore, "restore", "xxxxxxxxxxxxxxxxxxxxxxxx""xxxxxx"},
    {Command::save, "save", " xxxxxxxxxxxxxxxxxxxxxxx""xxxxxx"},
    {Command::zero, "zero", "xx xxxxxxxxxxxxxxxxxxxxx""xxxxxx"},
    {Command::dataplane_status, "status", "xxxxxxxxxxxxxxxxxxxxxxxx""xxxxxx"},
};

constexpr bool matrix_rows_complete() {
    for (const auto& c : commands)
        if (std::char_traits<char>::length(c.matrix) != option_names.size()) return false;
    return true;
}
static_assert(matrix_rows_complete(), "every command row names every option");

const CommandInfo* command_info(Command c) {
    for (const auto& info : commands)
        if (info.command == c) return &info;
    return nullptr;
}

enum class ArgKind { none, required, optional };

enum class Id {
    add_service, edit_service, delete_service, clear, list, add_server, edit_server,
    delete_server, zero, save, restore, set, start_daemon, stop_daemon, help, version,
    tcp, udp, sctp, fwmark, scheduler, persistent, netmask, real, masq, ipip, gate, weight,
    uthreshold, lthreshold, numeric, connection, mcast_interface, syncid, timeout, daemon,
    stats, rate, thresholds, persistent_conn, nosort, sort, exact, ipv6, ops, pe, sched_flags,
    instance, status, tun_info, tun_type, tun_port, tun_nocsum, tun_csum, tun_remcsum,
};

struct OptionSpec {
    const char* long_name;
    char short_name;  // 0: long only
    ArgKind arg;
    Id id;
};

constexpr OptionSpec specs[] = {
    {"add-service", 'A', ArgKind::none, Id::add_service},
    {"edit-service", 'E', ArgKind::none, Id::edit_service},
    {"delete-service", 'D', ArgKind::none, Id::delete_service},
    {"clear", 'C', ArgKind::none, Id::clear},
    {"list", 'L', ArgKind::none, Id::list},
    {nullptr, 'l', ArgKind::none, Id::list},
    {"add-server", 'a', ArgKind::none, Id::add_server},
    {"edit-server", 'e', ArgKind::none, Id::edit_server},
    {"delete-server", 'd', ArgKind::none, Id::delete_server},
    {"zero", 'Z', ArgKind::none, Id::zero},
    {"save", 'S', ArgKind::none, Id::save},
    {"restore", 'R', ArgKind::none, Id::restore},
    {"set", 0, ArgKind::none, Id::set},
    {"start-daemon", 0, ArgKind::required, Id::start_daemon},
    {"stop-daemon", 0, ArgKind::required, Id::stop_daemon},
    {"help", 'h', ArgKind::none, Id::help},
    {"version", 'v', ArgKind::none, Id::version},
    {"tcp-service", 't', ArgKind::required, Id::tcp},
    {"udp-service", 'u', ArgKind::required, Id::udp},
    {"sctp-service", 0, ArgKind::required, Id::sctp},
    {"fwmark-service", 'f', ArgKind::required, Id::fwmark},
    {"scheduler", 's', ArgKind::required, Id::scheduler},
    {"persistent", 'p', ArgKind::optional, Id::persistent},
    {"netmask", 'M', ArgKind::required, Id::netmask},
    {"real-server", 'r', ArgKind::required, Id::real},
    {"masquerading", 'm', ArgKind::none, Id::masq},
    {"ipip", 'i', ArgKind::none, Id::ipip},
    {"gatewaying", 'g', ArgKind::none, Id::gate},
    {"weight", 'w', ArgKind::required, Id::weight},
    {"u-threshold", 'x', ArgKind::required, Id::uthreshold},
    {"l-threshold", 'y', ArgKind::required, Id::lthreshold},
    {"numeric", 'n', ArgKind::none, Id::numeric},
    {"connection", 'c', ArgKind::none, Id::connection},
    {"mcast-interface", 0, ArgKind::required, Id::mcast_interface},
    {"syncid", 0, ArgKind::required, Id::syncid},
    {"timeout", 0, ArgKind::none, Id::timeout},
    {"daemon", 0, ArgKind::none, Id::daemon},
    {"stats", 0, ArgKind::none, Id::stats},
    {"rate", 0, ArgKind::none, Id::rate},
    {"thresholds", 0, ArgKind::none, Id::thresholds},
    {"persistent-conn", 0, ArgKind::none, Id::persistent_conn},
    {"nosort", 0, ArgKind::none, Id::nosort},
    {"sort", 0, ArgKind::none, Id::sort},
    {"exact", 0, ArgKind::none, Id::exact},
    {"ipv6", '6', ArgKind::none, Id::ipv6},
    {"ops", 'o', ArgKind::none, Id::ops},
    {"pe", 0, ArgKind::required, Id::pe},
    {"sched-flags", 'b', ArgKind::required, Id::sched_flags},
    {"instance", 0, ArgKind::required, Id::instance},
    {"status", 0, ArgKind::none, Id::status},
    {"tun-info", 0, ArgKind::none, Id::tun_info},
    {"tun-type", 0, ArgKind::required, Id::tun_type},
    {"tun-port", 0, ArgKind::required, Id::tun_port},
    {"tun-nocsum", 0, ArgKind::none, Id::tun_nocsum},
    {"tun-csum", 0, ArgKind::none, Id::tun_csum},
    {"tun-remcsum", 0, ArgKind::none, Id::tun_remcsum},
};

[[noreturn]] void fail(const std::string& message) { throw UsageError(message, 2); }

unsigned option_index(unsigned bit) {
    unsigned i = 0;
    while (bit > 1) {
        bit >>= 1;
        ++i;
    }
    return i;
}

std::optional<long long> to_number(const std::string& text, long long min, long long max) {
    long long value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < min ||
        value > max)
        return std::nullopt;
    return value;
}

// ipvsadm's host_to_addr(): a host name is looked up (resolver, /etc/hosts)
// for an IPv4 address, the first one; IPv6 only as a numeric address.
std::optional<IpAddress> resolve_v4_host(const std::string& name) {
    if (name.empty()) return std::nullopt;
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (::getaddrinfo(name.c_str(), nullptr, &hints, &found) != 0 || !found) return std::nullopt;
    std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owner(found, &::freeaddrinfo);
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(found->ai_addr);
    return IpAddress::v4(ntohl(v4->sin_addr.s_addr));
}

// "ADDR", "ADDR:PORT", "[V6]", "[V6]:PORT", bare "V6". Addresses numeric or
// (outside brackets) an IPv4 host name; ports numeric or a service name.
// Returns nullopt when malformed or unresolved.
std::optional<std::pair<IpAddress, uint16_t>> parse_address_port(const std::string& text,
                                                                 const char* proto) {
    std::string host = text, port;
    if (!text.empty() && text[0] == '[') {
        size_t close = text.find(']');
        if (close == std::string::npos) return std::nullopt;
        host = text.substr(1, close - 1);
        std::string rest = text.substr(close + 1);
        if (!rest.empty()) {
            if (rest[0] != ':' || rest.size() == 1) return std::nullopt;
            port = rest.substr(1);
        }
    } else if (std::count(text.begin(), text.end(), ':') == 1) {
        size_t colon = text.find(':');
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        if (port.empty()) return std::nullopt;
    }
    auto address = IpAddress::parse(host);
    if (!address && text[0] != '[' && host.find(':') == std::string::npos) address = resolve_v4_host(host);
    if (!address) return std::nullopt;
    uint16_t port_number = 0;
    if (!port.empty()) {
        if (auto n = to_number(port, 0, 65535)) {
            port_number = static_cast<uint16_t>(*n);
        } else if (servent* s = ::getservbyname(port.c_str(), proto)) {
            port_number = ntohs(static_cast<uint16_t>(s->s_port));
        } else {
            return std::nullopt;
        }
    }
    return std::make_pair(*address, port_number);
}

// -M: a prefix length up to 128 or a contiguous dotted IPv4 mask.
std::optional<uint32_t> netmask_prefix(const std::string& text) {
    auto parsed = parse_netmask(text);
    if (auto* mask = std::get_if<ParsedNetmask>(&parsed)) return mask->prefix_len;
    return std::nullopt;
}

class Parser {
   public:
    explicit Parser(const std::vector<std::string>& args) : args_(args) {}

    Arguments run() {
        if (args_.empty()) {
            // ipvsadm without arguments lists the table.
            out_.command = Command::list;
            return out_;
        }
        for (pos_ = 0; pos_ < args_.size(); ++pos_) {
            const std::string& word = args_[pos_];
            if (word.size() > 2 && word[0] == '-' && word[1] == '-') {
                long_option(word);
            } else if (word.size() > 1 && word[0] == '-') {
                short_cluster(word);
            } else {
                // popt's leftover arguments: --set's three values, else an error.
                positional_.push_back(word);
            }
        }
        take_positional();
        finish();
        return out_;
    }

   private:
    void long_option(const std::string& word) {
        std::string name = word.substr(2), value;
        bool has_value = false;
        if (size_t eq = name.find('='); eq != std::string::npos) {
            value = name.substr(eq + 1);
            name = name.substr(0, eq);
            has_value = true;
        }
        for (const auto& spec : specs) {
            if (!spec.long_name || name != spec.long_name) continue;
            if (spec.arg == ArgKind::none && has_value)
                throw UsageError(word + ": option does not take an argument", 255);
            if (spec.arg != ArgKind::none && !has_value) {
                if (next_is_value(spec.arg)) {
                    value = args_[++pos_];
                    has_value = true;
                } else if (spec.arg == ArgKind::required) {
                    throw UsageError(word + ": missing argument", 255);
                }
            }
            apply(spec.id, has_value ? std::optional(value) : std::nullopt);
            return;
        }
        throw UsageError(word + ": unknown option", 255);
    }

    void short_cluster(const std::string& word) {
        for (size_t k = 1; k < word.size(); ++k) {
            const OptionSpec* spec = nullptr;
            for (const auto& s : specs)
                if (s.short_name == word[k]) spec = &s;
            if (!spec) throw UsageError(word + ": unknown option", 255);
            if (spec->arg == ArgKind::none) {
                apply(spec->id, std::nullopt);
                continue;
            }
            // The rest of the word is the argument; otherwise the next word.
            if (k + 1 < word.size()) {
                apply(spec->id, word.substr(k + 1));
            } else if (next_is_value(spec->arg)) {
                apply(spec->id, args_[++pos_]);
            } else if (spec->arg == ArgKind::required) {
                throw UsageError(word + ": missing argument", 255);
            } else {
                apply(spec->id, std::nullopt);
            }
            return;
        }
    }

    // popt takes the next word as the value of a required argument always,
    // and of an optional one unless it looks like an option.
    bool next_is_value(ArgKind kind) const {
        if (pos_ + 1 >= args_.size()) return false;
        if (kind == ArgKind::required) return true;
        const std::string& next = args_[pos_ + 1];
        return next.empty() || next[0] != '-';
    }

    // ipvsadm: --set takes three leftover words (tcp tcpfin udp, each 0 to
    // 31 days, 0 = unchanged); any other leftover is an error.
    void take_positional() {
        size_t used = 0;
        if (out_.command == Command::set_timeout) {
            if (positional_.size() < 3) fail("--set option requires 3 timeout values");
            uint32_t values[3];
            for (size_t i = 0; i < 3; ++i) {
                auto v = to_number(positional_[i], 0, max_connection_timeout);
                if (!v) fail("invalid timeout value `" + positional_[i] + "' specified");
                values[i] = static_cast<uint32_t>(*v);
            }
            out_.timeouts = ConnectionTimeouts{values[0], values[1], values[2]};
            used = 3;
        }
        if (positional_.size() > used) fail("unexpected argument " + positional_[used]);
    }

    void set_command(Command c) {
        if (out_.command != Command::none) fail("multiple commands specified");
        out_.command = c;
    }

    void set_option(unsigned bit) {
        if (out_.options & bit)
            fail(std::string("multiple '") + option_names[option_index(bit)] +
                 "' options specified");
        out_.options |= bit;
    }

    void set_service(Protocol protocol, const std::string& text) {
        set_option(opt_service);
        auto parsed = parse_address_port(text, protocol == Protocol::udp ? "udp" : "tcp");
        if (!parsed) fail("illegal virtual server address[:port] specified");
        out_.service = ServiceKey::tcp_udp(protocol, parsed->first, parsed->second);
    }

    void apply(Id id, const std::optional<std::string>& value) {
        switch (id) {
            case Id::add_service: set_command(Command::add_service); break;
            case Id::edit_service: set_command(Command::edit_service); break;
            case Id::delete_service: set_command(Command::delete_service); break;
            case Id::clear: set_command(Command::clear); break;
            case Id::list: set_command(Command::list); break;
            case Id::add_server: set_command(Command::add_server); break;
            case Id::edit_server: set_command(Command::edit_server); break;
            case Id::delete_server: set_command(Command::delete_server); break;
            case Id::zero: set_command(Command::zero); break;
            case Id::save: set_command(Command::save); break;
            case Id::restore: set_command(Command::restore); break;
            case Id::set: set_command(Command::set_timeout); break;
            case Id::start_daemon: set_command(Command::start_daemon); break;
            case Id::stop_daemon: set_command(Command::stop_daemon); break;
            case Id::help: set_command(Command::help); break;
            case Id::version: set_command(Command::version); break;
            case Id::status: set_command(Command::dataplane_status); break;
            case Id::tcp: set_service(Protocol::tcp, *value); break;
            case Id::udp: set_service(Protocol::udp, *value); break;
            case Id::sctp: fail("illegal virtual server address[:port] specified");
            case Id::fwmark: {
                set_option(opt_service);
                auto mark = to_number(*value, 1, UINT32_MAX);
                if (!mark) fail("invalid fwmark value `" + *value + "' specified");
                out_.service = ServiceKey::mark(static_cast<uint32_t>(*mark), Family::v4);
                break;
            }
            case Id::ipv6:
                if (!out_.service || out_.service->protocol != Protocol::fwmark)
                    fail("-6 used before -f");
                out_.service = ServiceKey::mark(out_.service->fwmark, Family::v6);
                break;
            case Id::scheduler:
                set_option(opt_scheduler);
                out_.scheduler = *value;
                break;
            case Id::persistent: {
                set_option(opt_persistent);
                uint32_t timeout = 360;  // ipvsadm's IPVS_SVC_PERSISTENT_TIMEOUT (its man page says 300)
                if (value) {
                    auto t = to_number(*value, 1, INT_MAX);
                    if (!t) fail("invalid timeout value `" + *value + "' specified");
                    timeout = static_cast<uint32_t>(*t);
                }
                out_.persistence_timeout = timeout;
                break;
            }
            case Id::netmask: {
                set_option(opt_netmask);
                auto prefix = netmask_prefix(*value);
                if (!prefix) fail("illegal virtual server persistent mask specified");
                out_.netmask_prefix = *prefix;
                break;
            }
            case Id::real: {
                set_option(opt_server);
                auto parsed = parse_address_port(*value, "tcp");
                if (!parsed) fail("illegal real server address[:port] specified");
                out_.real = RealKey{parsed->first, parsed->second};
                break;
            }
            case Id::masq: set_method(ForwardMethod::masq); break;
            case Id::ipip: set_method(ForwardMethod::ipip); break;
            case Id::gate: set_method(ForwardMethod::gate); break;
            case Id::weight: {
                set_option(opt_weight);
                auto w = to_number(*value, 0, 65535);
                if (!w) fail("illegal weight specified");
                out_.weight = static_cast<int>(*w);
                break;
            }
            case Id::uthreshold: {
                set_option(opt_uthreshold);
                auto t = to_number(*value, 0, INT_MAX);
                if (!t) fail("illegal u_threshold specified");
                out_.upper_threshold = static_cast<uint32_t>(*t);
                break;
            }
            case Id::lthreshold: {
                set_option(opt_lthreshold);
                auto t = to_number(*value, 0, INT_MAX);
                if (!t) fail("illegal l_threshold specified");
                out_.lower_threshold = static_cast<uint32_t>(*t);
                break;
            }
            case Id::numeric: set_option(opt_numeric); break;
            case Id::connection: set_option(opt_connection); break;
            case Id::mcast_interface: set_option(opt_mcast_interface); break;
            case Id::syncid: set_option(opt_syncid); break;
            case Id::timeout: set_option(opt_timeout); break;
            case Id::daemon: set_option(opt_daemon); break;
            case Id::stats: set_option(opt_stats); break;
            case Id::rate: set_option(opt_rate); break;
            case Id::thresholds: set_option(opt_thresholds); break;
            case Id::persistent_conn: set_option(opt_persistent_conn); break;
            case Id::nosort: set_option(opt_nosort); break;
            case Id::sort: break;  // ipvsadm: "does nothing, for backwards compatibility"
            case Id::exact: set_option(opt_exact); break;
            case Id::ops:
                set_option(opt_ops);
                out_.one_packet = true;
                break;
            case Id::pe:
                set_option(opt_pe);
                out_.persistence_engine = *value;
                break;
            case Id::sched_flags: {
                set_option(opt_sched_flags);
                std::string list = *value;
                size_t start = 0;
                while (start <= list.size()) {
                    size_t comma = list.find(',', start);
                    if (comma == std::string::npos) comma = list.size();
                    std::string flag = list.substr(start, comma - start);
                    if (!find_scheduler_flag(flag)) fail("invalid scheduler flag `" + flag + "'");
                    out_.scheduler_flags.push_back(flag);
                    start = comma + 1;
                }
                break;
            }
            case Id::instance: out_.instance = *value; break;
            case Id::tun_info: set_option(opt_tun_info); break;
            case Id::tun_type: {
                set_option(opt_tun_type);
                auto type = tunnel_type_from_name(*value);
                if (!type) fail("illegal tunnel type specified");
                out_.tunnel.type = *type;
                break;
            }
            case Id::tun_port: {
                set_option(opt_tun_port);
                auto port = to_number(*value, 1, 65535);
                if (!port) fail("illegal tunnel port specified");
                out_.tunnel.port = static_cast<uint16_t>(*port);
                break;
            }
            case Id::tun_nocsum: set_option(opt_tun_nocsum); break;
            case Id::tun_csum:
                set_option(opt_tun_csum);
                out_.tunnel.checksum = TunnelChecksum::csum;
                break;
            case Id::tun_remcsum:
                set_option(opt_tun_remcsum);
                out_.tunnel.checksum = TunnelChecksum::remcsum;
                break;
        }
    }

    void set_method(ForwardMethod m) {
        set_option(opt_forward);
        out_.method = m;
    }

    void finish() {
        if (out_.command == Command::none)
            throw UsageError("Try `xvsadm -h' or 'xvsadm --help' for more information.", 2);
        if (out_.command == Command::help || out_.command == Command::version) return;
        check_against_command();
        if (out_.command == Command::list &&
            (out_.options & (opt_connection | opt_timeout | opt_daemon)) &&
            (out_.options & (opt_stats | opt_rate | opt_thresholds)))
            fail("options conflicts in the list command");
        if ((out_.command == Command::add_service || out_.command == Command::edit_service) &&
            out_.service && out_.service->protocol != Protocol::fwmark &&
            out_.service->port == 0 && !out_.persistence_timeout)
            fail("Zero port specified for non-persistent service");
        if (out_.one_packet && out_.service && out_.service->protocol != Protocol::udp)
            fail("One-Packet Scheduling is only for UDP virtual services");
        // ipvsadm passes any --pe to IPVS, which stores it on a service that
        // is not persistent and never uses it there; xvs refuses instead of
        // keeping a setting that does nothing. The name itself is judged
        // where IPVS judges it (xvsd: "Scheduler or persistence engine not
        // found").
        if ((out_.options & opt_pe) && !out_.persistence_timeout)
            fail("--pe " + out_.persistence_engine +
                 ": a persistence engine needs a persistent service, add -p [timeout]");
        if (out_.command == Command::add_server || out_.command == Command::edit_server) check_tunnel();

        ListingFormat& f = out_.format;
        // ipvsadm's precedence when several are given: stats, rate, thresholds, persistent-conn.
        if (out_.options & opt_stats)
            f.columns = ListingColumns::stats;
        else if (out_.options & opt_rate)
            f.columns = ListingColumns::rate;
        else if (out_.options & opt_thresholds)
            f.columns = ListingColumns::thresholds;
        else if (out_.options & opt_persistent_conn)
            f.columns = ListingColumns::persistent_conn;
        else if (out_.options & opt_tun_info)
            f.columns = ListingColumns::tunnel_info;
        f.exact = out_.options & opt_exact;
        f.sort = !(out_.options & opt_nosort);
    }

    // ipvsadm's checks of -a/-e after its option matrix: tunnel options only
    // with -i, then its table of tunnel types and options.
    void check_tunnel() const {
        const unsigned given = out_.options;
        if ((given & (opt_tun_type | opt_tun_port | opt_tun_nocsum | opt_tun_csum | opt_tun_remcsum)) &&
            out_.method.value_or(ForwardMethod::gate) != ForwardMethod::ipip)
            fail("Tunnel options conflict with forward method");
        TunnelOptionsGiven options{(given & opt_tun_port) != 0, (given & opt_tun_nocsum) != 0,
                                   (given & opt_tun_csum) != 0, (given & opt_tun_remcsum) != 0};
        if (auto problem = tunnel_options_problem(out_.tunnel.type, options)) fail(*problem);
    }

    void check_against_command() const {
        const CommandInfo* info = command_info(out_.command);
        int exclusive_seen = -1;
        for (unsigned j = 0; j < option_names.size(); ++j) {
            char rule = info->matrix[j];
            bool given = out_.options & (1u << j);
            if (!given) {
                if (rule == '+')
                    fail(std::string("You need to supply the '") + option_names[j] +
                         "' option for the '" + info->name + "' command");
                continue;
            }
            if (rule == 'x')
                fail(std::string("Illegal '") + option_names[j] + "' option with the '" +
                     info->name + "' command");
            if (rule == '1') {
                if (exclusive_seen < 0) {
                    exclusive_seen = static_cast<int>(j);
                    continue;
                }
                fail(std::string("The option '") + option_names[j] +
                     "' conflicts with the '" + option_names[exclusive_seen] + "' option in the '" +
                     info->name + "' command");
            }
        }
    }

    const std::vector<std::string>& args_;
    size_t pos_ = 0;
    std::vector<std::string> positional_;
    Arguments out_;
};

}  // namespace

Arguments parse_arguments(const std::vector<std::string>& args) { return Parser(args).run(); }

std::string usage_text(const std::string& p) {
    return "xvsadm: ipvsadm's command line for the XDP Virtual Server (xvsd)\n"
           "Usage:\n"
           "  " + p + " -A|E virtual-service [-s scheduler] [-p [timeout]] [-M netmask] [--pe persistence_engine] [-b sched-flags]\n"
           "  " + p + " -D virtual-service\n"
           "  " + p + " -C\n"
           "  " + p + " -R\n"
           "  " + p + " -S [-n]\n"
           "  " + p + " -a|e virtual-service -r server-address [options]\n"
           "  " + p + " -d virtual-service -r server-address\n"
           "  " + p + " -L|l [virtual-service] [options]\n"
           "  " + p + " -Z [virtual-service]\n"
           "  " + p + " -h\n"
           "  " + p + " --status                    xvs: interfaces and each service's data plane\n"
           "Options as ipvsadm's (-t|-u service-address, -f fwmark [-6], -n, -c, --stats, --rate,\n"
           "--thresholds, --persistent-conn, --tun-info, --exact, --nosort; -i with --tun-type\n"
           "ipip|gue|gre, --tun-port PORT, --tun-nocsum|--tun-csum|--tun-remcsum), plus:\n"
           "  --instance NAME                    the xvsd instance to talk to (default: default)\n"
           "--status exits 3 when an interface= lacks the XDP program.\n"
           "Addresses are always printed numerically; -n is accepted.\n";
}

}  // namespace xvs::cli
