#include "dataplane/xdp/overload_flags.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "common/errno_text.h"
#include "dataplane/dataplane.h"
#include "xvs/abi.h"

namespace xvs {

bool edit_clears_overload(uint32_t before, uint32_t after) { return after == 0 || after > before; }

OverloadFlags::OverloadFlags(int real_conns_fd, uint32_t reals) : reals_(reals) {
    size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    bytes_ = (size_t{reals} * sizeof(xvs_real_conns) + page - 1) / page * page;
    void* memory = ::mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_SHARED, real_conns_fd, 0);
    if (memory == MAP_FAILED)
        throw DataplaneError("mapping xvs_real_conns for the overload flags: " + errno_text(errno));
    memory_ = memory;
}

OverloadFlags::~OverloadFlags() { ::munmap(memory_, bytes_); }

void OverloadFlags::clear(uint32_t id) noexcept {
    if (id >= reals_) return;
    auto* counts = static_cast<xvs_real_conns*>(memory_) + id;
    __atomic_store_n(&counts->overloaded, 0, __ATOMIC_RELAXED);
}

}  // namespace xvs
