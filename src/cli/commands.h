// Carries out one parsed xvsadm command against the daemon: builds the
// request, calls xvsd over the control socket, formats the reply.
//
// The editing commands (-A/-E/-D/-a/-e/-d/-C) send what ipvsadm would send to
// IPVS, with ipvsadm's defaults filled in here: scheduler wlc, persistence
// 360 s (-p without a value, in the parser), netmask /32 or /128, weight 1,
// forwarding -g, and its real-port rule (-g/-i use the service's port; a
// missing port is the service's). xvsd keeps them on top of its file until the
// next reload (daemon/imperative.h). -R reads `-S` lines from `in` and runs
// each as its own command, going on after a refused one as ipvsadm does; a
// line ipvsadm could not parse ends the restore with the parser's exit code.
//
// Exit codes: 0 success; 1 when the daemon cannot be reached or a listing
// fails; 255 when the daemon refuses an edit or -Z (ipvsadm returns -1 when
// IPVS refuses: "Service already exists", "No such destination", "No such
// service", ...), with ipvsadm's text on `err`; -R: the last line's. Usage errors are the
// parser's (2, or 255 for popt's unknown option / missing argument).
#pragma once

#include <iostream>
#include <istream>
#include <ostream>
#include <string>

#include "cli/arguments.h"
#include "control/protocol.h"

namespace xvs::cli {

int run_command(const Arguments& args, std::ostream& out, std::ostream& err,
                const std::string& run_root, std::istream& in = std::cin);

// The request an editing command sends (verb, service, settings, real), with
// ipvsadm's defaults; `args.command` must be one of -A/-E/-D/-a/-e/-d/-C.
control::Request edit_request(const Arguments& args);

}  // namespace xvs::cli
