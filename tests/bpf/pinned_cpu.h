// PinnedToOneCpu: keeps the calling thread on the CPU it runs on for the
// object's lifetime, so the program's per-CPU rr/wrr position is a single
// sequence across the packets a test sends, the per-CPU next-hop cache
// answers again, and the LRU tables evict from one CPU's lists.
#pragma once

#include <sched.h>

namespace xvs::test {

class PinnedToOneCpu {
   public:
    PinnedToOneCpu() {
        sched_getaffinity(0, sizeof saved_, &saved_);
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(sched_getcpu(), &one);
        sched_setaffinity(0, sizeof one, &one);
    }
    ~PinnedToOneCpu() { sched_setaffinity(0, sizeof saved_, &saved_); }
    PinnedToOneCpu(const PinnedToOneCpu&) = delete;
    PinnedToOneCpu& operator=(const PinnedToOneCpu&) = delete;

   private:
    cpu_set_t saved_{};
};

}  // namespace xvs::test
