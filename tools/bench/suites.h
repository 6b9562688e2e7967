// The benchmark suites. Each appends its figures; `smoke` shrinks every loop
// to seconds so CI keeps the harness working without measuring anything.
#pragma once

#include <vector>

#include "results.h"

namespace xvs::bench {

struct SuiteOptions {
    bool smoke = false;
    int cpu = 0;  // the CPU the measuring thread is pinned to
};

// ns/packet of the XDP program per path (BPF_PROG_TEST_RUN), net of the floor.
void run_prog_suite(const SuiteOptions& options, std::vector<Figure>& out);
// Packets per second through a director in namespaces: xvs (DR, NAT) and nftables DNAT.
void run_rate_suite(const SuiteOptions& options, std::vector<Figure>& out);
// Load 1,000 virtuals x 100 reals, one weight change, one removal, unchanged reload.
void run_control_suite(const SuiteOptions& options, std::vector<Figure>& out);
// Part of the control suite: health results to map writes, xdp and auto.
void run_control_change_path(const SuiteOptions& options, std::vector<Figure>& out);
// Reals checked per second on the checker thread, and its CPU time.
void run_health_suite(const SuiteOptions& options, std::vector<Figure>& out);
// xvsd holding 1,000,000 connections: count accuracy, CPU, -Ln and -Lnc.
void run_conn_suite(const SuiteOptions& options, std::vector<Figure>& out);
// The connection table under a SYN flood of distinct sources.
void run_flood_suite(const SuiteOptions& options, std::vector<Figure>& out);

}  // namespace xvs::bench
