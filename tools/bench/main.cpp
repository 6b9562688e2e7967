// xvs-bench: measures the data plane, the control plane and the health
// checker; prints a table, and optionally writes JSON and an SVG plot.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <fstream>
#include <iostream>

#include "results.h"
#include "suites.h"

int main(int argc, char** argv) {
    using namespace xvs::bench;
    CLI::App app{"xvs-bench: per-packet cost, packet rate, control-plane and health-check scale"};
    std::string json_path, plot_path;
    std::vector<std::string> suites;
    SuiteOptions options;
    app.add_option("--json", json_path, "write every figure as JSON to this file");
    app.add_option("--plot", plot_path, "write an SVG plot of the prog suite to this file");
    app.add_flag("--smoke", options.smoke, "tiny loops: checks the harness runs, measures nothing");
    app.add_option("--cpu", options.cpu, "CPU to pin the prog suite to")->capture_default_str();
    app.add_option("suites", suites, "suites to run: prog rate control health flood (default: all)");
    CLI11_PARSE(app, argc, argv);
    const std::vector<std::pair<std::string, void (*)(const SuiteOptions&, std::vector<Figure>&)>>
        known = {{"prog", run_prog_suite},
                 {"control", run_control_suite},
                 {"flood", run_flood_suite},
                 {"rate", run_rate_suite},
                 {"health", run_health_suite}};
    if (suites.empty())
        for (const auto& [name, _] : known) suites.push_back(name);

    std::vector<Figure> figures;
    int failed = 0;
    for (const auto& suite : suites) {
        try {
            auto it = std::find_if(known.begin(), known.end(),
                                   [&](const auto& k) { return k.first == suite; });
            if (it == known.end()) {
                std::cerr << "xvs-bench: unknown suite '" << suite
                          << "' (prog, rate, control, health, flood)\n";
                return 2;
            }
            it->second(options, figures);
        } catch (const std::exception& e) {
            std::cerr << "xvs-bench: suite " << suite << " failed: " << e.what() << "\n";
            ++failed;
        }
    }
    Machine machine = describe_machine();
    std::cout << machine.cpu_model << ", " << machine.kernel << ", " << machine.date << "\n"
              << format_table(figures);
    auto write = [](const std::string& path, const std::string& text) {
        std::ofstream f(path);
        f << text;
        if (!f) throw std::runtime_error("cannot write " + path);
    };
    if (!json_path.empty()) write(json_path, format_json(machine, figures));
    if (!plot_path.empty()) write(plot_path, format_svg_plot(machine, figures));
    return failed ? 1 : 0;
}
