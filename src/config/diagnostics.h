// Diagnostics: the errors and warnings of one configuration file.
//
// The parser reports every problem it finds and keeps going, so a user sees
// all of them at once. Messages are "FILE:LINE: what is wrong" (line 0 = the
// file as a whole), sorted by line when the parse ends.
// Only the first max_reported_errors errors (by line) are kept, and as many
// warnings; the others are counted, so memory stays bounded however bad the
// file, and the lists end with "FILE: ... and N more errors" (or warnings).
// A message longer than max_message_chars is cut there.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "config/config.h"

namespace xvs::config_detail {

inline constexpr size_t max_message_chars = 512;

class Diagnostics {
public:
    explicit Diagnostics(std::string source) : source_(std::move(source)) {}

    void error(int line, const std::string& message) { errors_.add(line, message); }
    void warning(int line, const std::string& message) { warnings_.add(line, message); }
    bool has_errors() const { return errors_.count() > 0; }
    size_t error_count() const { return errors_.count(); }

    // Formatted and ordered by line (stable: same-line messages keep their order).
    std::vector<std::string> errors() const { return format(errors_, "", "errors"); }
    std::vector<std::string> warnings() const { return format(warnings_, "warning: ", "warnings"); }

private:
    struct Entry {
        int line;
        std::string message;
    };
    // The first max_reported_errors entries by line, and how many were dropped.
    class Kept {
    public:
        void add(int line, const std::string& message);
        size_t count() const { return entries_.size() + dropped_; }
        std::vector<Entry> first() const;  // sorted by line, at most max_reported_errors

    private:
        std::vector<Entry> entries_;
        size_t dropped_ = 0;
    };
    std::vector<std::string> format(const Kept& kept, const char* prefix, const char* kind) const;

    std::string source_;
    Kept errors_;
    Kept warnings_;
};

}  // namespace xvs::config_detail
