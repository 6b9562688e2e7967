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

LabelText::LabelText(const MetricLabels& labels) {
    for (const auto& [name, value] : labels) append(name, value);
}

LabelText LabelText::with(std::string_view name, std::string_view value) const {
    LabelText more;
    more.text_.reserve(text_.size() + name.size() + value.size() + 4);
    more.text_ = text_;
    more.append(name, value);
    return more;
}

void LabelText::append(std::string_view name, std::string_view value) {
    if (!is_valid_metric_name(name) || name.find(':') != std::string_view::npos)
        throw std::invalid_argument("invalid label name '" + std::string(name) + "'");
    if (!text_.empty()) text_ += ',';
    text_ += name;
    text_ += "=\"";
    text_ += escape_label_value(value);
    text_ += '"';
}

void MetricsText::sample(const MetricLabels& labels, uint64_t value) {
    sample_at(LabelText(labels), value);
}

void MetricsText::sample_at(const LabelText& labels, uint64_t value) {
    char digits[24];
    int n = std::snprintf(digits, sizeof digits, "%llu", static_cast<unsigned long long>(value));
    sample_text(labels.text(), std::string_view(digits, static_cast<size_t>(n)));
}

void MetricsText::sample(const MetricLabels& labels, double value) {
    LabelText text(labels);
    if (std::isnan(value)) return sample_text(text.text(), "NaN");
    if (std::isinf(value)) return sample_text(text.text(), value > 0 ? "+Inf" : "-Inf");
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.9g", value);
    sample_text(text.text(), buf);
}

void MetricsText::sample_text(std::string_view labels, std::string_view value) {
    if (current_.empty()) throw std::logic_error("metric sample before any family");
    text_ += current_;
    if (!labels.empty()) {
        text_ += '{';
        text_ += labels;
        text_ += '}';
    }
    text_ += ' ';
    text_ += value;
    text_ += '\n';
}

}  // namespace xvs
