// TestNetwork: a throw-away network namespace for running the XDP program
// through BPF_PROG_TEST_RUN with working fib lookups, entered by the calling
// thread for the object's lifetime (BPF_PROG_TEST_RUN resolves the ingress
// ifindex, and bpf_fib_lookup routes, in the caller's namespace).
//
//   cli0 (02:00:00:00:00:01) 10.0.0.1/24 fd00::1/64  -- client side
//        client 10.0.0.2 / fd00::2 at 02:00:00:00:00:02 (permanent neighbour)
//   rs0  (02:00:00:00:01:01) 10.1.0.1/24 fd00:1::1/64 -- real-server side
//        reals 10.1.0.{2,3,4} / fd00:1::{2,3,4} at 02:00:00:00:01:0{2,3,4}
//        10.1.0.9 / fd00:1::9: routed but no neighbour entry
//
// The name carries the pid and a counter; the destructor returns to the
// original namespace and deletes this one, also when a test failed.
#pragma once

#include <string>
#include <vector>

#include "common/unique_fd.h"
#include "support/packet_builder.h"

namespace xvs::test {

class TestNetwork {
   public:
    TestNetwork();
    ~TestNetwork();
    TestNetwork(const TestNetwork&) = delete;
    TestNetwork& operator=(const TestNetwork&) = delete;

    const std::string& name() const { return name_; }
    // Runs an `ip` command inside the namespace; throws on failure.
    void ip(const std::string& args) const;
    // Output of a command run inside the namespace.
    std::string capture(const std::string& command) const;

    int client_ifindex = 0;
    int real_ifindex = 0;
    Mac client_if_mac = mac("02:00:00:00:00:01");
    Mac real_if_mac = mac("02:00:00:00:01:01");
    Mac client_mac = mac("02:00:00:00:00:02");
    static Mac real_mac(int n) { return mac("02:00:00:00:01:0" + std::to_string(n)); }

   private:
    void cleanup() noexcept;
    std::string name_;
    UniqueFd original_;
    bool created_ = false;
    bool entered_ = false;
};

struct XdpRun {
    int action = -1;
    std::vector<uint8_t> frame;
};

// One BPF_PROG_TEST_RUN (repeat 1) of prog_fd on frame, arriving on ingress_ifindex.
XdpRun run_xdp(int prog_fd, const std::vector<uint8_t>& frame, int ingress_ifindex);

const char* xdp_action_name(int action);

}  // namespace xvs::test
