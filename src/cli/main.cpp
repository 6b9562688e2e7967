// xvsadm: ipvsadm's command line and output, against the running xvsd.
#include <iostream>

#include "cli/arguments.h"
#include "cli/commands.h"
#include "control/paths.h"

int main(int argc, char** argv) {
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
