// Helpers shared by the config tests: parse text and get the Config, or the
// list of error messages it was rejected with.
#pragma once

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
struct TempDir {
    std::filesystem::path path;
    TempDir() {
        static int serial = 0;
        path = std::filesystem::temp_directory_path() /
               ("xvs-config-test-" + std::to_string(::getpid()) + "-" + std::to_string(++serial));
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::string file(const std::string& name) const { return (path / name).string(); }
};

}  // namespace xvs::test
