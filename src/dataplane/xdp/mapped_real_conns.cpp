#include "dataplane/xdp/mapped_real_conns.h"

#include <bpf/bpf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>

#include "common/errno_text.h"
#include "dataplane/dataplane.h"
#include "dataplane/xdp/xdp_maps_io.h"

namespace xvs {

MappedRealConns::MappedRealConns(int map_fd) {
    const bpf_map_info info = map_info(map_fd, "xvs_real_conns");
    if (info.value_size != sizeof(xvs_real_conns))
        throw DataplaneError("xvs_real_conns holds values of " + std::to_string(info.value_size) +
                             " bytes, this daemon expects " + std::to_string(sizeof(xvs_real_conns)));
    capacity_ = info.max_entries;
    const auto page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    bytes_ = (size_t{capacity_} * sizeof(xvs_real_conns) + page - 1) / page * page;
    void* memory = ::mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
    if (memory == MAP_FAILED) throw DataplaneError("mapping xvs_real_conns: " + errno_text(errno));
    counts_ = static_cast<xvs_real_conns*>(memory);
}

MappedRealConns::~MappedRealConns() { ::munmap(counts_, bytes_); }

xvs_real_conns MappedRealConns::read(uint32_t real_id) const {
    xvs_real_conns out{};
    if (real_id >= capacity_) return out;
    const xvs_real_conns& in = counts_[real_id];
    out.active = __atomic_load_n(&in.active, __ATOMIC_RELAXED);
    out.inactive = __atomic_load_n(&in.inactive, __ATOMIC_RELAXED);
    out.persist = __atomic_load_n(&in.persist, __ATOMIC_RELAXED);
    out.changes = __atomic_load_n(&in.changes, __ATOMIC_RELAXED);
    return out;
}

void MappedRealConns::add(uint32_t real_id, __s64 xvs_real_conns::*field, int64_t delta) {
    if (real_id >= capacity_) return;
    __atomic_fetch_add(&(counts_[real_id].*field), delta, __ATOMIC_RELAXED);
}

void MappedRealConns::clear_overloaded(uint32_t real_id) {
    if (real_id >= capacity_) return;
    __atomic_store_n(&counts_[real_id].overloaded, 0, __ATOMIC_RELAXED);
}

}  // namespace xvs
