#include <CLI/CLI.hpp>
#include "xvs_xdp.skel.h"
int main(int argc, char** argv) {
    CLI::App app{"xvs-bench"};
    CLI11_PARSE(app, argc, argv);
    return 0;
}
