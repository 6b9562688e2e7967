// Carries out one parsed xvsadm command against the daemon: builds the
// request, calls xvsd over the control socket, formats the reply.
//
// Exit codes: 0 success; 1 when the daemon cannot be reached, answers with an
// error, or the command is not available yet (the editing commands: xvsd is
// configured by its file and reloaded with SIGHUP). Usage errors are the
// parser's (2, or 255 for popt's unknown option / missing argument).
#pragma once

#include <ostream>
#include <string>

#include "cli/arguments.h"

namespace xvs::cli {

int run_command(const Arguments& args, std::ostream& out, std::ostream& err,
                const std::string& run_root);

}  // namespace xvs::cli
