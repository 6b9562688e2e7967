#include "daemon/metrics_format.h"

#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace xvs {
namespace {

bool is_name_char(char c, bool first) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':') return true;
    return !first && c >= '0' && c <= '9';
}

std::string escape_help(std::string_view help) {
    std::string out;
    for (char c : help) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

}  // namespace

bool is_valid_metric_name(std::string_view name) {
    if (name.empty()) return false;
    for (size_t i = 0; i < name.size(); ++i)
        if (!is_name_char(name[i], i == 0)) return false;
    return true;
}

std::string escape_label_value(std::string_view value) {
    std::string out;
    for (char c : value) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

void MetricsText::family(std::string_view name, Type type, std::string_view help) {
    if (!is_valid_metric_name(name))
        throw std::invalid_argument("invalid metric name '" + std::string(name) + "'");
    if (!declared_.insert(std::string(name)).second)
        throw std::invalid_argument("metric family '" + std::string(name) + "' declared twice");
    current_ = name;
    text_ += "# HELP " + current_ + " " + escape_help(help) + "\n";
    text_ += "# TYPE " + current_ + (type == Type::counter ? " counter\n" : " gauge\n");
}

void MetricsText::sample(const MetricLabels& labels, uint64_t value) {
    sample_text(labels, std::to_string(value));
}

void MetricsText::sample(const MetricLabels& labels, double value) {
    if (std::isnan(value)) return sample_text(labels, "NaN");
    if (std::isinf(value)) return sample_text(labels, value > 0 ? "+Inf" : "-Inf");
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.9g", value);
    sample_text(labels, buf);
}

void MetricsText::sample_text(const MetricLabels& labels, const std::string& value) {
    if (current_.empty()) throw std::logic_error("metric sample before any family");
    // Built aside so that a refused label leaves the text as it was.
    std::string line = current_;
    if (!labels.empty()) {
        line += '{';
        bool first = true;
        for (const auto& [name, label_value] : labels) {
            if (!is_valid_metric_name(name) || name.find(':') != std::string::npos)
                throw std::invalid_argument("invalid label name '" + name + "'");
            if (!first) line += ',';
            first = false;
            line += name + "=\"" + escape_label_value(label_value) + "\"";
        }
        line += '}';
    }
    text_ += line + ' ' + value + '\n';
}

}  // namespace xvs
