// The figures a benchmark run produces, and where they go (table, JSON, plot).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace xvs::bench {

struct Figure {
    std::string suite;  // prog, rate, control, health, flood
    std::string name;   // e.g. "established_v4_dr"
    double value = 0;
    std::string unit;   // "ns/pkt", "pps", "ms", "MiB", "ratio", ...
    std::optional<double> net_of_floor;            // prog suite only
    std::optional<std::pair<double, double>> spread;  // 10th and 90th percentile
    std::string note;   // free text shown in the table
};

// A figure of `suite`; each suite wraps it with its own name.
inline Figure make_figure(std::string suite, std::string name, double value, std::string unit,
                          std::string note = {}) {
    Figure f;
    f.suite = std::move(suite);
    f.name = std::move(name);
    f.value = value;
    f.unit = std::move(unit);
    f.note = std::move(note);
    return f;
}

struct Machine {
    std::string cpu_model;
    std::string kernel;
    std::string date;  // ISO 8601, UTC
    unsigned cpus = 0;
};

Machine describe_machine();

// The human table (stdout).
std::string format_table(const std::vector<Figure>& figures);
// The same table as a Markdown table (for the README).
std::string format_markdown(const std::vector<Figure>& figures);
// {"machine": {...}, "results": [{...}, ...]}
std::string format_json(const Machine& machine, const std::vector<Figure>& figures);
// ns/packet per prog path as horizontal bars against the floor and the
// published anchor figures; an SVG document.
std::string format_svg_plot(const Machine& machine, const std::vector<Figure>& figures);

}  // namespace xvs::bench
