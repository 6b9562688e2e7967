#include "cli/commands.h"

#include "cli/listing.h"
#include "control/client.h"
#include "control/paths.h"

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

}  // namespace

int run_command(const Arguments& args, std::ostream& out, std::ostream& err,
                const std::string& run_root) {
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

    Request request;
    switch (args.command) {
        case Command::list:
        case Command::save:
            if (args.options & (opt_timeout | opt_daemon)) {
                err << "xvsadm: --timeout and --daemon are IPVS settings xvsd does not have\n";
                return 1;
            }
            request.verb = (args.options & opt_connection) ? Verb::list_connections : Verb::status;
            break;
        case Command::zero:
            request.verb = Verb::zero;
            request.service = args.service;
            break;
        default:
            err << "xvsadm: " << command_name(args.command)
                << " is not available yet: edit the configuration file and reload xvsd "
                   "(kill -HUP its pid)\n";
            return 1;
    }

    std::string socket = control::socket_path(args.instance, run_root);
    Reply reply;
    try {
        reply = control::call_daemon(socket, request);
    } catch (const control::DaemonUnreachable& e) {
        err << "xvsadm: " << e.what() << "\nIs xvsd running (instance '" << args.instance
            << "')?\n";
        return 1;
    } catch (const std::exception& e) {
        err << "xvsadm: talking to xvsd at " << socket << ": " << e.what() << "\n";
        return 1;
    }
    if (!reply.ok) {
        err << reply.error << "\n";
        return 1;
    }

    if (args.command == Command::zero) return 0;
    if (args.command == Command::save) {
        out << format_rules(reply.services, args.format.sort);
        return 0;
    }
    if (args.options & opt_connection) {
        out << format_connections(reply.connections, args.options & opt_persistent_conn);
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
    return 0;
}

}  // namespace xvs::cli
