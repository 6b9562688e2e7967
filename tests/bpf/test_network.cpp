#include "bpf/test_network.h"

#include <bpf/bpf.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <net/if.h>
#include <sched.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "common/errno_text.h"

namespace xvs::test {

namespace {

void run(const std::string& command) {
    std::string quiet = command + " >/dev/null 2>&1";
    if (std::system(quiet.c_str()) != 0) throw std::runtime_error("command failed: " + command);
}

}  // namespace

TestNetwork::TestNetwork() {
    static int counter = 0;
    name_ = "xvs-bpf-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
    try {
        run("ip netns add " + name_);
        created_ = true;
        ip("link add cli0 address 02:00:00:00:00:01 type veth peer name cli1");
        ip("link add rs0 address 02:00:00:00:01:01 type veth peer name rs1");
        for (const char* dev : {"lo", "cli0", "cli1", "rs0", "rs1"})
            ip(std::string("link set ") + dev + " up");
        ip("addr add 10.0.0.1/24 dev cli0");
        ip("addr add fd00::1/64 dev cli0 nodad");
        ip("addr add 10.1.0.1/24 dev rs0");
        ip("addr add fd00:1::1/64 dev rs0 nodad");
        ip("neigh add 10.0.0.2 lladdr 02:00:00:00:00:02 dev cli0 nud permanent");
        ip("neigh add fd00::2 lladdr 02:00:00:00:00:02 dev cli0 nud permanent");
        for (int n = 2; n <= 4; ++n) {
            std::string lladdr = " lladdr 02:00:00:00:01:0" + std::to_string(n);
            ip("neigh add 10.1.0." + std::to_string(n) + lladdr + " dev rs0 nud permanent");
            ip("neigh add fd00:1::" + std::to_string(n) + lladdr + " dev rs0 nud permanent");
        }
        run("ip netns exec " + name_ +
            " sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1");
        original_.reset(open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
        UniqueFd target(open(("/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC));
        if (!original_ || !target || setns(target.get(), CLONE_NEWNET) != 0)
            throw std::runtime_error("entering namespace " + name_ + ": " + errno_text(errno));
        entered_ = true;
        client_ifindex = static_cast<int>(if_nametoindex("cli0"));
        real_ifindex = static_cast<int>(if_nametoindex("rs0"));
        if (!client_ifindex || !real_ifindex)
            throw std::runtime_error("test interfaces missing in " + name_);
    } catch (...) {
        cleanup();
        throw;
    }
}

TestNetwork::~TestNetwork() { cleanup(); }

void TestNetwork::cleanup() noexcept {
    if (entered_ && setns(original_.get(), CLONE_NEWNET) != 0)
        std::fprintf(stderr, "leaving namespace %s: %s\n", name_.c_str(), errno_text(errno).c_str());
    entered_ = false;
    if (created_ && std::system(("ip netns del " + name_ + " >/dev/null 2>&1").c_str()) != 0)
        std::fprintf(stderr, "deleting namespace %s failed\n", name_.c_str());
    created_ = false;
}

void TestNetwork::ip(const std::string& args) const { run("ip -n " + name_ + " " + args); }

std::string TestNetwork::capture(const std::string& command) const {
    std::string full = "ip netns exec " + name_ + " " + command + " 2>&1";
    FILE* pipe = popen(full.c_str(), "r");
    if (!pipe) throw std::runtime_error("running " + command);
    std::string out;
    std::array<char, 512> buf;
    while (size_t n = fread(buf.data(), 1, buf.size(), pipe)) out.append(buf.data(), n);
    pclose(pipe);
    return out;
}

XdpRun run_xdp(int prog_fd, const std::vector<uint8_t>& frame, int ingress_ifindex) {
    XdpRun result;
    result.frame.resize(frame.size() + 512);
    xdp_md ctx{};
    ctx.data = 0;
    ctx.data_end = static_cast<uint32_t>(frame.size());
    ctx.ingress_ifindex = static_cast<uint32_t>(ingress_ifindex);
    bpf_test_run_opts opts{};
    opts.sz = sizeof opts;
    opts.data_in = frame.data();
    opts.data_size_in = static_cast<uint32_t>(frame.size());
    opts.data_out = result.frame.data();
    opts.data_size_out = static_cast<uint32_t>(result.frame.size());
    opts.ctx_in = &ctx;
    opts.ctx_size_in = sizeof ctx;
    opts.repeat = 1;
    if (int err = bpf_prog_test_run_opts(prog_fd, &opts); err != 0)
        throw std::runtime_error(std::string("BPF_PROG_TEST_RUN: ") + errno_text(-err));
    result.action = static_cast<int>(opts.retval);
    result.frame.resize(opts.data_size_out);
    return result;
}

const char* xdp_action_name(int action) {
    switch (action) {
        case XDP_ABORTED: return "XDP_ABORTED";
        case XDP_DROP: return "XDP_DROP";
        case XDP_PASS: return "XDP_PASS";
        case XDP_TX: return "XDP_TX";
        case XDP_REDIRECT: return "XDP_REDIRECT";
        default: return "?";
    }
}

}  // namespace xvs::test
