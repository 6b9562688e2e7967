#include "control/protocol.h"

#include "control/record_fields.h"

#include <charconv>
#include <limits>

namespace xvs::control {
namespace {

constexpr std::string_view magic = "xvs-control/";

struct VerbName {
    Verb verb;
    const char* name;
};
constexpr VerbName verb_names[] = {
    {Verb::status, "status"},           {Verb::list_connections, "list-connections"},
    {Verb::zero, "zero"},               {Verb::reload, "reload"},
    {Verb::add_service, "add-service"}, {Verb::edit_service, "edit-service"},
    {Verb::delete_service, "delete-service"}, {Verb::add_real, "add-real"},
    {Verb::edit_real, "edit-real"},     {Verb::delete_real, "delete-real"},
    {Verb::clear, "clear"},             {Verb::dataplane_status, "dataplane-status"},
    {Verb::set_timeouts, "set-timeouts"}, {Verb::timeouts, "timeouts"},
};

std::vector<std::string_view> split_lines(std::string_view payload) {
    if (payload.empty() || payload.back() != '\n')
        throw ProtocolError("control message does not end with a newline");
    std::vector<std::string_view> lines;
    size_t pos = 0;
    while (pos < payload.size()) {
        size_t nl = payload.find('\n', pos);
        lines.push_back(payload.substr(pos, nl - pos));
        pos = nl + 1;
    }
    return lines;
}

// "xvs-control/1 KIND ...": checks the version, returns the fields.
Fields header(std::string_view line) {
    Fields f(line, 1);
    std::string_view first = f[0];
    if (first.substr(0, magic.size()) != magic) f.fail("not an xvs control message");
    std::string_view version = first.substr(magic.size());
    if (version != std::to_string(protocol_version))
        f.fail("unsupported protocol version '" + std::string(version) + "' (this side speaks " +
               std::to_string(protocol_version) + ")");
    if (f.size() < 2) f.fail("missing message kind");
    return f;
}

// Counters and Rates are the same five numbers (connections, packets in and
// out, bytes in and out), five fields in that order on the wire.
template <typename FiveNumbers>
std::string five_number_fields(const FiveNumbers& n) {
    return std::to_string(n.connections) + " " + std::to_string(n.packets_in) + " " +
           std::to_string(n.packets_out) + " " + std::to_string(n.bytes_in) + " " +
           std::to_string(n.bytes_out);
}
template <typename FiveNumbers>
FiveNumbers parse_five_numbers(const Fields& f, size_t at) {
    return FiveNumbers{f.number(at), f.number(at + 1), f.number(at + 2), f.number(at + 3),
                       f.number(at + 4)};
}

// service PROTO FAMILY ADDR PORT FWMARK SCHED FLAGS TIMEOUT PREFIX OPS counters(5) rates(5) PE
constexpr size_t service_field_count = 22;
// real ADDR PORT METHOD WEIGHT LTHR UTHR ACTIVE INACTIVE PERSIST counters(5) rates(5)
constexpr size_t real_field_count = 20;
// conn PROTO CLIENT CPORT VADDR VPORT REAL RPORT STATE EXPIRES TEMPLATE
constexpr size_t conn_field_count = 11;
// interface NAME ATTACHED IFINDEX MODE PROBLEM REATTACHMENTS
constexpr size_t interface_field_count = 7;
// placement PROTO FAMILY ADDR PORT FWMARK PLANE
constexpr size_t placement_field_count = 7;

}  // namespace

const char* to_string(Verb v) {
    for (const auto& vn : verb_names)
        if (vn.verb == v) return vn.name;
    return "?";
}

std::optional<Verb> parse_verb(std::string_view text) {
    for (const auto& vn : verb_names)
        if (text == vn.name) return vn.verb;
    return std::nullopt;
}

Reply Reply::failure(std::string error) {
    Reply r;
    r.ok = false;
    r.error = std::move(error);
    return r;
}

std::string encode_request(const Request& request) {
    std::string out = std::string(magic) + std::to_string(protocol_version) + " request " +
                      to_string(request.verb) + "\n";
    if (request.service) out += "service " + service_key_fields(*request.service) + "\n";
    if (const auto& s = request.settings) out += "settings " + settings_fields(*s) + "\n";
    if (const auto& r = request.real) out += "dest " + dest_fields(*r) + "\n";
    if (const auto& t = request.timeouts) out += "timeouts " + timeouts_fields(*t) + "\n";
    return out;
}

Request decode_request(std::string_view payload) {
    auto lines = split_lines(payload);
    Fields head = header(lines[0]);
    head.expect_count(3);
    if (head[1] != "request") head.fail("expected a request");
    Request request;
    auto verb = parse_verb(head[2]);
    if (!verb) head.fail("unknown request '" + head.text(2) + "'");
    request.verb = *verb;
    for (size_t i = 1; i < lines.size(); ++i) {
        Fields f(lines[i], i + 1);
        if (f[0] == "service" && !request.service) {
            f.expect_count(1 + service_key_field_count);
            request.service = parse_service_key(f, 1);
        } else if (f[0] == "settings" && !request.settings) {
            f.expect_count(1 + settings_field_count);
            request.settings = parse_settings(f, 1);
        } else if (f[0] == "dest" && !request.real) {
            f.expect_count(1 + dest_field_count);
            request.real = parse_dest(f, 1);
        } else if (f[0] == "timeouts" && !request.timeouts) {
            f.expect_count(1 + timeouts_field_count);
            request.timeouts = parse_timeouts(f, 1);
        } else {
            f.fail("unexpected record '" + f.text(0) + "' in a request");
        }
    }
    return request;
}

std::string encode_reply(const Reply& reply) {
    std::string out = std::string(magic) + std::to_string(protocol_version);
    out += reply.ok ? " ok\n" : " error " + escape(reply.error) + "\n";
    if (!reply.dataplane.empty()) out += "dataplane " + escape(reply.dataplane) + "\n";
    if (!reply.message.empty()) out += "message " + escape(reply.message) + "\n";
    if (const auto& t = reply.timeouts) out += "timeouts " + timeouts_fields(*t) + "\n";
    for (const auto& i : reply.interfaces)
        out += "interface " + escape(i.name) + " " + (i.attached ? "1" : "0") + " " +
               std::to_string(i.ifindex) + " " + escape(i.mode) + " " + escape(i.problem) + " " +
               std::to_string(i.reattachments) + "\n";
    for (const auto& p : reply.placements)
        out += "placement " + service_key_fields(p.service) + " " + escape(p.plane) + "\n";
    for (const auto& report : reply.services) {
        const ServiceStatus& s = report.status;
        out += "service " + service_key_fields(s.key) + " " + escape(s.scheduler) + " " +
               escape(join_flags(s.scheduler_flags)) + " " +
               std::to_string(s.persistence.timeout) + " " +
               std::to_string(s.persistence.prefix_len) + " " + (s.one_packet ? "1" : "0") + " " +
               five_number_fields(s.counters) + " " + five_number_fields(report.rates) + " " +
               escape(s.persistence.engine) + "\n";
        for (const auto& r : s.reals) {
            auto found = report.real_rates.find(r.key);
            Rates rate = found == report.real_rates.end() ? Rates{} : found->second;
            out += "real " + r.key.address.to_string() + " " + std::to_string(r.key.port) + " " +
                   method_field(r.method, r.tunnel) + " " + std::to_string(r.weight) + " " +
                   std::to_string(r.lower_threshold) + " " + std::to_string(r.upper_threshold) +
                   " " + std::to_string(r.active_connections) + " " +
                   std::to_string(r.inactive_connections) + " " +
                   std::to_string(r.persistent_connections) + " " + five_number_fields(r.counters) +
                   " " + five_number_fields(rate) + "\n";
        }
    }
    for (const auto& c : reply.connections) {
        out += "conn " + std::string(to_string(c.protocol)) + " " + c.client.to_string() + " " +
               std::to_string(c.client_port) + " " + c.virtual_address.to_string() + " " +
               std::to_string(c.virtual_port) + " " + c.real.to_string() + " " +
               std::to_string(c.real_port) + " " + escape(c.state) + " " +
               std::to_string(c.expires_in_seconds) + " " + (c.is_template ? "1" : "0") + "\n";
    }
    if (reply.more) out += "more\n";
    out += "end\n";
    return out;
}

Reply decode_reply(std::string_view payload) {
    auto lines = split_lines(payload);
    Fields head = header(lines[0]);
    Reply reply;
    if (head[1] == "ok") {
        head.expect_count(2);
    } else if (head[1] == "error") {
        head.expect_count(3);
        reply.ok = false;
        reply.error = head.text(2);
    } else {
        head.fail("expected 'ok' or 'error'");
    }
    bool ended = false;
    for (size_t i = 1; i < lines.size(); ++i) {
        Fields f(lines[i], i + 1);
        if (ended) f.fail("data after 'end'");
        std::string_view kind = f[0];
        if (kind == "end") {
            f.expect_count(1);
            ended = true;
        } else if (kind == "more") {
            f.expect_count(1);
            reply.more = true;
        } else if (kind == "dataplane") {
            f.expect_count(2);
            reply.dataplane = f.text(1);
        } else if (kind == "message") {
            f.expect_count(2);
            reply.message = f.text(1);
        } else if (kind == "timeouts" && !reply.timeouts) {
            f.expect_count(1 + timeouts_field_count);
            reply.timeouts = parse_timeouts(f, 1);
        } else if (kind == "interface") {
            f.expect_count(interface_field_count);
            InterfaceState i;
            i.name = f.text(1);
            if (i.name.empty()) f.fail("empty interface name");
            i.attached = f.flag(2);
            i.ifindex = f.u32(3);
            i.mode = f.text(4);
            i.problem = f.text(5);
            i.reattachments = f.number(6);
            reply.interfaces.push_back(std::move(i));
        } else if (kind == "placement") {
            f.expect_count(placement_field_count);
            Placement p{parse_service_key(f, 1), f.text(6)};
            if (p.plane.empty()) f.fail("empty plane name");
            reply.placements.push_back(std::move(p));
        } else if (kind == "service") {
            f.expect_count(service_field_count);
            ServiceReport report;
            ServiceStatus& s = report.status;
            s.key = parse_service_key(f, 1);
            s.scheduler = f.text(6);
            s.scheduler_flags = split_flags(f.text(7));
            s.persistence.timeout = f.u32(8);
            s.persistence.prefix_len = static_cast<uint32_t>(f.number(9, 128));
            s.one_packet = f.flag(10);
            s.counters = parse_five_numbers<Counters>(f, 11);
            report.rates = parse_five_numbers<Rates>(f, 16);
            s.persistence.engine = f.text(21);
            reply.services.push_back(std::move(report));
        } else if (kind == "real") {
            if (reply.services.empty()) f.fail("'real' before any 'service'");
            f.expect_count(real_field_count);
            RealStatus r;
            r.key.address = f.address(1);
            r.key.port = f.u16(2);
            r.method = f.method(3);
            r.tunnel = f.tunnel(3);
            r.weight = f.u32(4);
            r.lower_threshold = f.u32(5);
            r.upper_threshold = f.u32(6);
            r.active_connections = f.u32(7);
            r.inactive_connections = f.u32(8);
            r.persistent_connections = f.u32(9);
            r.counters = parse_five_numbers<Counters>(f, 10);
            Rates rates = parse_five_numbers<Rates>(f, 15);
            auto& report = reply.services.back();
            if (rates != Rates{}) report.real_rates[r.key] = rates;
            report.status.reals.push_back(r);
        } else if (kind == "conn") {
            f.expect_count(conn_field_count);
            ConnectionEntry c;
            c.protocol = f.protocol(1, true);
            c.client = f.address(2);
            c.client_port = f.u16(3);
            c.virtual_address = f.address(4);
            c.virtual_port = f.u16(5);
            c.real = f.address(6);
            c.real_port = f.u16(7);
            c.state = f.text(8);
            c.expires_in_seconds = f.u32(9);
            c.is_template = f.flag(10);
            reply.connections.push_back(std::move(c));
        } else {
            f.fail("unknown record '" + f.text(0) + "'");
        }
    }
    if (!ended) throw ProtocolError("control message is truncated (no 'end')");
    return reply;
}

}  // namespace xvs::control
