// TempDir: a private directory for one test, removed with everything in it
// even when the test fails. The name carries the pid and a serial, so that
// parallel runs and several directories in one test never collide.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

namespace xvs::testing {

struct TempDir {
    std::filesystem::path path;
    explicit TempDir(const std::string& what = "test") {
        static int serial = 0;
        path = std::filesystem::temp_directory_path() /
               ("xvs-" + what + "-" + std::to_string(::getpid()) + "-" + std::to_string(++serial));
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

}  // namespace xvs::testing
