#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "control/paths.h"
#include "daemon/run_dir.h"

using namespace xvs;
namespace fs = std::filesystem;

namespace {

struct Root {
    fs::path path = fs::temp_directory_path() / ("xvs-rundir-test-" + std::to_string(::getpid()));
    Root() { fs::remove_all(path); }
    ~Root() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

}  // namespace

TEST_CASE("claiming an instance creates a private directory with our pid", "[run_dir]") {
    Root root;
    {
        RunDir dir("a", root.path.string());
        struct stat st{};
        REQUIRE(::stat(dir.path().c_str(), &st) == 0);
        CHECK((st.st_mode & 0777) == 0700);
        std::ifstream in(dir.pid_file());
        pid_t pid = 0;
        in >> pid;
        CHECK(pid == ::getpid());
    }
    CHECK_FALSE(fs::exists(control::pid_file_path("a", root.path.string())));
}

TEST_CASE("an instance held by a live owner cannot be claimed twice", "[run_dir]") {
    Root root;
    RunDir first("a", root.path.string());
    CHECK_THROWS_AS(RunDir("a", root.path.string()), InstanceBusy);
    RunDir other("b", root.path.string());  // other instances are independent
}

TEST_CASE("a stale socket file of a dead daemon is removed", "[run_dir]") {
    Root root;
    fs::create_directories(control::run_dir_path("a", root.path.string()));
    std::string sock = control::socket_path("a", root.path.string());
    std::ofstream(sock) << "";
    std::ofstream(control::pid_file_path("a", root.path.string())) << "999999\n";
    RunDir dir("a", root.path.string());
    CHECK_FALSE(fs::exists(sock));
}
