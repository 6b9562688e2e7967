#include "netns.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "common/errno_text.h"

namespace xvs::bench {

void run_command(const std::string& command) {
    std::string quiet = command + " >/dev/null 2>&1";
    if (std::system(quiet.c_str()) != 0) throw std::runtime_error("command failed: " + command);
}

std::string capture_command(const std::string& command) {
    FILE* pipe = popen((command + " 2>/dev/null").c_str(), "r");
    if (!pipe) throw std::runtime_error("cannot run: " + command);
    std::string out;
    std::array<char, 4096> buf;
    while (size_t n = fread(buf.data(), 1, buf.size(), pipe)) out.append(buf.data(), n);
    if (pclose(pipe) != 0) throw std::runtime_error("command failed: " + command);
    return out;
}

Netns::Netns(const std::string& prefix) {
    static int counter = 0;
    name_ = prefix + "-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
    run_command("ip netns add " + name_);
    try {
        ip("link set lo up");
    } catch (...) {
        run_command("ip netns del " + name_);
        throw;
    }
}

Netns::~Netns() {
    if (std::system(("ip netns del " + name_ + " >/dev/null 2>&1").c_str()) != 0)
        std::fprintf(stderr, "xvs-bench: deleting namespace %s failed\n", name_.c_str());
}

void Netns::ip(const std::string& args) const { run_command("ip -n " + name_ + " " + args); }

void Netns::exec(const std::string& command) const {
    run_command("ip netns exec " + name_ + " " + command);
}

std::string Netns::capture(const std::string& command) const {
    return capture_command("ip netns exec " + name_ + " " + command);
}

NetnsEntry::NetnsEntry(const Netns& ns) : original_(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) {
    UniqueFd target(open(("/run/netns/" + ns.name()).c_str(), O_RDONLY | O_CLOEXEC));
    if (!original_ || !target || setns(target.get(), CLONE_NEWNET) != 0)
        throw std::runtime_error("entering namespace " + ns.name() + ": " + errno_text(errno).c_str());
}

NetnsEntry::~NetnsEntry() {
    if (setns(original_.get(), CLONE_NEWNET) != 0) {
        // Staying in a namespace that is about to be deleted would break
        // every later suite: nothing sensible is left to do.
        std::fprintf(stderr, "xvs-bench: leaving namespace: %s\n", errno_text(errno).c_str());
        std::abort();
    }
}

}  // namespace xvs::bench
