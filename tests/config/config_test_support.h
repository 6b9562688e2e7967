// Helpers shared by the config tests: parse text and get the Config, or the
// list of error messages it was rejected with.
#pragma once

#include "support/temp_dir.h"

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "config/config.h"

namespace xvs::test {

inline const std::string test_file = "test.cf";

inline Config parse(const std::string& text, const ParseOptions& options = {}) {
    return parse_config_text(text, test_file, options);
}

// The errors the text is rejected with; empty when it parses.
inline std::vector<std::string> errors_of(const std::string& text, const ParseOptions& options = {}) {
    try {
        parse_config_text(text, test_file, options);
    } catch (const ConfigError& e) {
        return e.errors();
    }
    return {};
}

// The single error of the text, or "" / a list joined by " | " to make a failure readable.
inline std::string error_of(const std::string& text, const ParseOptions& options = {}) {
    auto errors = errors_of(text, options);
    std::string all;
    for (const auto& e : errors) all += (all.empty() ? "" : " | ") + e;
    return all;
}

inline IpAddress ip(const char* text) { return *IpAddress::parse(text); }

// A private directory (named after the pid and a serial, so parallel runs
// never share one), removed with everything in it even when a check fails.
using TempDir = xvs::testing::TempDir;

}  // namespace xvs::test
