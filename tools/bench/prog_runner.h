// Per-packet cost of an XDP program through BPF_PROG_TEST_RUN.
//
// One packet per call (repeat = 1): with repeat > 1 the kernel runs the
// program again on the packet it has already rewritten, which measures a
// different path. The figure is the duration the kernel reports for the call;
// many calls give the median and the spread. The caller pins the thread to
// one CPU (pin_to_cpu) so per-CPU maps and caches stay put.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace xvs::bench {

struct Sample {
    double median_ns = 0;
    double p10_ns = 0;
    double p90_ns = 0;
    uint32_t last_action = 0;  // XDP action of the last call (sanity check)
};

// Runs `calls` calls. `next_packet(i)` returns the frame for call i, so a
// case can feed distinct flows (new-connection paths) or the same one.
Sample measure_prog(int prog_fd, int calls,
                    const std::function<const std::vector<uint8_t>&(int)>& next_packet,
                    uint32_t ingress_ifindex = 0);

struct RunResult {
    uint32_t action = 0;
    std::vector<uint8_t> frame;  // the packet as the program left it
};
// One call, keeping the output frame (to learn what a path did).
RunResult run_once(int prog_fd, const std::vector<uint8_t>& frame, uint32_t ingress_ifindex);

void pin_to_cpu(int cpu);

}  // namespace xvs::bench
