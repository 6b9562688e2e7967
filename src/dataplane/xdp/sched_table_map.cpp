#include "dataplane/xdp/sched_table_map.h"

#include <bpf/bpf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "dataplane/dataplane.h"
#include "dataplane/xdp/xdp_maps_io.h"

namespace xvs {

UniqueFd make_sched_table_map(const std::vector<uint32_t>& values, const std::string& what) {
    if (values.empty()) throw DataplaneError("creating " + what + ": no entries");
    bpf_map_create_opts opts{};
    opts.sz = sizeof opts;
    opts.map_flags = sched_table_flags;
    UniqueFd table(bpf_map_create(BPF_MAP_TYPE_ARRAY, "xvs_sched", sizeof(uint32_t), sizeof(uint32_t),
                                  static_cast<uint32_t>(values.size()), &opts));
    if (!table) throw DataplaneError("creating " + what + ": " + errno_text(errno));
    // The kernel lays array elements out 8 bytes apart (round_up(value_size,
    // 8)); a fresh array is all zeros, so only the values are written.
    constexpr size_t stride = 8;
    size_t bytes = values.size() * stride;
    long page = ::sysconf(_SC_PAGESIZE);
    size_t mapped = (bytes + page - 1) / page * page;
    void* memory = ::mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_SHARED, table.get(), 0);
    if (memory == MAP_FAILED) throw DataplaneError("filling " + what + ": mmap: " + errno_text(errno));
    auto* slots = static_cast<uint8_t*>(memory);
    for (size_t i = 0; i < values.size(); ++i) std::memcpy(slots + i * stride, &values[i], sizeof values[i]);
    ::munmap(memory, mapped);
    return table;
}

}  // namespace xvs
