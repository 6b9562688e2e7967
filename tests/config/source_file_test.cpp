// What parse_config_file agrees to read: regular files up to the size limit,
// never a FIFO, a device, a socket or a directory, nor a link to one.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <future>
#include <fstream>

#include "common/unique_fd.h"
#include "config/source_file.h"
#include "config_test_support.h"

using namespace xvs;
using namespace xvs::test;

namespace {

// The one error parse_config_file gives for `path`; "" when it parses.
std::string file_error(const std::string& path) {
    try {
        parse_config_file(path);
    } catch (const ConfigError& e) {
        REQUIRE(e.errors().size() == 1);
        return e.errors()[0];
    }
    return "";
}

}  // namespace

TEST_CASE("a file larger than the limit is refused with its size and the limit") {
    TempDir dir;
    std::string path = dir.file("big.cf");
    { std::ofstream(path) << "virtual=10.0.0.1:80\n"; }
    // Sparse: the size is what counts, the file is never read.
    REQUIRE(::truncate(path.c_str(), static_cast<off_t>(max_config_bytes) + 1) == 0);
    CHECK(file_error(path) == path + ": 33554433 bytes, the limit is 33554432");
}

TEST_CASE("the size limit counts every byte read, not only what stat said") {
    TempDir dir;
    std::string path = dir.file("small.cf");
    { std::ofstream(path) << "checkinterval=5\n"; }  // 16 bytes
    CHECK(read_config_source(path, 16) == "checkinterval=5\n");
    try {
        read_config_source(path, 15);
        FAIL("expected a ConfigError");
    } catch (const ConfigError& e) {
        CHECK(e.errors() == std::vector<std::string>{path + ": 16 bytes, the limit is 15"});
    }
    // A regular file whose size stat does not know (as one still growing):
    // reading stops one byte past the limit.
    try {
        read_config_source("/proc/self/maps", 10);
        FAIL("expected a ConfigError");
    } catch (const ConfigError& e) {
        CHECK(e.errors() == std::vector<std::string>{"/proc/self/maps: more than 10 bytes, the limit is 10"});
    }
}

TEST_CASE("a directory is refused") {
    TempDir dir;
    CHECK(file_error(dir.path.string()) == dir.path.string() + ": is a directory, not a regular file");
}

TEST_CASE("a device is refused, /dev/null included (its empty read would remove every service)") {
    CHECK(file_error("/dev/null") == "/dev/null: is a character device, not a regular file");
}

TEST_CASE("a symbolic link to /dev/zero is refused, not read without end") {
    TempDir dir;
    std::string path = dir.file("x.cf");
    REQUIRE(::symlink("/dev/zero", path.c_str()) == 0);
    CHECK(file_error(path) == path + ": is a character device, not a regular file (a symbolic link to /dev/zero)");
}

TEST_CASE("a symbolic link to a regular file is followed") {
    TempDir dir;
    std::string target = dir.file("real.cf");
    std::string path = dir.file("link.cf");
    { std::ofstream(target) << "virtual=10.0.0.1:80\n\treal=10.0.0.2 gate\n"; }
    REQUIRE(::symlink(target.c_str(), path.c_str()) == 0);
    Config c = parse_config_file(path);
    CHECK(c.source == path);
    CHECK(c.virtuals.size() == 1);
}

TEST_CASE("a FIFO is refused at once instead of waiting for a writer") {
    TempDir dir;
    std::string path = dir.file("fifo.cf");
    REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
    auto result = std::async(std::launch::async, [&] { return file_error(path); });
    if (result.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
        // Release a reader blocked in open() or read() so the test ends: one
        // writer that goes away at once gives it end of file.
        UniqueFd writer(::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
        writer.reset();
        FAIL("parse_config_file waited on a FIFO: " + result.get());
    }
    CHECK(result.get() == path + ": is a FIFO, not a regular file");
}

TEST_CASE("a unix socket is refused") {
    TempDir dir;
    std::string path = dir.file("sock.cf");
    UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    REQUIRE(sock);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(path.size() < sizeof addr.sun_path);
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    REQUIRE(::bind(sock.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
    CHECK(file_error(path) == path + ": is a socket, not a regular file");
}
