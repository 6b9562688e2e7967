// xvsadm: ipvsadm's command line and output, against the running xvsd.
#include <csignal>
#include <iostream>

#include "cli/arguments.h"
#include "cli/commands.h"
#include "control/paths.h"

int main(int argc, char** argv) {
    // A daemon that closes the connection is an error to report, not a
    // silent death (exit 141) in the middle of a write.
    std::signal(SIGPIPE, SIG_IGN);
    std::vector<std::string> args(argv + 1, argv + argc);
    xvs::cli::Arguments parsed;
    try {
        parsed = xvs::cli::parse_arguments(args);
    } catch (const xvs::cli::UsageError& e) {
        std::cerr << e.what() << "\n";
        return e.exit_code;
    }
    return xvs::cli::run_command(parsed, std::cout, std::cerr, xvs::control::default_run_root);
}
