#include "cli/commands.h"

#include <sstream>

#include "cli/dataplane_status.h"
#include "cli/listing.h"
#include "control/client.h"
#include "control/paths.h"
#include "model/build.h"

namespace xvs::cli {
namespace {

using control::Reply;
using control::Request;
using control::Verb;

bool same_service(const ServiceKey& a, const ServiceKey& b) {
    if (a.protocol != b.protocol) return false;
    if (a.protocol == Protocol::fwmark) return a.fwmark == b.fwmark && a.family == b.family;
    return a.address == b.address && a.port == b.port;
}

const char* command_name(Command c) {
    switch (c) {
        case Command::add_service: return "-A";
        case Command::edit_service: return "-E";
        case Command::delete_service: return "-D";
        case Command::clear: return "-C";
        case Command::add_server: return "-a";
        case Command::edit_server: return "-e";
        case Command::delete_server: return "-d";
        case Command::restore: return "-R";
        case Command::set_timeout: return "--set";
        case Command::start_daemon: return "--start-daemon";
        case Command::stop_daemon: return "--stop-daemon";
        default: return "?";
    }
}

bool is_edit(Command c) {
    switch (c) {
        case Command::add_service:
        case Command::edit_service:
        case Command::delete_service:
        case Command::add_server:
        case Command::edit_server:
        case Command::delete_server:
        case Command::clear: return true;
        default: return false;
    }
}

// Sends `request`; on failure prints why and returns false with `exit_code`.
// Runs talk(socket) and turns its failures into xvsadm's messages; false
// (with exit_code set) when it failed.
template <typename Talk>
bool reach_daemon(const Arguments& args, const std::string& run_root, std::ostream& err, int& exit_code,
                  Talk talk) {
    std::string socket = control::socket_path(args.instance, run_root);
    try {
        talk(socket);
    } catch (const control::DaemonUnreachable& e) {
        err << "xvsadm: " << e.what() << "\nIs xvsd running (instance '" << args.instance
            << "')?\n";
        exit_code = 1;
        return false;
    } catch (const std::exception& e) {
        err << "xvsadm: talking to xvsd at " << socket << ": " << e.what() << "\n";
        exit_code = 1;
        return false;
    }
    return true;
}

bool call(const Arguments& args, const Request& request, const std::string& run_root,
          std::ostream& err, Reply& reply, int& exit_code) {
    return reach_daemon(args, run_root, err, exit_code,
                        [&](const std::string& socket) { reply = control::call_daemon(socket, request); });
}

// -Lnc: the table arrives in parts and is printed as it comes, so that a
// table of any size needs the memory of one part.
int list_connections(const Arguments& args, const Request& request, const std::string& run_root,
                     std::ostream& out, std::ostream& err) {
    const bool with_pe = args.options & opt_persistent_conn;
    bool titled = false;
    int exit_code = 0;
    std::string failure;
    bool reached = reach_daemon(args, run_root, err, exit_code, [&](const std::string& socket) {
        control::call_daemon(socket, request, [&](Reply& part) {
            if (!part.ok) {
                failure = part.error;
                return;
            }
            if (!titled) out << format_connection_title(with_pe);
            titled = true;
            out << format_connection_rows(part.connections, with_pe);
            out.flush();
        });
    });
    if (!reached) return exit_code;
    if (!failure.empty()) {
        err << failure << "\n";
        return 1;
    }
    return 0;
}

// ipvsadm's config_stream_read: words separated by blanks, '#' starts a comment.
std::vector<std::string> split_words(const std::string& line) {
    std::vector<std::string> words;
    std::istringstream in(line.substr(0, line.find('#')));
    for (std::string w; in >> w;) words.push_back(w);
    return words;
}

int restore(const Arguments& outer, std::ostream& out, std::ostream& err,
            const std::string& run_root, std::istream& in) {
    int result = 0;
    for (std::string line; std::getline(in, line);) {
        auto words = split_words(line);
        if (words.empty()) continue;
        Arguments args;
        try {
            args = parse_arguments(words);
        } catch (const UsageError& e) {
            err << e.what() << "\n";
            return e.exit_code;  // ipvsadm's fail() ends the whole restore
        }
        if (args.command == Command::restore) {
            err << "-R option in restore file\n";
            return 2;
        }
        if (args.instance == "default") args.instance = outer.instance;
        result = run_command(args, out, err, run_root, in);
    }
    return result;
}

}  // namespace

control::Request edit_request(const Arguments& args) {
    Request request;
    switch (args.command) {
        case Command::add_service: request.verb = Verb::add_service; break;
        case Command::edit_service: request.verb = Verb::edit_service; break;
        case Command::delete_service: request.verb = Verb::delete_service; break;
        case Command::add_server: request.verb = Verb::add_real; break;
        case Command::edit_server: request.verb = Verb::edit_real; break;
        case Command::delete_server: request.verb = Verb::delete_real; break;
        case Command::clear: request.verb = Verb::clear; return request;
        default: throw std::logic_error("edit_request: not an editing command");
    }
    if (!args.service) throw std::logic_error("edit_request: no service");
    const ServiceKey& service = *args.service;
    request.service = service;
    if (request.verb == Verb::add_service || request.verb == Verb::edit_service) {
        control::ServiceSettings s;
        s.scheduler = args.scheduler.empty() ? "wlc" : args.scheduler;  // ipvsadm's DEF_SCHED
        s.scheduler_flags = args.scheduler_flags;
        s.persistence.timeout = args.persistence_timeout.value_or(0);
        s.persistence.prefix_len =
            args.netmask_prefix.value_or(service.family == Family::v6 ? 128 : 32);
        s.persistence.engine = args.persistence_engine;
        s.one_packet = args.one_packet;
        request.settings = s;
    } else if (request.verb != Verb::delete_service) {
        if (!args.real) throw std::logic_error("edit_request: no real server");
        RealServer r;
        // -d names the real by address and port only: no method, so no port rule.
        ForwardMethod method = args.method.value_or(ForwardMethod::gate);
        r.method = method;
        r.key = effective_real_key(
            service, request.verb == Verb::delete_real ? ForwardMethod::masq : method, *args.real);
        r.weight = r.configured_weight = static_cast<uint32_t>(args.weight.value_or(1));
        r.upper_threshold = args.upper_threshold.value_or(0);
        r.lower_threshold = args.lower_threshold.value_or(0);
        if (method == ForwardMethod::ipip) r.tunnel = args.tunnel;
        request.real = r;
    }
    return request;
}

int run_command(const Arguments& args, std::ostream& out, std::ostream& err,
                const std::string& run_root, std::istream& in) {
    if (args.command == Command::help) {
        out << usage_text("xvsadm");
        return 0;
    }
    if (args.command == Command::version) {
        out << "xvsadm v0.1.0 (ipvsadm v1.31 command line and output)\n";
        return 0;
    }
    if (!control::is_valid_instance_name(args.instance)) {
        err << "xvsadm: invalid instance name '" << args.instance << "'\n";
        return 2;
    }
    if (args.command == Command::restore) return restore(args, out, err, run_root, in);

    Reply reply;
    int exit_code = 0;
    if (is_edit(args.command)) {
        if (!call(args, edit_request(args), run_root, err, reply, exit_code)) return exit_code;
        if (!reply.ok) {
            err << reply.error << "\n";
            return 255;
        }
        return 0;
    }

    Request request;
    switch (args.command) {
        case Command::dataplane_status: {
            request.verb = Verb::dataplane_status;
            if (!call(args, request, run_root, err, reply, exit_code)) return exit_code;
            if (!reply.ok) {
                err << reply.error << "\n";
                return 1;
            }
            out << format_dataplane_status(reply);
            auto missing = missing_interfaces(reply.interfaces);
            for (const auto& line : missing) err << "xvsadm: " << line << "\n";
            return missing.empty() ? 0 : exit_interface_missing;
        }
        case Command::list:
        case Command::save:
            if (args.options & opt_timeout) {
                // The values in force on the serving plane (xvsadm --set).
                request.verb = Verb::timeouts;
                if (!call(args, request, run_root, err, reply, exit_code)) return exit_code;
                if (!reply.ok || !reply.timeouts) {
                    err << (reply.ok ? "xvsd sent no timeouts" : reply.error) << "\n";
                    return 1;
                }
                out << "Timeout (tcp tcpfin udp): " << reply.timeouts->tcp << ' ' << reply.timeouts->tcp_fin << ' '
                    << reply.timeouts->udp << "\n";
                return 0;
            }
            // xvsd runs no connection-sync daemon; ipvsadm prints nothing then.
            if (args.options & opt_daemon) return 0;
            if (args.options & opt_connection) {
                request.verb = Verb::list_connections;
                return list_connections(args, request, run_root, out, err);
            }
            request.verb = Verb::status;
            break;
        case Command::zero:
            request.verb = Verb::zero;
            request.service = args.service;
            break;
        case Command::set_timeout:
            request.verb = Verb::set_timeouts;
            request.timeouts = args.timeouts;
            if (!call(args, request, run_root, err, reply, exit_code)) return exit_code;
            if (!reply.ok) {
                err << reply.error << "\n";
                return 255;  // ipvsadm's -1 when IPVS refuses
            }
            return 0;
        default:
            err << "xvsadm: " << command_name(args.command)
                << " is an IPVS setting xvsd does not have\n";
            return 1;
    }

    if (!call(args, request, run_root, err, reply, exit_code)) return exit_code;
    if (!reply.ok) {
        err << reply.error << "\n";
        // ipvsadm returns -1 when IPVS refuses to zero ("No such service").
        return args.command == Command::zero ? 255 : 1;
    }
    if (args.command == Command::zero) return 0;
    if (args.command == Command::save) {
        out << format_rules(reply.services, args.format.sort);
        return 0;
    }
    if (args.service) {
        for (const auto& s : reply.services)
            if (same_service(s.status.key, *args.service)) {
                out << format_one_service(s, args.format);
                return 0;
            }
        err << "No such service\n";
        return 1;
    }
    out << format_table(reply.services, args.format);
    // The listing keeps ipvsadm's format and exit code, but does not look
    // healthy when traffic through an interface= is not balanced.
    for (const auto& line : missing_interfaces(reply.interfaces))
        err << "xvsadm: warning: " << line << " (see xvsadm --status)\n";
    return 0;
}

}  // namespace xvs::cli
