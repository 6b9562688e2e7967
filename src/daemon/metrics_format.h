// MetricsText: writes the Prometheus text exposition format 0.0.4.
//
// Contract: samples are grouped by family; each family is announced once with
// its HELP and TYPE lines before its first sample (declare the family, then
// add its samples, then the next family: a family may not be reopened).
// Label values are escaped (\\, \", \n) and HELP text (\\, \n) as the format
// requires. Metric and label names are the caller's constants and are checked
// against [a-zA-Z_:][a-zA-Z0-9_:]* (throws std::invalid_argument otherwise).
// A label set written by many samples (a real's service and real labels) is
// checked and escaped once as a LabelText and written with sample_at().
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace xvs {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

// `name="value",...`: a label set checked and escaped once.
class LabelText {
   public:
    explicit LabelText(const MetricLabels& labels);
    // This set with one more label.
    LabelText with(std::string_view name, std::string_view value) const;
    const std::string& text() const { return text_; }
    // The text, moved out (the writer is done).
    std::string take_text() { return std::move(text_); }

   private:
    LabelText() = default;
    void append(std::string_view name, std::string_view value);
    std::string text_;
};

class MetricsText {
   public:
    enum class Type { counter, gauge };

    // Starts a family; its samples follow. Throws if `name` was declared before.
    void family(std::string_view name, Type type, std::string_view help);
    // One sample of the current family.
    void sample(const MetricLabels& labels, double value);
    void sample(const MetricLabels& labels, uint64_t value);
    void sample_at(const LabelText& labels, uint64_t value);
    // Room for `bytes` of text, to grow the buffer once.
    void reserve(size_t bytes) { text_.reserve(bytes); }

    const std::string& text() const { return text_; }
    // The text, moved out (the writer is done).
    std::string take_text() { return std::move(text_); }

   private:
    void sample_text(std::string_view labels, std::string_view value);

    std::string text_;
    std::string current_;
    std::set<std::string> declared_;
};

bool is_valid_metric_name(std::string_view name);
std::string escape_label_value(std::string_view value);

}  // namespace xvs
