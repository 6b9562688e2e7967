#include "server_processes.h"

#include <arpa/inet.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

namespace xvs::test {
namespace {

bool accepts(uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

}  // namespace

uint16_t free_loopback_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

bool all_accept(const std::vector<uint16_t>& ports) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
        bool all = true;
        for (uint16_t p : ports) all = all && accepts(p);
        if (all) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

pid_t spawn(const std::vector<std::string>& argv, const std::string& log, const std::function<void()>& as_child) {
    pid_t pid = ::fork();
    if (pid == 0) {
        if (FILE* out = std::fopen(log.c_str(), "a")) {
            ::dup2(fileno(out), STDOUT_FILENO);
            ::dup2(fileno(out), STDERR_FILENO);
        }
        if (as_child) as_child();
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    return pid;
}

int run(const std::vector<std::string>& argv, const std::string& log, const std::function<void()>& as_child) {
    pid_t pid = spawn(argv, log, as_child);
    if (pid < 0) return -1;
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void terminate(pid_t& pid) {
    if (pid <= 0) return;
    ::kill(pid, SIGTERM);
    for (int i = 0; i < 100; ++i) {
        if (::waitpid(pid, nullptr, WNOHANG) == pid) {
            pid = -1;
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    pid = -1;
}

void become(const std::string& user) {
    const passwd* pw = ::getpwnam(user.c_str());
    if (!pw || ::initgroups(pw->pw_name, pw->pw_gid) != 0 || ::setgid(pw->pw_gid) != 0 || ::setuid(pw->pw_uid) != 0)
        ::_exit(126);
}

TestServer::TestServer(const std::string& what) {
    static int serial = 0;
    dir_ = (std::filesystem::temp_directory_path() /
            ("xvs-" + what + "-" + std::to_string(::getpid()) + "-" + std::to_string(++serial)))
               .string();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
}

TestServer::~TestServer() {
    terminate(pid_);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

}  // namespace xvs::test
