// xvs-bench: measures the data plane, the control plane and the health
// checker; prints a table, and optionally writes JSON and an SVG plot.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "results.h"
#include "suites.h"

namespace {

void write_file(const std::string& path, const std::string& text) {
    std::ofstream f(path);
    f << text;
    if (!f) throw std::runtime_error("cannot write " + path);
}

// SVG as is; PNG through rsvg-convert (package librsvg2-bin), from a
// temporary SVG next to the target.
void write_plot(const std::string& path, const std::string& svg) {
    const std::string png = ".png";
    if (path.size() < png.size() || path.compare(path.size() - png.size(), png.size(), png) != 0) {
        write_file(path, svg);
        return;
    }
    const std::string tmp = path + ".svg.tmp";
    write_file(tmp, svg);
    int rc = std::system(("rsvg-convert -f png -o '" + path + "' '" + tmp + "'").c_str());
    std::remove(tmp.c_str());
    if (rc != 0)
        throw std::runtime_error("rsvg-convert could not write " + path +
                                 " (install librsvg2-bin: tools/install-deps.sh)");
}

}  // namespace

int main(int argc, char** argv) {
    using namespace xvs::bench;
    CLI::App app{"xvs-bench: per-packet cost, packet rate, control-plane and health-check scale"};
    std::string json_path, plot_path, markdown_path;
    std::vector<std::string> suites;
    SuiteOptions options;
    app.add_option("--json", json_path, "write every figure as JSON to this file");
    app.add_option("--plot", plot_path,
                   "write the prog suite's plot to this file: SVG, or PNG when it ends in .png "
                   "(rendered with rsvg-convert)");
    app.add_option("--markdown", markdown_path, "write the table as Markdown to this file");
    app.add_flag("--smoke", options.smoke, "tiny loops: checks the harness runs, measures nothing");
    app.add_option("--cpu", options.cpu, "CPU to pin to (prog, flood and rate suites; the health checker thread)")->capture_default_str();
    app.add_option("suites", suites, "suites to run: prog rate control health flood conn (default: all)");
    CLI11_PARSE(app, argc, argv);
    const std::vector<std::pair<std::string, void (*)(const SuiteOptions&, std::vector<Figure>&)>>
        known = {{"prog", run_prog_suite},
                 {"control", run_control_suite},
                 {"flood", run_flood_suite},
                 {"conn", run_conn_suite},
                 {"rate", run_rate_suite},
                 {"health", run_health_suite}};
    if (suites.empty())
        for (const auto& [name, _] : known) suites.push_back(name);
    for (const auto& suite : suites) {
        if (std::none_of(known.begin(), known.end(), [&](const auto& k) { return k.first == suite; })) {
            std::cerr << "xvs-bench: unknown suite '" << suite << "' (prog, rate, control, health, flood, conn)\n";
            return 2;
        }
    }

    std::vector<Figure> figures;
    int failed = 0;
    for (const auto& suite : suites) {
        try {
            std::find_if(known.begin(), known.end(), [&](const auto& k) { return k.first == suite; })
                ->second(options, figures);
        } catch (const std::exception& e) {
            std::cerr << "xvs-bench: suite " << suite << " failed: " << e.what() << "\n";
            ++failed;
        }
    }
    Machine machine = describe_machine();
    std::cout << machine.cpu_model << ", " << machine.kernel << ", " << machine.date << "\n"
              << format_table(figures);
    try {
        if (!json_path.empty()) write_file(json_path, format_json(machine, figures));
        if (!markdown_path.empty())
            write_file(markdown_path, "Measured on " + machine.cpu_model + ", " + machine.kernel + ", " +
                                          std::to_string(machine.cpus) + " CPUs, " + machine.date + ".\n\n" +
                                          format_markdown(figures));
        if (!plot_path.empty()) write_plot(plot_path, format_svg_plot(machine, figures));
    } catch (const std::exception& e) {
        std::cerr << "xvs-bench: " << e.what() << "\n";
        return 1;
    }
    return failed ? 1 : 0;
}
