#include "config/diagnostics.h"

#include <algorithm>

namespace xvs::config_detail {
namespace {

// Stable, so messages of one line keep the order they were reported in.
void sort_by_line(auto& entries) {
    std::stable_sort(entries.begin(), entries.end(),
                     [](const auto& a, const auto& b) { return a.line < b.line; });
}

}  // namespace

void Diagnostics::Kept::add(int line, const std::string& message) {
    // Messages quote what was written, but one line of megabytes must not
    // become a log line of megabytes.
    if (message.size() > max_message_chars)
        entries_.push_back({line, message.substr(0, max_message_chars) + "... (" +
                                      std::to_string(message.size()) + " characters)"});
    else
        entries_.push_back({line, message});
    // Messages mostly come in line order, but a virtual section's come when
    // the file ends: every so often keep the first ones by line.
    if (entries_.size() >= 2 * max_reported_errors) {
        sort_by_line(entries_);
        dropped_ += entries_.size() - max_reported_errors;
        entries_.resize(max_reported_errors);
    }
}

std::vector<Diagnostics::Entry> Diagnostics::Kept::first() const {
    std::vector<Entry> out = entries_;
    sort_by_line(out);
    if (out.size() > max_reported_errors) out.resize(max_reported_errors);
    return out;
}

std::vector<std::string> Diagnostics::format(const Kept& kept, const char* prefix, const char* kind) const {
    std::vector<std::string> out;
    for (const auto& e : kept.first()) {
        std::string where = source_;
        if (e.line > 0) where += ":" + std::to_string(e.line);
        out.push_back(where + ": " + prefix + e.message);
    }
    return cap_messages(std::move(out), source_, kept.count(), kind);
}

}  // namespace xvs::config_detail
