#include <CLI/CLI.hpp>
int main(int argc, char** argv) {
    CLI::App app{"xvsd: the XDP Virtual Server daemon"};
    CLI11_PARSE(app, argc, argv);
    return 0;
}
