#include <cstdio>
#include <map>
#include <sstream>

#include "results.h"

namespace xvs::bench {
namespace {

std::string json_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += c;
                }
        }
    }
    return out;
}

std::string number(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

std::string fixed(double v, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

}  // namespace

std::string format_table(const std::vector<Figure>& figures) {
    std::ostringstream out;
    char line[256];
    std::snprintf(line, sizeof line, "%-8s %-32s %14s %-8s %12s %21s  %s\n", "suite", "name", "value",
                  "unit", "net/floor", "p10..p90", "note");
    out << line;
    for (const auto& f : figures) {
        std::string net = f.net_of_floor ? fixed(*f.net_of_floor, 1) : "";
        std::string spread =
            f.spread ? fixed(f.spread->first, 1) + ".." + fixed(f.spread->second, 1) : "";
        std::snprintf(line, sizeof line, "%-8s %-32s %14s %-8s %12s %21s  %s\n", f.suite.c_str(),
                      f.name.c_str(), fixed(f.value, f.value < 100 ? 2 : 1).c_str(), f.unit.c_str(),
                      net.c_str(), spread.c_str(), f.note.c_str());
        out << line;
    }
    return out.str();
}

std::string format_json(const Machine& m, const std::vector<Figure>& figures) {
    std::ostringstream out;
    out << "{\n  \"machine\": {\"cpu\": \"" << json_escape(m.cpu_model) << "\", \"kernel\": \""
        << json_escape(m.kernel) << "\", \"cpus\": " << m.cpus << ", \"date\": \"" << m.date
        << "\"},\n  \"results\": [";
    for (size_t i = 0; i < figures.size(); ++i) {
        const auto& f = figures[i];
        out << (i ? ",\n    " : "\n    ") << "{\"suite\": \"" << json_escape(f.suite)
            << "\", \"name\": \"" << json_escape(f.name) << "\", \"value\": " << number(f.value)
            << ", \"unit\": \"" << json_escape(f.unit) << "\"";
        if (f.net_of_floor) out << ", \"net_of_floor\": " << number(*f.net_of_floor);
        if (f.spread)
            out << ", \"spread\": [" << number(f.spread->first) << ", " << number(f.spread->second)
                << "]";
        if (!f.note.empty()) out << ", \"note\": \"" << json_escape(f.note) << "\"";
        out << "}";
    }
    out << "\n  ]\n}\n";
    return out.str();
}

std::string format_svg_plot(const Machine& m, const std::vector<Figure>& figures) {
    // Published per-packet costs of Katran's XDP program, net of the same
    // floor, measured the same way (BPF_PROG_TEST_RUN, one packet per call).
    const std::map<std::string, double> anchor_prefix = {
        {"established", 141.0}, {"new", 340.0}, {"pass", 50.0}};

    std::vector<const Figure*> bars;
    double max_value = 1;
    for (const auto& f : figures) {
        // The paths only; the part_* cost breakdown is in the table and JSON.
        if (f.suite != "prog" || f.unit != "ns/pkt" || f.name.rfind("part_", 0) == 0) continue;
        bars.push_back(&f);
        if (f.value > max_value) max_value = f.value;
    }
    for (const auto& [_, v] : anchor_prefix) max_value = std::max(max_value, v);
    double floor_value = 0;
    for (const auto* f : bars)
        if (f->name.rfind("floor", 0) == 0) floor_value = f->value;
    max_value = std::max(max_value, floor_value + 480.0);

    const int left = 230, width = 560, bar_h = 18, gap = 8, top = 60;
    const int height = top + static_cast<int>(bars.size()) * (bar_h + gap) + 60;
    auto x_of = [&](double v) { return left + v / max_value * width; };

    std::ostringstream svg;
    svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << left + width + 60
        << "\" height=\"" << height << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
        << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        << "<text x=\"10\" y=\"20\" font-size=\"15\">xvs XDP program: ns per packet "
           "(BPF_PROG_TEST_RUN, median)</text>\n"
        << "<text x=\"10\" y=\"38\" fill=\"#555\">" << json_escape(m.cpu_model) << ", "
        << json_escape(m.kernel) << ", " << m.date
        << ". Grey: floor (parse + XDP_TX). Red ticks: Katran anchor (floor + published net cost).</text>\n";
    int y = top;
    for (const auto* f : bars) {
        svg << "<text x=\"" << left - 6 << "\" y=\"" << y + 13 << "\" text-anchor=\"end\">"
            << json_escape(f->name) << "</text>\n";
        double floor_part = std::min(floor_value, f->value);
        svg << "<rect x=\"" << left << "\" y=\"" << y << "\" width=\"" << x_of(floor_part) - left
            << "\" height=\"" << bar_h << "\" fill=\"#bbb\"/>\n";
        svg << "<rect x=\"" << x_of(floor_part) << "\" y=\"" << y << "\" width=\""
            << x_of(f->value) - x_of(floor_part) << "\" height=\"" << bar_h
            << "\" fill=\"#3a7bd5\"/>\n";
        svg << "<text x=\"" << x_of(f->value) + 4 << "\" y=\"" << y + 13 << "\">"
            << fixed(f->value, 1) << "</text>\n";
        for (const auto& [prefix, net] : anchor_prefix) {
            if (f->name.rfind(prefix, 0) != 0) continue;
            double ax = x_of(floor_value + net);
            svg << "<line x1=\"" << ax << "\" x2=\"" << ax << "\" y1=\"" << y - 2 << "\" y2=\""
                << y + bar_h + 2 << "\" stroke=\"#d33\" stroke-width=\"2\"/>\n";
        }
        y += bar_h + gap;
    }
    svg << "<line x1=\"" << left << "\" x2=\"" << left + width << "\" y1=\"" << y << "\" y2=\"" << y
        << "\" stroke=\"#333\"/>\n";
    for (int i = 0; i <= 4; ++i) {
        double v = max_value * i / 4;
        svg << "<text x=\"" << x_of(v) << "\" y=\"" << y + 16 << "\" text-anchor=\"middle\">"
            << fixed(v, 0) << "</text>\n";
    }
    svg << "<text x=\"" << left + width / 2 << "\" y=\"" << y + 34
        << "\" text-anchor=\"middle\">ns/packet</text>\n</svg>\n";
    return svg.str();
}

}  // namespace xvs::bench
