// The benchmark suites. Each appends its figures; `smoke` shrinks every loop
// to seconds so CI keeps the harness working without measuring anything.
#pragma once

#include <vector>

#include "results.h"

namespace xvs::bench {

struct SuiteOptions {
    bool smoke = false;
    int cpu = 0;  // the CPU the prog suite pins itself to
};

void run_prog_suite(const SuiteOptions& options, std::vector<Figure>& out);

}  // namespace xvs::bench
