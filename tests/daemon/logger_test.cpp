#include <catch2/catch.hpp>

#include "support/temp_dir.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "daemon/log_text.h"
#include "daemon/logger.h"
#include "common/unique_fd.h"

using namespace xvs;
using namespace std::string_literals;
namespace fs = std::filesystem;

namespace {

std::string read_file(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// /dev/null for the stderr copy: the tests read the logfile.
struct QuietLogger {
    UniqueFd null{::open("/dev/null", O_WRONLY | O_CLOEXEC)};
    Logger log{"t", null.get()};
};

struct TempDir : testing::TempDir {
    TempDir() : testing::TempDir("logger-test") {}
};

}  // namespace

TEST_CASE("log text: printable ASCII and UTF-8 pass, controls and bad bytes are escaped", "[logger]") {
    CHECK(escape_log_text("real=10.0.0.1:80 gate 1") == "real=10.0.0.1:80 gate 1");
    CHECK(escape_log_text("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80") ==
          "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    CHECK(escape_log_text("a\nforged line") == "a\\x0aforged line");
    CHECK(escape_log_text("\r\t\x1b[31m\x7f") == "\\x0d\\x09\\x1b[31m\\x7f");
    CHECK(escape_log_text("C:\\dir") == "C:\\\\dir");
    CHECK(escape_log_text("nul\0inside"s) == "nul\\x00inside");
    SECTION("malformed UTF-8 is escaped byte by byte") {
        CHECK(escape_log_text("\xff\xfe") == "\\xff\\xfe");
        CHECK(escape_log_text("\xc3") == "\\xc3");               // truncated
        CHECK(escape_log_text("\xc0\xaf") == "\\xc0\\xaf");      // overlong '/'
        CHECK(escape_log_text("\xed\xa0\x80") == "\\xed\\xa0\\x80");  // a surrogate
        CHECK(escape_log_text("\xf4\x90\x80\x80") == "\\xf4\\x90\\x80\\x80");  // > U+10FFFF
        CHECK(escape_log_text("\xc2\x9b") == "\\xc2\\x9b");      // C1 control (CSI)
    }
}

TEST_CASE("the logfile gets escaped, whole messages: no forged lines, a NUL cuts nothing", "[logger]") {
    TempDir dir;
    QuietLogger q;
    q.log.set_logfile((dir.path / "xvs.log").string());
    q.log.info("checktype=\"bad\nFAKE: reload ok\"");
    q.log.error("reply \"ab\0cd\" from the real"s);
    std::string text = read_file(dir.path / "xvs.log");
    CHECK(std::count(text.begin(), text.end(), '\n') == 2);
    CHECK(text.find("checktype=\"bad\\x0aFAKE: reload ok\"\n") != std::string::npos);
    CHECK(text.find("reply \"ab\\x00cd\" from the real\n") != std::string::npos);
}

// A logfile on a 64 KiB tmpfs, mounted in a private mount namespace of a
// child process (it vanishes with the child): filled up, then freed again.
TEST_CASE("lines a full disk refuses are counted and reported once writing works again", "[logger]") {
    TempDir dir;
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        auto step = [](bool ok, int code) {
            if (!ok) std::_Exit(code);
        };
        step(::unshare(CLONE_NEWNS) == 0, 10);
        step(::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0, 11);
        step(::mount("tmpfs", dir.path.c_str(), "tmpfs", 0, "size=64k") == 0, 12);
        fs::path log_path = dir.path / "xvs.log";
        fs::path filler = dir.path / "filler";
        QuietLogger q;
        q.log.set_logfile(log_path.string());  // empty: it holds no page yet
        {
            UniqueFd f(::open(filler.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
            step(bool(f), 13);
            std::string block(4096, 'x');
            while (::write(f.get(), block.data(), block.size()) > 0) {
            }
        }
        q.log.info("lost one");
        q.log.error("lost two");
        step(q.log.lines_lost() == 2, 14);
        step(::unlink(filler.c_str()) == 0, 15);
        q.log.info("the disk has room again");
        step(q.log.lines_lost() == 0, 16);
        std::string text = read_file(log_path);
        step(text.find("lost one") == std::string::npos, 18);
        size_t notice = text.find(": 2 log lines lost\n");
        step(notice != std::string::npos, 19);
        step(text.find("the disk has room again") > notice, 20);
        step(std::count(text.begin(), text.end(), '\n') == 2, 21);
        std::_Exit(0);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    INFO("the child's failed step (see the test source), 0 = all passed");
    CHECK(WEXITSTATUS(status) == 0);
}
