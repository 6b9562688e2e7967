// Network namespaces for the benchmark topologies.
//
// Netns creates a namespace with a unique name (prefix, pid, counter) and
// deletes it in its destructor, also when a suite failed half-way; deleting a
// namespace removes its veths and detaches their XDP programs. NetnsEntry
// moves the calling thread into a namespace for its lifetime and back
// afterwards (BPF_PROG_TEST_RUN resolves ingress_ifindex and bpf_fib_lookup
// routes in the caller's namespace, and XDP attach/detach by ifindex too).
#pragma once

#include <string>

#include "common/unique_fd.h"

namespace xvs::bench {

// Runs a shell command, output discarded; throws with the command on failure.
void run_command(const std::string& command);
// Runs a shell command and returns its stdout; throws on a non-zero exit.
std::string capture_command(const std::string& command);

class Netns {
   public:
    explicit Netns(const std::string& prefix);
    ~Netns();
    Netns(const Netns&) = delete;
    Netns& operator=(const Netns&) = delete;

    const std::string& name() const { return name_; }
    // `ip -n NAME ARGS`; throws on failure.
    void ip(const std::string& args) const;
    // Runs a command inside the namespace (ip netns exec); throws on failure.
    void exec(const std::string& command) const;
    std::string capture(const std::string& command) const;

   private:
    std::string name_;
};

class NetnsEntry {
   public:
    explicit NetnsEntry(const Netns& ns);
    ~NetnsEntry();
    NetnsEntry(const NetnsEntry&) = delete;
    NetnsEntry& operator=(const NetnsEntry&) = delete;

   private:
    UniqueFd original_;
};

}  // namespace xvs::bench
