#include <algorithm>
#include <cmath>
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

std::string format_markdown(const std::vector<Figure>& figures) {
    std::ostringstream out;
    out << "| suite | name | value | unit | net of floor | p10..p90 | note |\n"
        << "| --- | --- | ---: | --- | ---: | ---: | --- |\n";
    for (const auto& f : figures) {
        out << "| " << f.suite << " | " << f.name << " | " << fixed(f.value, f.value < 100 ? 2 : 1) << " | "
            << f.unit << " | " << (f.net_of_floor ? fixed(*f.net_of_floor, 1) : "") << " | "
            << (f.spread ? fixed(f.spread->first, 1) + ".." + fixed(f.spread->second, 1) : "") << " | " << f.note
            << " |\n";
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
    // floor, measured the same way (BPF_PROG_TEST_RUN, one packet per call),
    // and xvs's targets, by path prefix.
    const std::map<std::string, double> anchor_prefix = {
        {"established", 141.0}, {"new", 340.0}, {"pass", 50.0}};
    const std::map<std::string, double> target_prefix = {
        {"established", 100.0}, {"new", 250.0}, {"pass", 30.0}};

    std::vector<const Figure*> bars;
    std::map<std::string, double> floor_of;  // family suffix ("v4") -> floor
    double max_value = 1;
    for (const auto& f : figures) {
        // The paths only; the part_* cost breakdown is in the table and JSON.
        if (f.suite != "prog" || f.unit != "ns/pkt" || f.name.rfind("part_", 0) == 0) continue;
        bars.push_back(&f);
        max_value = std::max(max_value, f.value);
        if (f.name.rfind("floor_", 0) == 0) floor_of[f.name.substr(6)] = f.value;
    }
    auto family_floor = [&](const std::string& name) {
        for (const auto& [family, v] : floor_of)
            if (name.find("_" + family) != std::string::npos) return v;
        return 0.0;
    };
    for (const auto* f : bars)
        for (const auto& [prefix, net] : anchor_prefix)
            if (f->name.rfind(prefix, 0) == 0) max_value = std::max(max_value, family_floor(f->name) + net);
    double step = 50;
    for (double s : {100.0, 200.0, 250.0, 500.0, 1000.0, 2000.0, 5000.0})
        if (max_value / step > 6) step = s;
    const double axis_max = std::ceil(max_value * 1.08 / step) * step;

    const int left = 170, width = 620, bar_h = 18, gap = 8, top = 84;
    const int height = top + static_cast<int>(bars.size()) * (bar_h + gap) + 50;
    auto x_of = [&](double v) { return left + v / axis_max * width; };
    auto tick = [&](std::ostringstream& svg, double x, int y, const char* colour, bool dashed) {
        svg << "<line x1=\"" << x << "\" x2=\"" << x << "\" y1=\"" << y - 3 << "\" y2=\"" << y + bar_h + 3
            << "\" stroke=\"" << colour << "\" stroke-width=\"2\"" << (dashed ? " stroke-dasharray=\"3,2\"" : "")
            << "/>\n";
    };

    std::ostringstream svg;
    svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << left + width + 70 << "\" height=\"" << height
        << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
        << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        << "<text x=\"10\" y=\"20\" font-size=\"15\">xvs XDP program: ns per packet by path "
           "(BPF_PROG_TEST_RUN, one packet per call, median)</text>\n"
        << "<text x=\"10\" y=\"38\" fill=\"#555\">" << json_escape(m.cpu_model) << ", " << json_escape(m.kernel)
        << ", " << m.date << "</text>\n"
        << "<rect x=\"10\" y=\"50\" width=\"14\" height=\"10\" fill=\"#bbb\"/>"
           "<text x=\"28\" y=\"59\">floor (parse + XDP_TX)</text>\n"
        << "<rect x=\"180\" y=\"50\" width=\"14\" height=\"10\" fill=\"#3a7bd5\"/>"
           "<text x=\"198\" y=\"59\">xvs, net of the floor</text>\n"
        << "<line x1=\"350\" x2=\"350\" y1=\"48\" y2=\"62\" stroke=\"#d33\" stroke-width=\"2\"/>"
           "<text x=\"356\" y=\"59\">Katran (floor + published net cost)</text>\n"
        << "<line x1=\"580\" x2=\"580\" y1=\"48\" y2=\"62\" stroke=\"#2a2\" stroke-width=\"2\" "
           "stroke-dasharray=\"3,2\"/><text x=\"586\" y=\"59\">xvs target</text>\n";
    int y = top;
    for (const auto* f : bars) {
        const double floor_value = family_floor(f->name);
        svg << "<text x=\"" << left - 6 << "\" y=\"" << y + 13 << "\" text-anchor=\"end\">"
            << json_escape(f->name) << "</text>\n";
        double floor_part = std::min(floor_value, f->value);
        svg << "<rect x=\"" << left << "\" y=\"" << y << "\" width=\"" << x_of(floor_part) - left
            << "\" height=\"" << bar_h << "\" fill=\"#bbb\"/>\n";
        svg << "<rect x=\"" << x_of(floor_part) << "\" y=\"" << y << "\" width=\""
            << x_of(f->value) - x_of(floor_part) << "\" height=\"" << bar_h << "\" fill=\"#3a7bd5\"/>\n";
        svg << "<text x=\"" << x_of(f->value) + 4 << "\" y=\"" << y + 13 << "\">" << fixed(f->value, 0)
            << "</text>\n";
        for (const auto& [prefix, net] : anchor_prefix)
            if (f->name.rfind(prefix, 0) == 0) tick(svg, x_of(floor_value + net), y, "#d33", false);
        for (const auto& [prefix, net] : target_prefix)
            if (f->name.rfind(prefix, 0) == 0) tick(svg, x_of(floor_value + net), y, "#2a2", true);
        y += bar_h + gap;
    }
    svg << "<line x1=\"" << left << "\" x2=\"" << left + width << "\" y1=\"" << y << "\" y2=\"" << y
        << "\" stroke=\"#333\"/>\n";
    for (double v = 0; v <= axis_max + 0.5; v += step)
        svg << "<text x=\"" << x_of(v) << "\" y=\"" << y + 16 << "\" text-anchor=\"middle\">" << fixed(v, 0)
            << "</text>\n";
    svg << "<text x=\"" << left + width / 2 << "\" y=\"" << y + 34
        << "\" text-anchor=\"middle\">ns/packet</text>\n</svg>\n";
    return svg.str();
}

}  // namespace xvs::bench
