#include "prog_runner.h"

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <sched.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "common/errno_text.h"

namespace xvs::bench {

Sample measure_prog(int prog_fd, int calls,
                    const std::function<const std::vector<uint8_t>&(int)>& next_packet,
                    uint32_t ingress_ifindex) {
    std::vector<double> durations;
    durations.reserve(calls);
    std::vector<uint8_t> out(4096);
    Sample s;
    for (int i = 0; i < calls; ++i) {
        const auto& pkt = next_packet(i);
        xdp_md ctx{};
        ctx.data_end = static_cast<uint32_t>(pkt.size());
        ctx.ingress_ifindex = ingress_ifindex;
        LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt.data(),
                    .data_out = out.data(), .data_size_in = static_cast<uint32_t>(pkt.size()),
                    .data_size_out = static_cast<uint32_t>(out.size()),
                    .ctx_in = ingress_ifindex ? &ctx : nullptr,
                    .ctx_size_in = ingress_ifindex ? static_cast<uint32_t>(sizeof ctx) : 0u,
                    .repeat = 1);
        if (bpf_prog_test_run_opts(prog_fd, &opts) != 0)
            throw std::runtime_error(std::string("BPF_PROG_TEST_RUN failed: ") + errno_text(errno));
        durations.push_back(static_cast<double>(opts.duration));
        s.last_action = opts.retval;
    }
    std::sort(durations.begin(), durations.end());
    auto at = [&](double q) { return durations[static_cast<size_t>(q * (durations.size() - 1))]; };
    s.median_ns = at(0.5);
    s.p10_ns = at(0.1);
    s.p90_ns = at(0.9);
    return s;
}

RunResult run_once(int prog_fd, const std::vector<uint8_t>& frame, uint32_t ingress_ifindex) {
    RunResult r;
    r.frame.resize(frame.size() + 256);
    xdp_md ctx{};
    ctx.data_end = static_cast<uint32_t>(frame.size());
    ctx.ingress_ifindex = ingress_ifindex;
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame.data(), .data_out = r.frame.data(),
                .data_size_in = static_cast<uint32_t>(frame.size()),
                .data_size_out = static_cast<uint32_t>(r.frame.size()), .ctx_in = &ctx,
                .ctx_size_in = sizeof ctx, .repeat = 1);
    if (bpf_prog_test_run_opts(prog_fd, &opts) != 0)
        throw std::runtime_error(std::string("BPF_PROG_TEST_RUN failed: ") + errno_text(errno));
    r.action = opts.retval;
    r.frame.resize(opts.data_size_out);
    return r;
}

void pin_to_cpu(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0)
        throw std::runtime_error(std::string("sched_setaffinity: ") + errno_text(errno));
}

}  // namespace xvs::bench
