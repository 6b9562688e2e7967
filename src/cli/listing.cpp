#include "cli/listing.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "model/netmask.h"

namespace xvs::cli {
namespace {

using control::ServiceReport;

__attribute__((format(printf, 2, 3))) void append(std::string& out, const char* fmt, ...) {
    va_list args;
    va_start(args, fmt);
    va_list copy;
    va_copy(copy, args);
    int n = std::vsnprintf(nullptr, 0, fmt, copy);
    va_end(copy);
    if (n > 0) {
        size_t old = out.size();
        out.resize(old + static_cast<size_t>(n) + 1);
        std::vsnprintf(out.data() + old, static_cast<size_t>(n) + 1, fmt, args);
        out.resize(old + static_cast<size_t>(n));
    }
    va_end(args);
}

// The 4 address words in host order, as ipvsadm's comparators read them.
void address_words(const IpAddress& a, uint32_t words[4]) {
    for (int i = 0; i < 4; ++i) {
        words[i] = 0;
        if (i > 0 && !a.is_v6()) continue;
        for (int b = 0; b < 4; ++b) words[i] = (words[i] << 8) | a.bytes[i * 4 + b];
    }
}

// ipvsadm computes differences of unsigned values and returns them as int;
// the conversion is modular in C++20, exactly what ipvsadm gets in C.
int as_int(uint32_t difference) { return static_cast<int>(difference); }

struct ServiceSortKey {
    uint32_t fwmark;
    int af;
    int protocol;
    uint32_t addr[4];
    uint16_t port;
    const ServiceReport* report;
};

int compare_services(const void* a, const void* b) {
    const auto* s1 = static_cast<const ServiceSortKey*>(a);
    const auto* s2 = static_cast<const ServiceSortKey*>(b);
    int r = as_int(s1->fwmark - s2->fwmark);
    if (r != 0) return r;
    r = s1->af - s2->af;
    if (r != 0) return r;
    r = s1->protocol - s2->protocol;
    if (r != 0) return r;
    if (s1->af == AF_INET6)
        for (int i = 0; !r && i < 4; i++) r = as_int(s1->addr[i] - s2->addr[i]);
    else
        r = as_int(s1->addr[0] - s2->addr[0]);
    if (r != 0) return r;
    return s1->port - s2->port;
}

struct RealSortKey {
    int af;
    uint32_t addr[4];
    uint16_t port;
    const RealStatus* real;
};

int compare_reals(const void* a, const void* b) {
    const auto* d1 = static_cast<const RealSortKey*>(a);
    const auto* d2 = static_cast<const RealSortKey*>(b);
    int r = 0;
    if (d1->af == AF_INET6)
        for (int i = 0; !r && i < 4; i++) r = as_int(d1->addr[i] - d2->addr[i]);
    else
        r = as_int(d1->addr[0] - d2->addr[0]);
    if (r != 0) return r;
    return d1->port - d2->port;
}

std::vector<const ServiceReport*> ordered_services(const std::vector<ServiceReport>& services,
                                                   bool sort) {
    std::vector<ServiceSortKey> keys;
    for (const auto& s : services) {
        ServiceSortKey k{};
        const ServiceKey& key = s.status.key;
        k.fwmark = key.protocol == Protocol::fwmark ? key.fwmark : 0;
        k.af = key.family == Family::v6 ? AF_INET6 : AF_INET;
        // IPVS reports no protocol for a fwmark service: ipvsadm sees 0.
        k.protocol = key.protocol == Protocol::tcp   ? IPPROTO_TCP
                     : key.protocol == Protocol::udp ? IPPROTO_UDP
                                                     : 0;
        if (key.protocol != Protocol::fwmark) {
            address_words(key.address, k.addr);
            k.port = key.port;
        }
        k.report = &s;
        keys.push_back(k);
    }
    if (sort && !keys.empty())
        std::qsort(keys.data(), keys.size(), sizeof(ServiceSortKey), compare_services);
    std::vector<const ServiceReport*> out;
    for (const auto& k : keys) out.push_back(k.report);
    return out;
}

std::vector<const RealStatus*> ordered_reals(const std::vector<RealStatus>& reals, bool sort) {
    std::vector<RealSortKey> keys;
    for (const auto& r : reals) {
        RealSortKey k{};
        k.af = r.key.address.is_v6() ? AF_INET6 : AF_INET;
        address_words(r.key.address, k.addr);
        k.port = r.key.port;
        k.real = &r;
        keys.push_back(k);
    }
    if (sort && !keys.empty())
        std::qsort(keys.data(), keys.size(), sizeof(RealSortKey), compare_reals);
    std::vector<const RealStatus*> out;
    for (const auto& k : keys) out.push_back(k.real);
    return out;
}

// "TCP  10.0.0.1:80" (IPv4: cut at 33 characters), "FWM  100", "FWM  100 IPv6".
std::string service_name(const ServiceKey& key) {
    if (key.protocol == Protocol::fwmark) {
        std::string name = "FWM  " + std::to_string(key.fwmark);
        if (key.family == Family::v6) name += " IPv6";
        return name;
    }
    std::string name = std::string(key.protocol == Protocol::tcp ? "TCP" : "UDP") + "  " +
                       key.address.with_port(key.port);
    if (key.family != Family::v6 && name.size() > 33) name.resize(33);
    return name;
}

// "10.0.0.2:80"; IPv4 cut at 28 characters (it never is that long).
std::string real_name(const RealKey& key) {
    std::string name = key.address.with_port(key.port);
    if (!key.address.is_v6() && name.size() > 28) name.resize(28);
    return name;
}

std::string join(const std::vector<std::string>& items, const char* sep) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : sep) + item;
    return out;
}

void append_title(std::string& out, ListingColumns columns) {
    switch (columns) {
        case ListingColumns::stats:
            append(out, "%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n",
                   "Prot LocalAddress:Port", "Conns", "InPkts", "OutPkts", "InBytes", "OutBytes");
            break;
        case ListingColumns::rate:
            append(out, "%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n",
                   "Prot LocalAddress:Port", "CPS", "InPPS", "OutPPS", "InBPS", "OutBPS");
            break;
        case ListingColumns::thresholds:
            append(out, "%-33s %-10s %-10s %-10s %-10s\n  -> RemoteAddress:Port\n",
                   "Prot LocalAddress:Port", "Uthreshold", "Lthreshold", "ActiveConn",
                   "InActConn");
            break;
        case ListingColumns::persistent_conn:
            append(out, "%-33s %-9s %-11s %-10s %-10s\n  -> RemoteAddress:Port\n",
                   "Prot LocalAddress:Port", "Weight", "PersistConn", "ActiveConn",
                   "InActConn");
            break;
        case ListingColumns::tunnel_info:
            out += "Prot LocalAddress:Port Scheduler Flags\n"
                   "  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n";
            break;
        case ListingColumns::standard:
            out += "Prot LocalAddress:Port Scheduler Flags\n"
                   "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n";
            break;
    }
}

void append_counters(std::string& out, const Counters& c, bool exact) {
    out += format_large_number(c.connections, exact);
    out += format_large_number(c.packets_in, exact);
    out += format_large_number(c.packets_out, exact);
    out += format_large_number(c.bytes_in, exact);
    out += format_large_number(c.bytes_out, exact);
}

void append_service(std::string& out, const ServiceReport& report, const ListingFormat& format) {
    const ServiceStatus& s = report.status;
    std::string name = service_name(s.key);
    switch (format.columns) {
        case ListingColumns::stats:
            append(out, "%-33s", name.c_str());
            append_counters(out, s.counters, format.exact);
            break;
        case ListingColumns::rate: {
            append(out, "%-33s", name.c_str());
            const control::Rates& r = report.rates;
            append_counters(out, {r.connections, r.packets_in, r.packets_out, r.bytes_in, r.bytes_out},
                            format.exact);
            break;
        }
        default:
            append(out, "%s %s", name.c_str(), s.scheduler.c_str());
            if (!s.scheduler_flags.empty()) out += " (" + join(s.scheduler_flags, ",") + ")";
            if (s.persistence.timeout > 0) {
                append(out, " persistent %u", s.persistence.timeout);
                if (s.key.family == Family::v4 && s.persistence.prefix_len < 32)
                    append(out, " mask %s", ipv4_netmask_text(s.persistence.prefix_len).c_str());
                if (s.key.family == Family::v6 && s.persistence.prefix_len < 128)
                    append(out, " mask %i", static_cast<int>(s.persistence.prefix_len));
                if (!s.persistence.engine.empty()) out += " pe " + s.persistence.engine;
                if (s.one_packet) out += " ops";
            }
            break;
    }
    out += "\n";

    for (const RealStatus* real : ordered_reals(s.reals, format.sort)) {
        const RealStatus& d = *real;
        std::string dname = real_name(d.key);
        switch (format.columns) {
            case ListingColumns::stats:
                append(out, "  -> %-28s", dname.c_str());
                append_counters(out, d.counters, format.exact);
                out += "\n";
                break;
            case ListingColumns::rate: {
                auto it = report.real_rates.find(d.key);
                control::Rates r = it == report.real_rates.end() ? control::Rates{} : it->second;
                append(out, "  -> %-28s %8llu %8llu %8llu", dname.c_str(),
                       static_cast<unsigned long long>(r.connections),
                       static_cast<unsigned long long>(r.packets_in),
                       static_cast<unsigned long long>(r.packets_out));
                out += format_large_number(r.bytes_in, format.exact);
                out += format_large_number(r.bytes_out, format.exact);
                out += "\n";
                break;
            }
            case ListingColumns::thresholds:
                append(out, "  -> %-28s %-10u %-10u %-10u %-10u\n", dname.c_str(),
                       d.upper_threshold, d.lower_threshold, d.active_connections,
                       d.inactive_connections);
                break;
            case ListingColumns::persistent_conn:
                append(out, "  -> %-28s %-9u %-11u %-10u %-10u\n", dname.c_str(), d.weight,
                       d.persistent_connections, d.active_connections, d.inactive_connections);
                break;
            case ListingColumns::tunnel_info: {
                // ipvsadm's fwd_tun_info(): "n/a" for reals that are not tunnels.
                std::string info = d.method == ForwardMethod::ipip ? ipvsadm_tunnel_info(d.tunnel) : "n/a";
                append(out, "  -> %-28s %-7s %-13s %-6d %-10u %-10u\n", dname.c_str(),
                       ipvsadm_name(d.method), info.c_str(), static_cast<int>(d.weight),
                       d.active_connections, d.inactive_connections);
                break;
            }
            case ListingColumns::standard:
                append(out, "  -> %-28s %-7s %-6d %-10u %-10u\n", dname.c_str(),
                       ipvsadm_name(d.method), static_cast<int>(d.weight), d.active_connections,
                       d.inactive_connections);
                break;
        }
    }
}

const char* connection_protocol(const ConnectionEntry& c) {
    switch (c.protocol) {
        case Protocol::tcp: return "TCP";
        case Protocol::udp: return "UDP";
        case Protocol::fwmark: return "IP";
    }
    return "IP";
}

}  // namespace

std::string format_large_number(uint64_t i, bool exact) {
    std::string out;
    auto v = static_cast<unsigned long long>(i);
    if (exact) {
        int len = std::snprintf(nullptr, 0, "%llu", v);
        append(out, "%*llu", len <= 8 ? 9 : len + 1, v);
    } else if (v < 100000000ULL) {
        append(out, "%9llu", v);
    } else if (v < 1000000000ULL) {
        append(out, "%8lluK", v / 1000);
    } else if (v < 100000000000ULL) {
        append(out, "%8lluM", v / 1000000);
    } else if (v < 100000000000000ULL) {
        append(out, "%8lluG", v / 1000000000ULL);
    } else {
        append(out, "%8lluT", v / 1000000000000ULL);
    }
    return out;
}

std::string format_table(const std::vector<ServiceReport>& services, const ListingFormat& format) {
    std::string out = "IP Virtual Server version 1.2.1 (size=4096)\n";
    append_title(out, format.columns);
    for (const ServiceReport* s : ordered_services(services, format.sort))
        append_service(out, *s, format);
    return out;
}

std::string format_one_service(const ServiceReport& service, const ListingFormat& format) {
    std::string out;
    append_title(out, format.columns);
    append_service(out, service, format);
    return out;
}

std::string format_connection_title(bool with_pe) {
    std::string out = "IPVS connection entries\n";
    if (with_pe)
        append(out, "pro expire %-11s %-18s %-18s %-18s %-16s %s\n", "state", "source", "virtual",
               "destination", "pe name", "pe_data");
    else
        append(out, "pro expire %-11s %-18s %-18s %s\n", "state", "source", "virtual",
               "destination");
    return out;
}

// "%-Ns": `text`, then blanks up to `width`. The connection table has a row
// per entry (a million on a busy director): appended directly, not through
// printf.
void append_left(std::string& out, std::string_view text, size_t width) {
    out += text;
    if (text.size() < width) out.append(width - text.size(), ' ');
}

std::string format_connection_rows(const std::vector<ConnectionEntry>& connections, bool with_pe) {
    std::string out;
    out.reserve(connections.size() * (with_pe ? 110 : 76));
    for (const auto& c : connections) {
        const unsigned minutes = c.expires_in_seconds / 60, seconds = c.expires_in_seconds % 60;
        std::string expire = (minutes < 10 ? "0" : "") + std::to_string(minutes) + (seconds < 10 ? ":0" : ":") +
                             std::to_string(seconds);
        append_left(out, connection_protocol(c), 3);
        out += ' ';
        append_left(out, expire, 6);
        out += ' ';
        append_left(out, c.state, 11);
        out += ' ';
        append_left(out, c.client.with_port(c.client_port), 18);
        out += ' ';
        append_left(out, c.virtual_address.with_port(c.virtual_port), 18);
        out += ' ';
        if (with_pe) {
            append_left(out, c.real.with_port(c.real_port), 18);
            out += ' ';
            append_left(out, "", 16);
            out += " \n";
        } else {
            out += c.real.with_port(c.real_port);
            out += '\n';
        }
    }
    return out;
}

std::string format_connections(const std::vector<ConnectionEntry>& connections, bool with_pe) {
    return format_connection_title(with_pe) + format_connection_rows(connections, with_pe);
}

std::string format_rules(const std::vector<ServiceReport>& services, bool sort) {
    std::string out;
    for (const ServiceReport* report : ordered_services(services, sort)) {
        const ServiceStatus& s = report->status;
        std::string svc;
        if (s.key.protocol == Protocol::fwmark)
            svc = "-f " + std::to_string(s.key.fwmark) + (s.key.family == Family::v6 ? " -6" : "");
        else
            svc = std::string(s.key.protocol == Protocol::tcp ? "-t" : "-u") + " " +
                  s.key.address.with_port(s.key.port);
        append(out, "-A %s -s %s", svc.c_str(), s.scheduler.c_str());
        if (!s.scheduler_flags.empty()) out += " -b " + join(s.scheduler_flags, ",");
        if (s.persistence.timeout > 0) {
            append(out, " -p %u", s.persistence.timeout);
            if (s.key.family == Family::v4 && s.persistence.prefix_len < 32)
                append(out, " -M %s", ipv4_netmask_text(s.persistence.prefix_len).c_str());
            if (s.key.family == Family::v6 && s.persistence.prefix_len < 128)
                append(out, " -M %i", static_cast<int>(s.persistence.prefix_len));
        }
        if (!s.persistence.engine.empty()) out += " --pe " + s.persistence.engine;
        if (s.one_packet) out += " -o";
        out += "\n";
        for (const RealStatus* d : ordered_reals(s.reals, sort)) {
            const char* method = d->method == ForwardMethod::masq   ? "-m"
                                 : d->method == ForwardMethod::ipip ? "-i"
                                                                    : "-g";
            append(out, "-a %s -r %s %s -w %d", svc.c_str(),
                   d->key.address.with_port(d->key.port).c_str(), method,
                   static_cast<int>(d->weight));
            // ipvsadm 1.31's print_tunnel_rule(): every tunnel real names its type.
            if (d->method == ForwardMethod::ipip) out += " " + ipvsadm_tunnel_options(d->tunnel);
            out += "\n";
        }
    }
    return out;
}

}  // namespace xvs::cli
