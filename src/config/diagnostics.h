// Diagnostics: the errors and warnings of one configuration file.
//
// The parser reports every problem it finds and keeps going, so a user sees
// all of them at once. Messages are "FILE:LINE: what is wrong" (line 0 = the
// file as a whole), sorted by line when the parse ends.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace xvs::config_detail {

class Diagnostics {
public:
    explicit Diagnostics(std::string source) : source_(std::move(source)) {}

    void error(int line, const std::string& message) { errors_.push_back({line, message}); }
    void warning(int line, const std::string& message) { warnings_.push_back({line, message}); }
    bool has_errors() const { return !errors_.empty(); }
    size_t error_count() const { return errors_.size(); }

    // Formatted and ordered by line (stable: same-line messages keep their order).
    std::vector<std::string> errors() const { return format(errors_, ""); }
    std::vector<std::string> warnings() const { return format(warnings_, "warning: "); }

private:
    struct Entry {
        int line;
        std::string message;
    };
    std::vector<std::string> format(std::vector<Entry> entries, const char* prefix) const;

    std::string source_;
    std::vector<Entry> errors_;
    std::vector<Entry> warnings_;
};

}  // namespace xvs::config_detail
